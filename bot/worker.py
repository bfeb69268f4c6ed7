"""The bot worker: inbox events → conversation → outbox → LINE.

Processing an event and storing its replies happen in one transaction, so an event is either not processed
yet (and will be, after a restart) or processed with its replies stored: never answered twice. Delivery runs
from the outbox with the sender's retry rules. With several workers on PostgreSQL, rows are claimed with
``FOR UPDATE SKIP LOCKED``; a user's events are taken one at a time, in order.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from typing import TypeVar

from sqlalchemy import Engine, exists, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from bot.dispatch import EventDispatcher
from bot.line_client import LineSender, Outgoing
from bot.models import InboxEvent, LineUser, OutboxMessage

Claimable = TypeVar("Claimable", InboxEvent, OutboxMessage)

logger = logging.getLogger(__name__)

REPLY_TOKEN_LIFETIME = dt.timedelta(seconds=50)  # LINE: about a minute after the event; keep a margin
STALE_CLAIM = dt.timedelta(minutes=5)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


class BotWorker:
    """Processes the inbox and delivers the outbox.

    Args:
        engine: the application database.
        dispatcher: turns events into replies.
        sender: delivers replies to LINE.
        batch_size: rows claimed per round.
    """

    def __init__(self, engine: Engine, dispatcher: EventDispatcher, sender: LineSender, batch_size: int = 20) -> None:
        self.engine = engine
        self.dispatcher = dispatcher
        self.sender = sender
        self.batch_size = batch_size
        self._skip_locked = engine.dialect.name == "postgresql"

    # -- inbox ---------------------------------------------------------------------------------------------------
    def release_stale_claims(self, older_than: dt.timedelta = STALE_CLAIM) -> int:
        """Put back events and deliveries claimed by a worker that died (called at start-up too)."""
        cutoff = _now() - older_than
        with Session(self.engine) as session:
            events = session.exec(
                update(InboxEvent).where(col(InboxEvent.status) == "processing", col(InboxEvent.claimed_at) < cutoff)
                .values(status="pending")
            ).rowcount
            sending = session.exec(
                update(OutboxMessage).where(col(OutboxMessage.status) == "sending",
                                            col(OutboxMessage.claimed_at) < cutoff)
                .values(status="pending")
            ).rowcount
            session.commit()
        return int(events or 0) + int(sending or 0)

    def _claim(self, session: Session, model: type[Claimable], working_status: str) -> list[Claimable]:
        """Mark up to ``batch_size`` pending rows as ``working_status`` and return them.

        A row is taken only when no earlier row of the same user is still pending or being worked on, so one
        user's events (and replies) are handled in order even with several workers; on PostgreSQL rows locked
        by another worker are skipped.
        """
        earlier = aliased(model)
        blocked = exists().where(
            col(earlier.line_user_id) == col(model.line_user_id),
            col(earlier.id) < col(model.id),
            col(earlier.status).in_(("pending", working_status)),
        )
        query = (
            select(model)
            .where(col(model.status) == "pending", or_(col(model.line_user_id).is_(None), ~blocked))
            .order_by(col(model.id))
            .limit(self.batch_size)
        )
        if self._skip_locked:
            query = query.with_for_update(skip_locked=True)
        rows = list(session.exec(query).scalars())  # type: ignore[call-overload]
        for row in rows:
            row.status, row.claimed_at = working_status, _now()
            session.add(row)
        session.commit()
        return rows

    def process_inbox(self) -> int:
        """Handle every claimable event; return how many were handled."""
        handled = 0
        with Session(self.engine) as session:
            claimed = [event.id for event in self._claim(session, InboxEvent, "processing")]
        for event_id in claimed:
            with Session(self.engine) as session:
                event = session.get(InboxEvent, event_id)
                if event is None:
                    continue
                self._handle(session, event)
                handled += 1
        return handled

    def _handle(self, session: Session, event: InboxEvent) -> None:
        event_id, user_id = event.id, event.line_user_id
        event.attempts += 1
        reply_token = event.payload.get("replyToken")
        received = _aware(event.received_at)
        try:
            messages = self.dispatcher.handle(session=session, event=event)
        except Exception:
            session.rollback()
            logger.exception("inbox event %s failed", event_id)
            _mark(session, event_id, "failed", "conversation error")
            return
        still_stored = session.get(InboxEvent, event_id) is not None  # "データ削除" removes it
        if messages and user_id:
            session.add(OutboxMessage(
                line_user_id=user_id, inbox_event_id=event_id if still_stored else None, messages=messages,
                reply_token=reply_token if isinstance(reply_token, str) else None,
                reply_token_expires_at=received + REPLY_TOKEN_LIFETIME, retry_key=str(uuid.uuid4()),
            ))
        if still_stored:
            event.status, event.processed_at = "done", _now()
            session.add(event)
        session.commit()

    # -- outbox --------------------------------------------------------------------------------------------------
    async def deliver_outbox(self) -> int:
        """Send every claimable outbox row; return how many were delivered."""
        with Session(self.engine) as session:
            claimed = [
                (row.id, Outgoing(row.line_user_id, row.messages, row.retry_key, row.reply_token,
                                  _aware(row.reply_token_expires_at) if row.reply_token_expires_at else None))
                for row in self._claim(session, OutboxMessage, "sending")
            ]
        delivered = 0
        for row_id, outgoing in claimed:
            result = await self.sender.send(outgoing)
            with Session(self.engine) as session:
                row = session.get(OutboxMessage, row_id)
                if row is None:
                    continue
                row.attempts += result.attempts
                row.outcome, row.last_error = result.outcome.value, result.error
                row.status = "delivered" if result.delivered else "failed"
                row.delivered_at = _now() if result.delivered else None
                if result.delivered and session.get(LineUser, row.line_user_id) is None:
                    session.delete(row)  # the user asked for "データ削除": keep nothing after the confirmation
                else:
                    session.add(row)
                session.commit()
            delivered += result.delivered
        return delivered

    async def run(self, stop: asyncio.Event, idle_seconds: float = 0.2) -> None:
        """Loop until ``stop`` is set: inbox, then outbox, then a short pause when there was nothing to do."""
        # Only claims older than STALE_CLAIM: a younger one may belong to another worker that is alive.
        await asyncio.to_thread(self.release_stale_claims)
        while not stop.is_set():
            try:
                handled = await asyncio.to_thread(self.process_inbox)
                sent = await self.deliver_outbox()
            except Exception:
                logger.exception("bot worker round failed; retrying")
                handled = sent = 0
            if not handled and not sent:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
                except TimeoutError:
                    pass


def _mark(session: Session, event_id: int | None, status: str, error: str) -> None:
    event = session.get(InboxEvent, event_id)
    if event is not None:
        event.status, event.last_error = status, error
        session.add(event)
        session.commit()
