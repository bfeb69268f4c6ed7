"""Prometheus metrics of the bot: LINE API answers by status, and the inbox and outbox backlog.

* ``tsunagu_line_api_responses_total{call, status}``: one per request to LINE's reply or push endpoint, with
  LINE's HTTP status (``network_error`` when no answer came back, ``2xx`` when a test double gives no status).
  Recorded by ``bot.line.client.LineSender`` in the process that delivers (a bot worker).
* ``tsunagu_inbox_events{status}`` / ``tsunagu_outbox_messages{status}`` and ``…_oldest_age_seconds``: the rows
  still waiting and the age of the oldest, read from the database when ``/metrics`` is scraped
  (``QueueCollector``), so every process reports the same shared queues and nothing has to be kept in memory.
  Counted per status with the status index; done and delivered rows (the whole history) are never counted.

No label carries a LINE user id or any text.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from bot.models import InboxEvent, OutboxMessage
from core.clock import as_utc, utcnow

logger = logging.getLogger(__name__)

LINE_RESPONSES = Counter(
    "tsunagu_line_api_responses", "Answers to requests made to LINE's Messaging API, by call and HTTP status.",
    ["call", "status"],
)

INBOX_WAITING = ("pending", "processing")
OUTBOX_WAITING = ("pending", "sending")
OUTBOX_COUNTED = (*OUTBOX_WAITING, "failed")


def record_line_response(call: str, status: int | str | None) -> None:
    """Count one answer from LINE; ``status`` None means LINE accepted it without the HTTP layer noting a status."""
    LINE_RESPONSES.labels(call, "2xx" if status is None else str(status)).inc()


def _counts(session: Session, model: Any, statuses: tuple[str, ...]) -> dict[str, int]:
    rows = session.exec(
        select(model.status, func.count()).where(col(model.status).in_(statuses)).group_by(model.status)
    ).all()
    found = {status: int(count) for status, count in rows}
    return {status: found.get(status, 0) for status in statuses}


def _oldest_age(session: Session, column: Any, status_column: Any, statuses: tuple[str, ...]) -> float:
    oldest = session.exec(select(func.min(column)).where(col(status_column).in_(statuses))).one()
    if oldest is None:
        return 0.0
    return max(float((utcnow() - as_utc(oldest)) / dt.timedelta(seconds=1)), 0.0)


class QueueCollector(Collector):
    """Inbox and outbox depth by status and the age of their oldest waiting row, read at each scrape, plus
    ``tsunagu_queue_database_up`` (0 when the database did not answer: the other gauges are then left out)."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("tsunagu_queue_database_up", "1 when the queue gauges could be read from the database.")
        try:
            families = self._read()
        except SQLAlchemyError as error:
            logger.warning("metrics: the database did not answer (%s)", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> list[GaugeMetricFamily]:
        with Session(self._engine()) as session:
            inbox = _counts(session, InboxEvent, INBOX_WAITING)
            outbox = _counts(session, OutboxMessage, OUTBOX_COUNTED)
            inbox_age = _oldest_age(session, InboxEvent.received_at, InboxEvent.status, INBOX_WAITING)
            outbox_age = _oldest_age(session, OutboxMessage.created_at, OutboxMessage.status, OUTBOX_WAITING)
        inbox_depth = GaugeMetricFamily("tsunagu_inbox_events", "Webhook events not answered yet, by status.",
                                        labels=["status"])
        for status, count in inbox.items():
            inbox_depth.add_metric([status], count)
        outbox_depth = GaugeMetricFamily("tsunagu_outbox_messages", "Replies not delivered yet (and failed ones), "
                                         "by status.", labels=["status"])
        for status, count in outbox.items():
            outbox_depth.add_metric([status], count)
        return [
            inbox_depth,
            GaugeMetricFamily("tsunagu_inbox_oldest_age_seconds", "Age of the oldest unanswered webhook event "
                              "(0 when none waits).", value=inbox_age),
            outbox_depth,
            GaugeMetricFamily("tsunagu_outbox_oldest_age_seconds", "Age of the oldest reply still to be delivered "
                              "(0 when none waits).", value=outbox_age),
        ]
