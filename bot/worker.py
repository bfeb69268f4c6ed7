"""The bot worker: inbox events → their channel → conversation → outbox → their channel (LINE, ...).

Each inbox event and outbox message names its channel (``bot.channel``; ``"line"`` by default): the channel
reads the stored event into a neutral event for the dispatcher, renders the neutral replies into the messages
stored in the outbox, and delivers an outbox row with the retry rules below.

Processing an event and storing its replies happen in one transaction, so an event is either not processed
yet (and will be, after a restart) or processed with its replies stored: never answered twice. Delivery runs
from the outbox with the sender's retry rules. With several workers on PostgreSQL, rows are claimed with
``FOR UPDATE SKIP LOCKED``; a user's events are taken one at a time, in order.

Deliveries survive crashes (see ``bot/line/client.py`` for LINE's side): every request is counted in the row
before it is sent, and a reply is recorded as being tried before it is sent, in committed writes. A row found
again without an outcome is pushed with its retry key (never replied again) until ``max_attempts`` requests
in total, then marked failed with the reason; stale claims are released periodically, so no row stays
``sending``. Each outcome is recorded as soon as it is known, while the other rows of the claim are still sent.
A delivery to retry (429, 5xx, no answer) goes back to ``pending`` with ``next_attempt_at``: only due rows are
claimed, so a backoff waits in the database, never in the round.

Database errors (a failed commit, PostgreSQL restarting) never leave a row claimed: an event whose transaction
failed goes back to ``pending`` (``failed`` after ``MAX_EVENT_ATTEMPTS``) and the rest of the claim is still
handled; a delivery whose outcome could not be recorded keeps its claim and is recorded at the start of the next
round, before anything is released or claimed, so a delivered reply is never sent again by this worker.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine, case, exists, or_, select, update
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import ORMExecuteState, aliased
from sqlmodel import Session, col

from bot.channel import Channel
from bot.delivery import CallKind, Delivery, DeliveryResult, Outgoing
from bot.dispatch import EventDispatcher
from bot.event_log import event_fields
from bot.models import InboxEvent, LineUser, OutboxMessage
from core.clock import as_utc, utcnow
from core.request_id import request_context

Claimable = TypeVar("Claimable", InboxEvent, OutboxMessage)

logger = logging.getLogger(__name__)

REPLY_TOKEN_LIFETIME = dt.timedelta(seconds=50)  # LINE: about a minute after the event; keep a margin
STALE_CLAIM = dt.timedelta(minutes=5)
RELEASE_EVERY_S = 60.0  # how often the running worker puts back claims older than STALE_CLAIM
MAX_EVENT_ATTEMPTS = 3  # an event whose transaction fails this often is marked failed (its user moves on)


class BotWorker:
    """Processes the inbox and delivers the outbox.

    Args:
        engine: the application database.
        dispatcher: turns events into replies.
        channels: the channels wired in this process, each under its ``name`` (LINE's: ``bot.line.channel``).
        batch_size: rows claimed per round.
        jobs: further work (e.g. notifying staff of new tickets), run in a loop of their own beside the outbox;
            each returns how much it did.
        clock: the current time (UTC), for claims and retry times; tests move it forward.
    """

    def __init__(self, engine: Engine, dispatcher: EventDispatcher, channels: Sequence[Channel], batch_size: int = 20,
                 jobs: Sequence[Callable[[], Awaitable[int]]] = (),
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.engine = engine
        self.dispatcher = dispatcher
        self.channels: dict[str, Channel] = {channel.name: channel for channel in channels}
        self.batch_size = batch_size
        self.jobs = list(jobs)
        self.clock = clock
        self._skip_locked = engine.dialect.name == "postgresql"
        # Outcomes known but not yet written (the database failed): row id -> result, None = release the row.
        self._unrecorded: dict[int, DeliveryResult | None] = {}
        # Rounds of each loop of ``run`` ("inbox", "outbox", "jobs") completed so far, failed ones included. Two
        # more inbox rounds than at some moment mean a whole round began after it: whatever the inbox held then
        # has been handled. Tests wait on it to see that nothing happened, instead of sleeping a guessed time.
        self.rounds: Counter[str] = Counter()

    # -- inbox ---------------------------------------------------------------------------------------------------
    def release_stale_claims(self, older_than: dt.timedelta = STALE_CLAIM) -> int:
        """Put back events and deliveries claimed by a worker that died (called at start-up too)."""
        cutoff = self.clock() - older_than
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
        now = self.clock()
        query = (
            select(model)
            .where(col(model.status) == "pending", or_(col(model.line_user_id).is_(None), ~blocked))
            .order_by(col(model.id))
            .limit(self.batch_size)
        )
        if model is OutboxMessage:  # a delivery waiting for its retry time is not due yet
            due = col(OutboxMessage.next_attempt_at)
            query = query.where(or_(due.is_(None), due <= now))
        if self._skip_locked:
            query = query.with_for_update(skip_locked=True)
        candidates = [row.id for row in session.exec(query).scalars()]  # type: ignore[call-overload]
        if not candidates:
            session.commit()
            return []
        taken = session.exec(
            update(model).where(col(model.id).in_(candidates), col(model.status) == "pending")
            .values(status=working_status, claimed_at=now).returning(col(model.id))
            .execution_options(synchronize_session=False)
        ).scalars().all()
        taken_rows = select(model).where(col(model.id).in_(taken)).order_by(col(model.id))
        rows = list(session.exec(taken_rows).scalars())  # type: ignore[call-overload]
        session.commit()
        return rows

    def process_inbox(self) -> int:
        """Handle every claimable event; return how many were handled. An event whose transaction fails is put
        back (see ``_put_back``) and the rest of the claim is still handled."""
        handled = 0
        with Session(self.engine) as session:
            claimed = [event.id for event in self._claim(session, InboxEvent, "processing")]
        for event_id in claimed:
            try:
                with _deferred_writes_session(self.engine) as session:
                    event = session.get(InboxEvent, event_id)
                    if event is None:
                        continue
                    # Its log lines carry LINE's webhookEventId; the event's text and user id are never logged.
                    with request_context(event.payload.get("webhookEventId")):
                        fields = event_fields(event.payload, event.line_user_id)
                        self._handle(session, event)
                        logger.info("inbox event %s handled", event_id, extra=fields)
                    handled += 1
            except Exception:
                logger.exception("inbox event %s: database error; it will be retried", event_id)
                self._put_back(event_id)
        return handled

    def _put_back(self, event_id: int | None) -> None:
        """Count the failed try of an event whose transaction was rolled back (its replies were not stored) and
        make it ``pending`` again, or ``failed`` after ``MAX_EVENT_ATTEMPTS`` tries. If the database is still
        failing, the periodic release of stale claims puts it back later."""
        failed = col(InboxEvent.attempts) + 1 >= MAX_EVENT_ATTEMPTS
        try:
            with Session(self.engine) as session:
                session.exec(update(InboxEvent).where(col(InboxEvent.id) == event_id,
                                                      col(InboxEvent.status) == "processing").values(
                    attempts=col(InboxEvent.attempts) + 1, last_error="database error",
                    status=case((failed, "failed"), else_="pending")))
                session.commit()
        except Exception:
            logger.exception("inbox event %s could not be put back; released when its claim is stale", event_id)

    def _handle(self, session: Session, event: InboxEvent) -> None:
        """Read ``event`` through its channel, answer it, and store the replies as that channel renders them."""
        event_id = event.id
        event.attempts += 1
        channel = self.channels.get(event.channel)
        if channel is None:
            logger.error("inbox event %s: its channel is not wired in this worker", event_id)
            _mark(session, event_id, "failed", f"unknown channel {event.channel}")
            return
        try:
            inbound = channel.read(session, event, as_utc(event.received_at))
            replies = inbound.replies if inbound.incoming is None else self.dispatcher.handle(
                session=session, event=inbound.incoming, now=inbound.at)
            messages = channel.render(replies)
        except Exception:
            session.rollback()
            logger.exception("inbox event %s failed", event_id)
            _mark(session, event_id, "failed", "conversation error")
            return
        still_stored = session.get(InboxEvent, event_id) is not None  # "データ削除" removes it
        if messages and inbound.reply_to:  # a LINE group's answer goes to the group
            session.add(OutboxMessage(
                line_user_id=inbound.reply_to, channel=channel.name,
                inbox_event_id=event_id if still_stored else None, messages=messages,
                reply_token=inbound.reply_token, reply_token_expires_at=inbound.at + REPLY_TOKEN_LIFETIME,
                retry_key=str(uuid.uuid4()),
            ))
        if still_stored:
            event.status, event.processed_at = "done", self.clock()
            session.add(event)
        session.commit()

    # -- outbox --------------------------------------------------------------------------------------------------
    async def deliver_outbox(self) -> int:
        """Send every claimable outbox row at once and record each outcome as soon as it is known; return how
        many were delivered. A claim holds at most one row per user, so sending them together keeps each user's
        order. The database work runs in threads: in the web app, the event loop is answering LINE's webhooks.
        Outcomes that could not be recorded in an earlier round are written first (raises if that still fails).
        """
        await self.record_unrecorded()
        claimed = await asyncio.to_thread(self._claim_outbox)
        if not claimed:
            return 0
        delivered = await asyncio.gather(*(self._deliver(row_id, channel, outgoing)
                                           for row_id, channel, outgoing in claimed))
        return sum(delivered)

    async def record_unrecorded(self) -> None:
        """Write the outcomes kept in memory after a database error; raises (keeping the rest) if it fails again.

        Until then those rows stay ``sending``, claimed by this worker, so nothing sends them again meanwhile.
        """
        for row_id, result in list(self._unrecorded.items()):
            await asyncio.to_thread(self._record, row_id, result)
            del self._unrecorded[row_id]

    def _claim_outbox(self) -> list[tuple[int, Channel, Outgoing]]:
        """Claim rows and count their first request, committed before anything is sent.

        A row whose reply token is still unused and valid is marked ``reply_attempted_at`` here: found again
        without an outcome (a crash, a failed round, a released claim), it is pushed with its retry key, never
        replied a second time. A row that already used up its attempts (or whose channel is not wired here) is
        marked failed instead of sent.
        """
        now = self.clock()
        with Session(self.engine) as session:
            rows = self._claim(session, OutboxMessage, "sending")
            claimed = []
            for row in rows:
                assert row.id is not None
                channel = self.channels.get(row.channel)
                if channel is None or row.attempts >= channel.max_attempts:
                    row.status, row.outcome = "failed", Delivery.FAILED.value
                    row.last_error = (f"unknown channel {row.channel}" if channel is None
                                      else f"outcome unknown after {row.attempts} attempts")
                    logger.warning("outbox row %s failed: %s", row.id, row.last_error)
                else:
                    claimed.append((row.id, channel, self._outgoing(row, now)))
                    row.attempts += 1
                session.add(row)
            session.commit()
        return claimed

    @staticmethod
    def _outgoing(row: OutboxMessage, now: dt.datetime) -> Outgoing:
        """What to send for ``row``; marks the row when its reply token is about to be used."""
        expires = as_utc(row.reply_token_expires_at)
        reply = (row.reply_token is not None and row.reply_attempted_at is None
                 and (expires is None or now < expires))
        if reply:
            row.reply_attempted_at = now
        return Outgoing(row.line_user_id, row.messages, row.retry_key, row.reply_token if reply else None,
                        expires if reply else None, previous_attempts=row.attempts)

    async def _deliver(self, row_id: int, channel: Channel, outgoing: Outgoing) -> bool:
        with request_context(outgoing.retry_key):  # its log lines carry the delivery's X-Line-Retry-Key
            return await self._deliver_row(row_id, channel, outgoing)

    async def _deliver_row(self, row_id: int, channel: Channel, outgoing: Outgoing) -> bool:
        result: DeliveryResult | None
        try:
            result = await channel.deliver(outgoing, _AttemptCounter(self.engine, row_id))
        except Exception:
            # Outcome unknown: back to pending, to be pushed with the same retry key (its attempts are counted).
            logger.exception("delivery of outbox row %s failed; it will be retried as a push", row_id)
            result = None
        try:
            await asyncio.to_thread(self._record, row_id, result)
        except Exception:
            logger.exception("outbox row %s: its outcome could not be recorded; kept for the next round", row_id)
            self._unrecorded[row_id] = result
        return result is not None and result.delivered

    def _record(self, row_id: int, result: DeliveryResult | None) -> None:
        if result is None:
            _release_row(self.engine, row_id)
        else:
            self._record_delivery(row_id, result)

    def _record_delivery(self, row_id: int, result: DeliveryResult) -> None:
        with Session(self.engine) as session:
            row = session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.last_error = result.error
            if result.outcome is Delivery.RETRY:  # due again later; other rows are claimed meanwhile
                row.status, row.outcome = "pending", None
                row.next_attempt_at = self.clock() + dt.timedelta(seconds=result.retry_after or 0.0)
                session.add(row)
                session.commit()
                return
            row.outcome = result.outcome.value
            row.status = "delivered" if result.delivered else "failed"
            row.delivered_at = self.clock() if result.delivered else None
            if result.delivered and session.get(LineUser, row.line_user_id) is None:
                session.delete(row)  # the user asked for "データ削除": keep nothing after the confirmation
            else:
                session.add(row)
            session.commit()

    async def run(self, stop: asyncio.Event, idle_seconds: float = 0.2,
                  release_every: float = RELEASE_EVERY_S) -> None:
        """Until ``stop`` is set, three loops side by side: the inbox (the conversation, in a thread), the outbox,
        and the further jobs, so replies go out while the next events are answered (the embedder releases the
        GIL) and a slow notifier never holds a reply. Each pauses briefly after a round with nothing to do;
        stored replies wake the outbox. Every ``release_every`` seconds (and at start-up) claims older than
        ``STALE_CLAIM`` are released, so a delivery whose round failed or whose worker died is never left in
        ``sending``; outcomes this worker could not record are written first. Each loop counts its completed
        rounds in ``rounds``.
        """
        replies_stored = asyncio.Event()
        next_release = 0.0

        async def inbox_round() -> int:
            handled = await asyncio.to_thread(self.process_inbox)
            if handled:
                replies_stored.set()
            return handled

        async def outbox_round() -> int:
            nonlocal next_release
            replies_stored.clear()
            if time.monotonic() >= next_release:
                await self.record_unrecorded()  # never release a claim whose outcome this worker knows
                # Only claims older than STALE_CLAIM: a younger one may belong to another worker that is alive.
                next_release = time.monotonic() + release_every
                await asyncio.to_thread(self.release_stale_claims)
            return await self.deliver_outbox()

        async def jobs_round() -> int:
            done = 0
            for job in self.jobs:
                done += await job()
            return done

        await asyncio.gather(self._repeat("inbox", inbox_round, stop, idle_seconds),
                             self._repeat("outbox", outbox_round, stop, idle_seconds, wake=replies_stored),
                             self._repeat("jobs", jobs_round, stop, idle_seconds))

    async def _repeat(self, loop: str, round_: Callable[[], Awaitable[int]], stop: asyncio.Event,
                      idle_seconds: float, wake: asyncio.Event | None = None) -> None:
        """Run ``round_`` until ``stop`` is set, counting each round in ``rounds[loop]``; after a round that did
        nothing, wait ``idle_seconds`` or for ``stop`` or ``wake``."""
        while not stop.is_set():
            try:
                done = await round_()
            except Exception:
                logger.exception("bot worker round failed; retrying")
                done = 0
            self.rounds[loop] += 1
            if not done:
                waiters = [asyncio.ensure_future(event.wait()) for event in (stop, wake) if event is not None]
                await asyncio.wait(waiters, timeout=idle_seconds, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()


class _AttemptCounter:
    """The sender's ``before_call`` for one outbox row: commits ``attempts + 1`` before each request.

    The claim has already counted the first request (and marked a reply), so only later ones are written here.
    """

    def __init__(self, engine: Engine, row_id: int) -> None:
        self.engine, self.row_id, self._precounted = engine, row_id, True

    async def __call__(self, kind: CallKind) -> None:
        if self._precounted:
            self._precounted = False
            return
        await asyncio.to_thread(self._count, kind == "reply")

    def _count(self, reply: bool) -> None:
        values: dict[str, Any] = {"attempts": col(OutboxMessage.attempts) + 1}
        if reply:
            values["reply_attempted_at"] = utcnow()
        with Session(self.engine) as session:
            session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == self.row_id).values(**values))
            session.commit()


def _release_row(engine: Engine, row_id: int) -> None:
    """Put a row whose delivery ended in an unexpected error back to ``pending`` (it is pushed next round)."""
    with Session(engine) as session:
        session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == row_id,
                                                 col(OutboxMessage.status) == "sending").values(status="pending"))
        session.commit()


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
