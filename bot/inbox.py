"""The durable inbox: a channel's events are stored once each, in the request's transaction.

Any channel stores its events here as rows keyed by its own event id (``inbox_row``, ``store_rows``); the
channel's adapter turns what it received into those rows (LINE's webhook events: ``bot.line.inbox``).
"""

from __future__ import annotations

import datetime as dt
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


def inbox_row(*, channel: str, event_id: str, event_type: str, user_key: str | None, payload: dict[str, Any],
              is_redelivery: bool = False) -> dict[str, Any]:
    """One inbox row as ``store_rows`` inserts it: a channel's event under the id it is stored once by.

    Args:
        channel: the channel that reads it back (``bot.channel.Channel.name``).
        event_id: the channel's id of the event (unique across channels: prefix it when it may not be).
        event_type: the channel's name of the kind of event, for logs and health checks.
        user_key: the citizen's key (``bot.channel.Citizen.key``), if the event is a citizen's.
        payload: the event as the channel received it (its ``read`` gets it back).
        is_redelivery: the channel says it sent this event before.
    """
    return {
        "webhook_event_id": event_id[:100],
        "event_type": event_type[:40],
        "channel": channel,
        "line_user_id": user_key[:100] if user_key is not None else None,
        "payload": payload,
        "is_redelivery": is_redelivery,
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


def unique_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per event id (the first one wins), all received now."""
    received_at = utcnow()
    unique: dict[str, dict[str, Any]] = {}
    for row in rows:
        unique.setdefault(row["webhook_event_id"], {**row, "received_at": received_at})
    return list(unique.values())


def store_rows(*, session: Session, rows: Sequence[dict[str, Any]]) -> StoreResult:
    """Insert every row (``inbox_row``) whose event is not stored yet (unique on webhook_event_id) in one
    statement; the caller commits. A channel stores its events through here (LINE: ``bot.line.inbox``).

    ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` with the rows as parameters: SQLAlchemy sends them as
    multi-row VALUES batches ("insertmanyvalues"), so a request's events cost one round trip, not one each.
    """
    unique = unique_rows(rows)
    if not unique:
        return StoreResult(0, len(rows))
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = InboxEvent.__table__  # type: ignore[attr-defined]
    statement = insert(table).on_conflict_do_nothing(index_elements=["webhook_event_id"]).returning(table.c.id)
    # rowcount is not reliable for ON CONFLICT on every driver; RETURNING yields a row only when inserted.
    stored = len(session.connection().execute(statement, unique).all())
    duplicates = len(rows) - stored
    if duplicates:
        logger.info("inbox: %d redelivered or repeated event(s) ignored", duplicates)
    return StoreResult(stored, duplicates)


def store_and_commit(engine: Engine, rows: Sequence[dict[str, Any]]) -> StoreResult:
    """Store ``rows`` (``inbox_row``) in one short transaction of their own: a webhook's only database work."""
    with Session(engine) as session:
        result = store_rows(session=session, rows=rows)
        session.commit()
    return result
