"""One settings object for the whole project, read from the environment (prefix ``RC_``).

Settings are read once, where the process starts (CLI or WSGI entry point), and passed down;
nothing reads the environment at import time.
"""

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rescuecircle.paths import PROJECT_ROOT


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as ``RC_<NAME>`` or in ``.env``."""

    model_config = SettingsConfigDict(env_prefix="RC_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of an existing PostGIS + pgRouting database. "
        "When unset, the project-local cluster under data_dir is used. Several hosts, the "
        "libpq way (postgresql://u:p@h1:5432,h2:5432/db?target_session_attrs=read-write), "
        "follow a Patroni cluster's primary.",
    )
    database_read_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of a read replica for public reads (AED finder, tiles, "
        "OGC features, exports); unset: they go to database_url. Writes and dispatch always "
        "use database_url.",
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / ".rc",
        description="Project-local state: the PostgreSQL cluster, its logs and password.",
    )
    snapshot_dir: Path | None = Field(
        default=None,
        description="Where routing snapshots are kept: one file per imported network, "
        "memory-mapped by every server process (docs/operations.md). Unset: "
        "<data_dir>/snapshots.",
    )
    pg_port: int = Field(default=55432, ge=1024, le=65535, description="Port of the local cluster.")
    ha_base_port: int = Field(
        default=55440, ge=1024, le=65530,
        description="First of the six loopback ports of `rescuecircle ha start` (etcd client "
        "and peer, then each node's PostgreSQL and Patroni REST API).")
    pg_bin_dir: Path = Field(
        default=Path("/usr/lib/postgresql/15/bin"), description="Where initdb and pg_ctl live."
    )
    db_name: str = Field(default="rescuecircle", pattern=r"^[a-z_][a-z0-9_]*$")
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the HTTP server binds to.")
    public_url: str | None = Field(
        default=None, description="Base URL clients see; defaults to http://host:port."
    )
    snap_max_m: float = Field(
        default=500.0, gt=0, le=5000, description="Farthest a point may lie from the network."
    )
    speed_factors_file: Path | None = Field(
        default=None,
        description="JSON {road_class: [24 hourly travel-time factors]} for driving; "
        "unset: the built-in rush-hour profile.",
    )
    drone_cruise_speed_kmh: float = Field(default=60.0, ge=5, le=300)
    drone_takeoff_s: float = Field(default=30.0, ge=0, le=600)
    drone_landing_s: float = Field(default=30.0, ge=0, le=600)
    drone_range_km: float = Field(default=8.0, gt=0, le=100, description="Farthest one-way flight.")
    alert_timeout_s: float = Field(
        default=30.0, ge=1, le=600,
        description="How long an alerted volunteer has to accept before the next one is alerted.")
    floor_s: float = Field(
        default=12.0, ge=0, le=120,
        description="Seconds per floor between the street and a patient or an AED above or below "
                    "it (docs/dispatch.md, 'Floors', gives the sources).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    timezone: str | None = Field(
        default=None,
        description="IANA time zone AED opening hours, expiry dates and rush hours are read "
        "in. Unset: the loaded network's own zone (found by `import osm`), UTC while no "
        "network is loaded.",
    )
    aed_low_battery_pct: float = Field(
        default=10.0, ge=0, le=100, description="A self-test below this battery level is a fault."
    )
    aed_expiry_alert_days: int = Field(
        default=30, ge=0, le=3650, description="Default look-ahead of the expiry alert list."
    )
    notify_webhook_url: str | None = Field(
        default=None,
        description="Where owner notifications are POSTed (a gateway that mails or texts the "
        "owner); unset: they are written to the log.",
    )
    notify_max_attempts: int = Field(default=8, ge=1, le=50)
    notify_backoff_s: float = Field(
        default=30.0, gt=0, le=3600, description="First retry delay; doubles on each failure."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins whose web pages may call the API, as JSON (["https://a.org"]; '
        '["*"]: any); empty: no cross-origin access.',
    )
    max_request_bytes: int = Field(
        default=1024 * 1024, ge=1024, le=1024**3,
        description="Largest request body accepted (413 beyond); the API's bodies are small.",
    )
    max_upload_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, le=1024**3,
        description="Largest request body of a process that takes a file (the qc process's "
        "call log; 413 beyond).",
    )
    trusted_proxies: int = Field(
        default=0, ge=0, le=5,
        description="Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host; "
        "the client's address (rate limits, audit log) is read from them. 0: none, trust "
        "no such header.",
    )
    public_compute_per_min: int = Field(
        default=60, ge=1, le=100_000,
        description="Routes, isochrones, nearest-AED searches and exports one address may ask "
        "for per minute without a token.",
    )
    report_limit_per_hour: int = Field(
        default=5, ge=1, le=1000, description="Public fault reports one IP address may send."
    )
    job_ttl_s: int = Field(
        default=3600, ge=1, le=30 * 24 * 3600,
        description="How long a finished asynchronous job and its result are kept (seconds); "
        "after that the job answers 404.",
    )
    job_workers: int = Field(
        default=2, ge=1, le=32, description="Threads running asynchronous jobs."
    )
    job_heartbeat_s: float = Field(
        default=15.0, ge=0.1, le=600,
        description="How often a server shows it is still running its jobs (seconds); a job "
        "whose server has been silent for four times this is failed as orphaned.",
    )
    position_retention_days: int = Field(
        default=30, ge=2, le=3660,
        description="How long volunteers' reported positions are kept (days; personal data): "
        "older days of the history are dropped whole, about hourly.",
    )
    promote_junior_rescues: int = Field(default=3, ge=0, description="Rescues to reach junior.")
    promote_junior_service_h: float = Field(default=20.0, ge=0)
    promote_senior_rescues: int = Field(default=10, ge=0, description="Rescues to reach senior.")
    promote_senior_service_h: float = Field(default=100.0, ge=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if not value:
            return None  # RC_TIMEZONE= (empty, as docker compose passes an unset one): unset
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone name") from None
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def snapshots(self) -> Path:
        """The directory routing snapshots are kept in (RC_SNAPSHOT_DIR or its default)."""
        return self.snapshot_dir or self.data_dir / "snapshots"

    @property
    def base_url(self) -> str:
        """The URL clients reach the server at, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
