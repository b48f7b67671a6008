"""Rate limits per client address for the public fault report and public computations.

Counted in PostgreSQL (``rc.count_hit``), so every server process behind a load balancer
shares one count per address: four workers do not make the limit four times as high. One
small upsert per limited request; the endpoints limited need the database anyway.
"""

from collections.abc import Callable

from sqlalchemy import Engine, text

from rescuecircle.errors import TooManyRequests


class RateLimiter:
    """At most ``limit`` hits per client in ``window_s`` seconds (a sliding-window estimate)."""

    def __init__(self, engine: Engine, bucket: str, limit: int, *, window_s: float,
                 what: str = "reports", clock: Callable[[], float] | None = None) -> None:
        self.engine = engine
        self.bucket = bucket          # which limit: counts of different limits never mix
        self.limit = limit
        self.window_s = window_s
        self.what = what              # what is counted, for the refusal's message
        self.clock = clock            # epoch seconds; None: the database's clock

    def hit(self, client: str) -> None:
        """Count one hit for ``client``; TooManyRequests when it is over the limit."""
        with self.engine.begin() as conn:
            recent = conn.execute(text("SELECT rc.count_hit(:bucket, :client, :window, :at)"), {
                "bucket": self.bucket, "client": client, "window": self.window_s,
                "at": self.clock() if self.clock else None}).scalar_one()
        if recent > self.limit:
            window = (f"{self.window_s / 3600:g} h" if self.window_s >= 3600
                      else f"{self.window_s:g} s")
            raise TooManyRequests(f"at most {self.limit} {self.what} per {window} from one "
                                  "address; try again later")
