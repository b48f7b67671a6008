"""What every use case runs against, built once from the Settings: the database engines (the
primary's for writes and dispatch, a replica's for public reads when RC_DATABASE_READ_URL is
set), the routing networks (with the configured speed factors and snap limit), the clock and
time zone (RC_TIMEZONE, else the loaded network's).

The API builds one per app, the CLI one per command: both then ask the same question of the
same objects and get the same answer.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from gis.db import make_engine
from gis.network_locale import LocalZone, local_zone
from rescuecircle.database import read_url
from rescuecircle.errors import InvalidInput
from rescuecircle.settings import Settings
from routing.time_of_day import SpeedFactors, speed_factors_from_json
from services.network import NetworkProvider

READ_APPLICATION = "rescuecircle-read"  # the read engine's name in pg_stat_activity


def utc_now() -> datetime:
    """The real clock, time-zone aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """The settings read at start-up and the shared objects built from them."""

    settings: Settings
    engine: Engine
    networks: NetworkProvider
    clock: Callable[[], datetime] = field(default=utc_now)
    read_engine: Engine | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, engine: Engine | None = None,
                      clock: Callable[[], datetime] = utc_now) -> "Context":
        """A context over ``engine`` (default: one built from ``settings``); the database is
        not contacted here. RC_TIMEZONE travels with the engine (``gis.db.make_engine``), so
        a given engine's own setting is the one in force."""
        engine = engine or make_engine(settings)
        networks = NetworkProvider(engine, snap_max_m=settings.snap_max_m,
                                   speed_factors=speed_factors(settings),
                                   snapshot_dir=settings.snapshots)
        reads = (make_engine(settings, read_url(settings), application_name=READ_APPLICATION)
                 if settings.database_read_url else None)
        return cls(settings, engine, networks, clock, reads)

    @property
    def reads(self) -> Engine:
        """The engine of public reads (finder, tiles, features, exports): the replica's when
        RC_DATABASE_READ_URL is set, else the primary's. It may lag the primary by a moment,
        so nothing that decides a dispatch or checks a write reads through it."""
        return self.read_engine or self.engine

    def dispose(self) -> None:
        """Close both engines' pooled connections."""
        self.engine.dispose()
        if self.read_engine is not None:
            self.read_engine.dispose()

    def locale(self) -> LocalZone:
        """The zone local times are read in, where it came from, and the loaded network's
        country: RC_TIMEZONE, else the network's zone, else UTC. The database resolves it
        (``gis.network_locale``), so SQL asked with no zone reads the same local time."""
        return local_zone(self.engine)

    def timezone(self) -> ZoneInfo:
        """The zone local times (opening hours, rush hours, "today") are read in."""
        return ZoneInfo(self.locale().zone)

    def now(self) -> datetime:
        """The current time, aware, from the context's clock."""
        return self.clock()

    def local_time(self, at: datetime) -> datetime:
        """``at`` (aware) as the wall-clock time of the context's zone."""
        return at.astimezone(self.timezone())

    def local_now(self) -> datetime:
        """The current time in the context's time zone (for "today" and this year)."""
        return self.local_time(self.now())


@contextmanager
def opened(settings: Settings) -> Iterator[Context]:
    """A context for one command: its engine is disposed when the command ends."""
    context = Context.from_settings(settings)
    try:
        yield context
    finally:
        context.dispose()


def speed_factors(settings: Settings) -> SpeedFactors:
    """The driving speed factors: the configured file, else the rush-hour default."""
    if settings.speed_factors_file is None:
        return SpeedFactors()
    try:
        return speed_factors_from_json(json.loads(settings.speed_factors_file.read_text()))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"RC_SPEED_FACTORS_FILE {settings.speed_factors_file}: {exc}") from exc
