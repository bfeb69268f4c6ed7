"""LINE's webhook events as inbox rows: keyed by ``webhookEventId``, the user id as the citizen's key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot import inbox
from bot.channel import DEFAULT_CHANNEL
from bot.inbox import StoreResult, inbox_row


def event_id(event: dict[str, Any]) -> str:
    """LINE's ``webhookEventId``; an event without one is keyed by a hash of its content, so it is kept too."""
    value = event.get("webhookEventId")
    if isinstance(value, str) and value:
        return value[:100]
    digest = hashlib.sha256(json.dumps(event, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"sha256:{digest[:64]}"


def row_of(event: dict[str, Any]) -> dict[str, Any]:
    """The inbox row of one webhook event, stored as LINE sent it."""
    source, delivery = event.get("source"), event.get("deliveryContext")
    source = source if isinstance(source, dict) else {}
    delivery = delivery if isinstance(delivery, dict) else {}
    user_id = source.get("userId")
    return inbox_row(channel=DEFAULT_CHANNEL, event_id=event_id(event), event_type=str(event.get("type") or "unknown"),
                     user_key=user_id if isinstance(user_id, str) else None, payload=event,
                     is_redelivery=delivery.get("isRedelivery") is True)


def store_events(*, session: Session, events: Sequence[dict[str, Any]]) -> StoreResult:
    """Insert every webhook event not stored yet in one statement (``bot.inbox.store_rows``); the caller commits."""
    return inbox.store_rows(session=session, rows=[row_of(event) for event in events])


def store_and_commit(engine: Engine, events: Sequence[dict[str, Any]]) -> StoreResult:
    """Store ``events`` in one short transaction of their own: the webhook's only database work."""
    return inbox.store_and_commit(engine, [row_of(event) for event in events])
