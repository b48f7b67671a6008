"""One settings object for the whole project, read from the environment (prefix ``RC_``).

Settings are read once, where the process starts (CLI or WSGI entry point), and passed down;
nothing reads the environment at import time.
"""

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rescuecircle.paths import PROJECT_ROOT


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as ``RC_<NAME>`` or in ``.env``."""

    model_config = SettingsConfigDict(env_prefix="RC_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of an existing PostGIS + pgRouting database. "
        "When unset, the project-local cluster under data_dir is used.",
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / ".rc",
        description="Project-local state: the PostgreSQL cluster, its logs and password.",
    )
    pg_port: int = Field(default=55432, ge=1024, le=65535, description="Port of the local cluster.")
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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def base_url(self) -> str:
        """The URL clients reach the server at, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
