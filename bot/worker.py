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
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy import Engine, exists, or_, select, update
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import ORMExecuteState, aliased
from sqlmodel import Session, col

from bot.dispatch import EventDispatcher
from bot.line_client import DeliveryResult, LineSender, Outgoing
from bot.models import InboxEvent, LineUser, OutboxMessage
from tsunagu.clock import as_utc, utcnow

Claimable = TypeVar("Claimable", InboxEvent, OutboxMessage)

logger = logging.getLogger(__name__)

REPLY_TOKEN_LIFETIME = dt.timedelta(seconds=50)  # LINE: about a minute after the event; keep a margin
STALE_CLAIM = dt.timedelta(minutes=5)


class BotWorker:
    """Processes the inbox and delivers the outbox.

    Args:
        engine: the application database.
        dispatcher: turns events into replies.
        sender: delivers replies to LINE.
        batch_size: rows claimed per round.
        jobs: further work for each round (e.g. notifying staff of new tickets); each returns how much it did.
    """

    def __init__(self, engine: Engine, dispatcher: EventDispatcher, sender: LineSender, batch_size: int = 20,
                 jobs: Sequence[Callable[[], Awaitable[int]]] = ()) -> None:
        self.engine = engine
        self.dispatcher = dispatcher
        self.sender = sender
        self.batch_size = batch_size
        self.jobs = list(jobs)
        self._skip_locked = engine.dialect.name == "postgresql"

    # -- inbox ---------------------------------------------------------------------------------------------------
    def release_stale_claims(self, older_than: dt.timedelta = STALE_CLAIM) -> int:
        """Put back events and deliveries claimed by a worker that died (called at start-up too)."""
        cutoff = utcnow() - older_than
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
        by another worker are skipped. The rows are then taken with a compare-and-set (``status = 'pending'``
        in the UPDATE), so two workers that read the same rows never both get one: SQLite has no SKIP LOCKED
        and runs the SELECT outside the write transaction.
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
        candidates = [row.id for row in session.exec(query).scalars()]  # type: ignore[call-overload]
        if not candidates:
            session.commit()
            return []
        taken = session.exec(
            update(model).where(col(model.id).in_(candidates), col(model.status) == "pending")
            .values(status=working_status, claimed_at=utcnow()).returning(col(model.id))
            .execution_options(synchronize_session=False)
        ).scalars().all()
        taken_rows = select(model).where(col(model.id).in_(taken)).order_by(col(model.id))
        rows = list(session.exec(taken_rows).scalars())  # type: ignore[call-overload]
        session.commit()
        return rows

    def process_inbox(self) -> int:
        """Handle every claimable event; return how many were handled."""
        handled = 0
        with Session(self.engine) as session:
            claimed = [event.id for event in self._claim(session, InboxEvent, "processing")]
        for event_id in claimed:
            with _deferred_writes_session(self.engine) as session:
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
        received = as_utc(event.received_at)
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
            event.status, event.processed_at = "done", utcnow()
            session.add(event)
        session.commit()

    # -- outbox --------------------------------------------------------------------------------------------------
    async def deliver_outbox(self) -> int:
        """Send every claimable outbox row at once, then record the outcomes in one transaction; return how many
        were delivered. A claim holds at most one row per user, so sending them together keeps each user's order.
        The database work runs in a thread: in the web app, the event loop is answering LINE's webhooks.
        """
        claimed = await asyncio.to_thread(self._claim_outbox)
        if not claimed:
            return 0
        results = await asyncio.gather(*(self.sender.send(outgoing) for _, outgoing in claimed))
        await asyncio.to_thread(self._record_deliveries, [row_id for row_id, _ in claimed], results)
        return sum(result.delivered for result in results)

    def _claim_outbox(self) -> list[tuple[int | None, Outgoing]]:
        with Session(self.engine) as session:
            return [
                (row.id, Outgoing(row.line_user_id, row.messages, row.retry_key, row.reply_token,
                                  as_utc(row.reply_token_expires_at) if row.reply_token_expires_at else None))
                for row in self._claim(session, OutboxMessage, "sending")
            ]

    def _record_deliveries(self, row_ids: list[int | None], results: list[DeliveryResult]) -> None:
        with Session(self.engine) as session:
            for row_id, result in zip(row_ids, results, strict=True):
                row = session.get(OutboxMessage, row_id)
                if row is None:
                    continue
                row.attempts += result.attempts
                row.outcome, row.last_error = result.outcome.value, result.error
                row.status = "delivered" if result.delivered else "failed"
                row.delivered_at = utcnow() if result.delivered else None
                if result.delivered and session.get(LineUser, row.line_user_id) is None:
                    session.delete(row)  # the user asked for "データ削除": keep nothing after the confirmation
                else:
                    session.add(row)
            session.commit()

    async def run(self, stop: asyncio.Event, idle_seconds: float = 0.2) -> None:
        """Until ``stop`` is set, two loops side by side: the inbox (the conversation, in a thread) and the
        outbox with the further jobs, so replies go out while the next events are answered (the embedder
        releases the GIL). Each pauses briefly after a round with nothing to do; stored replies wake the outbox.
        """
        # Only claims older than STALE_CLAIM: a younger one may belong to another worker that is alive.
        await asyncio.to_thread(self.release_stale_claims)
        replies_stored = asyncio.Event()

        async def inbox_round() -> int:
            handled = await asyncio.to_thread(self.process_inbox)
            if handled:
                replies_stored.set()
            return handled

        async def outbox_round() -> int:
            replies_stored.clear()
            sent = await self.deliver_outbox()
            for job in self.jobs:
                sent += await job()
            return sent

        await asyncio.gather(_repeat(inbox_round, stop, idle_seconds),
                             _repeat(outbox_round, stop, idle_seconds, wake=replies_stored))


async def _repeat(round_: Callable[[], Awaitable[int]], stop: asyncio.Event, idle_seconds: float,
                  wake: asyncio.Event | None = None) -> None:
    """Run ``round_`` until ``stop`` is set; after a round that did nothing, wait ``idle_seconds`` or for
    ``stop`` or ``wake``."""
    while not stop.is_set():
        try:
            done = await round_()
        except Exception:
            logger.exception("bot worker round failed; retrying")
            done = 0
        if not done:
            waiters = [asyncio.ensure_future(event.wait()) for event in (stop, wake) if event is not None]
            await asyncio.wait(waiters, timeout=idle_seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()


def _deferred_writes_session(engine: Engine) -> Session:
    """A session that writes only at commit, or before an UPDATE/DELETE statement (which must see the changes).

    SQLite has one writer at a time. With autoflush, the conversation's first query would flush a change and
    hold the write lock through retrieval (tens of milliseconds a message), so every webhook insert would wait
    behind the worker; deferred, the lock is held for the final writes only.
    """
    session = Session(engine, autoflush=False)
    sqlalchemy_event.listen(session, "do_orm_execute", _flush_before_bulk_statement)
    return session


def _flush_before_bulk_statement(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.flush()


def _mark(session: Session, event_id: int | None, status: str, error: str) -> None:
    event = session.get(InboxEvent, event_id)
    if event is not None:
        event.status, event.last_error = status, error
        session.add(event)
        session.commit()
