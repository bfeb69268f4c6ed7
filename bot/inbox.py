"""The durable inbox: webhook events are stored once each, in the request's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.models import InboxEvent
from core.clock import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreResult:
    stored: int
    duplicates: int


def event_id(event: dict[str, Any]) -> str:
    """LINE's ``webhookEventId``; an event without one is keyed by a hash of its content, so it is kept too."""
    value = event.get("webhookEventId")
    if isinstance(value, str) and value:
        return value[:100]
    digest = hashlib.sha256(json.dumps(event, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"sha256:{digest[:64]}"


def _row(event: dict[str, Any]) -> dict[str, Any]:
    source, delivery = event.get("source"), event.get("deliveryContext")
    source = source if isinstance(source, dict) else {}
    delivery = delivery if isinstance(delivery, dict) else {}
    user_id = source.get("userId")
    return {
        "webhook_event_id": event_id(event),
        "event_type": str(event.get("type") or "unknown")[:40],
        "line_user_id": user_id[:100] if isinstance(user_id, str) else None,
        "payload": event,
        "is_redelivery": delivery.get("isRedelivery") is True,
        "status": "pending",
        "attempts": 0,
    }


MAX_EVENT_AGE = dt.timedelta(days=7)  # older "timestamps" are not LINE's (test fixtures, broken clients)


def event_time(payload: dict[str, Any], received_at: dt.datetime) -> dt.datetime:
    """When the user acted: LINE's event ``timestamp`` (milliseconds since the epoch), never later than we
    received it (clocks differ) and within ``MAX_EVENT_AGE`` of it; else the time we received the event.

    Rate limits, reply-token windows and ticket times follow the user's time, so draining a backlog after an
    outage neither rate-limits a user who wrote slowly nor stamps their question late.
    """
    stamp = payload.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return received_at
    try:
        at = dt.datetime.fromtimestamp(stamp / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return received_at
    if at < received_at - MAX_EVENT_AGE:
        return received_at
    return min(at, received_at)


def unique_rows(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per webhook event id (the first one wins), all received now."""
    received_at = utcnow()
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        row = _row(event)
        rows.setdefault(row["webhook_event_id"], {**row, "received_at": received_at})
    return list(rows.values())


def store_events(*, session: Session, events: Sequence[dict[str, Any]]) -> StoreResult:
    """Insert every event not stored yet (unique on webhook_event_id) in one statement; the caller commits.

    ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` with the rows as parameters: SQLAlchemy sends them as
    multi-row VALUES batches ("insertmanyvalues"), so a request's events cost one round trip, not one each.
    """
    rows = unique_rows(events)
    if not rows:
        return StoreResult(0, len(events))
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = InboxEvent.__table__  # type: ignore[attr-defined]
    statement = insert(table).on_conflict_do_nothing(index_elements=["webhook_event_id"]).returning(table.c.id)
    # rowcount is not reliable for ON CONFLICT on every driver; RETURNING yields a row only when inserted.
    stored = len(session.connection().execute(statement, rows).all())
    duplicates = len(events) - stored
    if duplicates:
        logger.info("inbox: %d redelivered or repeated event(s) ignored", duplicates)
    return StoreResult(stored, duplicates)


def store_and_commit(engine: Engine, events: Sequence[dict[str, Any]]) -> StoreResult:
    """Store ``events`` in one short transaction of their own: the webhook's only database work."""
    with Session(engine) as session:
        result = store_events(session=session, events=events)
        session.commit()
    return result
