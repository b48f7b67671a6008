"""Deliver the notification outbox: owner alerts written with the event, sent with retries.

An AED changing into fault or missing writes one ``rc.notification_outbox`` row in the same
transaction (a trigger, keyed by the status-history row, so one event is one notification).
:func:`deliver_pending` hands due rows to a delivery adapter: a :class:`WebhookAdapter` POSTs
them as JSON to the operator's gateway (which mails or texts the owner), a :class:`LogAdapter`
writes and keeps them (tests, and deployments without a gateway). A failed delivery is retried
after a delay that doubles each time, until ``max_attempts``; then the row is marked failed.
Rows are claimed with ``FOR UPDATE SKIP LOCKED``, so several workers never send one twice.
"""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, text

LOGGER = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Notification:
    """One outbox row as an adapter sees it."""

    id: int
    topic: str
    recipient: str | None
    payload: dict[str, Any]


class DeliveryError(Exception):
    """The adapter could not hand the notification over; it will be retried."""


class Adapter(Protocol):
    """Something that hands a notification to the outside world, or raises DeliveryError."""

    def deliver(self, notification: Notification) -> None: ...


@dataclass
class LogAdapter:
    """Writes each notification to the log and keeps it in ``sent``."""

    sent: list[Notification] = field(default_factory=list)

    def deliver(self, notification: Notification) -> None:
        LOGGER.info("notification %s to %s: %s", notification.topic, notification.recipient,
                    json.dumps(notification.payload, ensure_ascii=False, default=str))
        self.sent.append(notification)


@dataclass(frozen=True)
class WebhookAdapter:
    """POSTs ``{"id", "topic", "recipient", "payload"}`` as JSON; any non-2xx is a failure."""

    url: str
    timeout_s: float = 10.0

    def deliver(self, notification: Notification) -> None:
        body = json.dumps({"id": notification.id, "topic": notification.topic,
                           "recipient": notification.recipient,
                           "payload": notification.payload}, default=str).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json",
                     "Idempotency-Key": f"rescuecircle-{notification.id}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"{self.url} answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"{self.url}: {exc}") from exc
        if not 200 <= status < 300:
            raise DeliveryError(f"{self.url} answered {status}")


@dataclass(frozen=True)
class DeliveryReport:
    """What one pass did."""

    delivered: int
    retrying: int
    failed: int


def deliver_pending(engine: Engine, adapter: Adapter, *, max_attempts: int, backoff_s: float,
                    now: datetime | None = None, batch: int = 100) -> DeliveryReport:
    """Hand every due notification to ``adapter`` once; retry failures later.

    The n-th failure (n from 1) schedules the next attempt ``backoff_s * 2**(n-1)`` seconds on
    (at most six hours); after ``max_attempts`` failures the row is marked failed.
    """
    delivered = retrying = failed = 0
    with engine.begin() as conn:
        clock = now or conn.execute(text("SELECT now()")).scalar_one()
        rows = conn.execute(text(
            "SELECT id, topic, recipient, payload, attempts FROM rc.notification_outbox "
            "WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= :now "
            "ORDER BY next_attempt_at, id LIMIT :batch FOR UPDATE SKIP LOCKED"),
            {"now": clock, "batch": batch}).all()
        for row in rows:
            notification = Notification(row.id, row.topic, row.recipient, row.payload)
            try:
                adapter.deliver(notification)
            except DeliveryError as exc:
                attempts = row.attempts + 1
                give_up = attempts >= max_attempts
                delay = min(timedelta(seconds=backoff_s * 2 ** (attempts - 1)), MAX_BACKOFF)
                conn.execute(text(
                    "UPDATE rc.notification_outbox SET attempts = :n, last_error = :e, "
                    "next_attempt_at = :next, failed_at = CASE WHEN :give_up THEN :now END "
                    "WHERE id = :id"),
                    {"n": attempts, "e": str(exc), "next": clock + delay, "give_up": give_up,
                     "now": clock, "id": row.id})
                LOGGER.warning("notification %d attempt %d failed: %s", row.id, attempts, exc)
                failed += give_up
                retrying += not give_up
                continue
            conn.execute(text(
                "UPDATE rc.notification_outbox SET attempts = attempts + 1, delivered_at = :now, "
                "last_error = NULL WHERE id = :id"), {"now": clock, "id": row.id})
            delivered += 1
    return DeliveryReport(delivered, retrying, failed)
