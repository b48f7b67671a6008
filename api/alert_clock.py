"""The alert clock: a thread that times out alerts nobody accepted (``RC_ALERT_TIMEOUT_S``) and
has the next volunteer alerted, within a tick. Every server process runs one; each due alert is
taken by exactly one of them (``FOR UPDATE SKIP LOCKED``). About hourly (and once at start) it
also maintains the positions' day partitions (``services.positions.maintain_positions``:
days made ahead, days past the retention dropped; safe in every process at once), the first
time a minute or so after start: the days ahead are made days ahead, and workers starting
together then serve their first requests instead of each altering the same tables."""

import logging
import random
import threading
import time
import weakref

from services.context import Context
from services.positions import maintain_positions
from services.responder import expire_due

LOGGER = logging.getLogger(__name__)
TICK_S = 0.25
MAINTAIN_EVERY_S = 3600.0
MAINTAIN_FIRST_S = 45.0  # after start, plus up to as much again at random


class AlertClock:
    """Ticks while the app that owns it lives."""

    def __init__(self, state: Context) -> None:
        self._state = state
        self._stopped = threading.Event()
        threading.Thread(target=_tick, args=(weakref.ref(self),), name="rc-alert-clock",
                         daemon=True).start()

    def stop(self) -> None:
        """Tick no more."""
        self._stopped.set()


def _tick(clock_ref: "weakref.ref[AlertClock]") -> None:
    """Time out due alerts every TICK_S; holds the clock only while ticking, so a clock whose
    app is gone (a test's) stops."""
    maintain_at = time.monotonic() + MAINTAIN_FIRST_S * (1 + random.random())  # noqa: S311
    failing = False  # an outage is logged once, with its cause, not four times a second
    while (clock := clock_ref()) is not None:
        state, stopped = clock._state, clock._stopped
        if time.monotonic() >= maintain_at:
            maintain_at = time.monotonic() + MAINTAIN_EVERY_S
            _maintain(state)
        try:
            expired = expire_due(state)
            if expired:
                LOGGER.info("%d alerts timed out; their incidents were planned again", expired)
        except Exception:  # noqa: BLE001 - the database may be away; tick again later
            if not failing:
                LOGGER.warning("alert clock: timing out alerts failed; trying again every "
                               "%.2f s, quietly until it works", TICK_S, exc_info=True)
            failing = True
        else:
            if failing:
                LOGGER.info("alert clock: timing out alerts works again")
            failing = False
        del clock, state
        if stopped.wait(TICK_S):
            return


def _maintain(state: Context) -> None:
    """One round of position maintenance; a failure is logged and tried again next round."""
    try:
        done = maintain_positions(state)
        if done.partitions_added or done.partitions_dropped:
            LOGGER.info("positions: %d day partitions added, %d dropped past the retention",
                        done.partitions_added, done.partitions_dropped)
    except Exception:  # noqa: BLE001 - the database may be away; the next round tries again
        LOGGER.warning("positions: maintaining the day partitions failed", exc_info=True)
