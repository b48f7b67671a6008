"""A small in-memory rate limit per client, for the public fault report and public computations.

Counts live in the process: a restart forgets them and several server processes count apart.
That is enough to stop one browser flooding the inspection queue; a shared store would be
needed for more.
"""

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from rescuecircle.errors import TooManyRequests

MAX_CLIENTS = 10_000  # beyond this many addresses, forget those idle for a whole window


class RateLimiter:
    """At most ``limit`` hits per client in any ``window_s`` seconds (a sliding window)."""

    def __init__(self, limit: int, *, window_s: float, what: str = "reports",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.what = what  # what is counted, for the refusal's message
        self.clock = clock
        self.hits: dict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def hit(self, client: str) -> None:
        """Count one hit for ``client``; TooManyRequests when it is over the limit."""
        now = self.clock()
        with self.lock:
            if len(self.hits) > MAX_CLIENTS:
                for idle in [c for c, times in self.hits.items()
                             if not times or times[-1] <= now - self.window_s]:
                    del self.hits[idle]
            recent = self.hits[client]
            while recent and recent[0] <= now - self.window_s:
                recent.popleft()
            if len(recent) >= self.limit:
                window = (f"{self.window_s / 3600:g} h" if self.window_s >= 3600
                          else f"{self.window_s:g} s")
                raise TooManyRequests(f"at most {self.limit} {self.what} per {window} from one "
                                      "address; try again later")
            recent.append(now)
