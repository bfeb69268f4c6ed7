"""Issue 12: each delivery is tried at most N times across restarts, then failed with its reason (listed for the
console without text or LINE user id); no row stays ``sending``; aiohttp errors count as network errors."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
import uuid
from typing import Any

import aiohttp
import pytest
from sqlmodel import Session

from bot.conversation import Conversation
from bot.line.client import CallKind, Delivery, LineSender, Outgoing
from bot.line.messages import text_messages
from bot.models import LineUser, OutboxMessage
from bot.postback import PostbackSigner
from bot.worker import BotWorker
from core.clock import utcnow
from core.db import make_engine
from handoff.deliveries import failed_deliveries
from handoff.models import Ticket, TicketMessage
from retrieval.engine import Retriever
from tests.test_line_client import NOW, FakeMessagingApi, api_error, assert_requests_match_spec, deliver, outgoing
from tests.utils.desk import dispatcher
from tests.utils.line import line_channels
from tests.utils.waiting import wait_for
from tsunagu.db import migrate

USER, OTHER = "U" + "a" * 32, "U" + "b" * 32
TEXT = "粗大ごみは事前の申込みが必要です。"


class Killed(BaseException):
    """The worker process dies here."""


class Outbox:
    """A database with outbox rows and workers (each a new process) that deliver them through ``api``."""

    def __init__(self, url: str, retriever: Retriever, api: FakeMessagingApi, max_attempts: int = 5) -> None:
        migrate(url)
        self.engine = make_engine(url)
        self.api, self.retriever, self.max_attempts = api, retriever, max_attempts
        with Session(self.engine) as session:  # delivered rows of unknown users are deleted (データ削除)
            session.add_all([LineUser(user_id=USER), LineUser(user_id=OTHER)])
            session.commit()

    def worker(self) -> BotWorker:
        sender = LineSender(self.api, max_attempts=self.max_attempts, base_delay=0.0)
        return BotWorker(self.engine, dispatcher(Conversation(self.retriever, PostbackSigner("s"))),
                         line_channels(sender, self.retriever))

    def add(self, user: str = USER, *, reply_token: str | None = None, **fields: Any) -> int:
        with Session(self.engine) as session:
            row = OutboxMessage(line_user_id=user, messages=text_messages(TEXT), retry_key=str(uuid.uuid4()),
                                reply_token=reply_token,
                                reply_token_expires_at=utcnow() + dt.timedelta(seconds=50) if reply_token else None,
                                **fields)
            session.add(row)
            session.commit()
            assert row.id is not None
            return row.id

    def row(self, row_id: int) -> OutboxMessage:
        with Session(self.engine) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            return row

    def life(self) -> None:
        """A new worker process: release the dead one's claims, deliver once."""
        worker = self.worker()
        worker.release_stale_claims(older_than=dt.timedelta(0))
        asyncio.run(worker.deliver_outbox())


@pytest.fixture
def outbox(database_url: str, mini_retriever: Retriever) -> Outbox:
    return Outbox(database_url, mini_retriever, FakeMessagingApi())


def test_a_crash_loop_stops_after_max_attempts_in_total(database_url: str, mini_retriever: Retriever) -> None:
    api = FakeMessagingApi(replies=[Killed()], pushes=[Killed()] * 10)  # every request kills the worker
    outbox = Outbox(database_url, mini_retriever, api, max_attempts=3)
    row_id = outbox.add(reply_token="nHuyWiB7yP5Zw52FIkcQobQuGDXCTA")
    for _ in range(3):
        with pytest.raises(Killed):
            outbox.life()
    outbox.life()  # the fourth start sends nothing more
    outbox.life()
    assert [kind for kind, _, _ in api.calls] == ["reply", "push", "push"]  # never a second reply
    assert len({key for kind, _, key in api.calls if kind == "push"}) == 1
    row = outbox.row(row_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "outcome unknown after 3 attempts")
    assert_requests_match_spec(api)


def test_retries_are_counted_before_each_request(database_url: str, mini_retriever: Retriever) -> None:
    api = FakeMessagingApi(pushes=[api_error(500), api_error(500), Killed()])
    outbox = Outbox(database_url, mini_retriever, api, max_attempts=4)
    row_id = outbox.add()
    outbox.life()  # 500: due again (at once: base_delay 0)
    outbox.life()  # 500 again
    with pytest.raises(Killed):
        outbox.life()
    assert outbox.row(row_id).attempts == 3  # the request that killed the worker was counted before it was sent
    outbox.life()
    row = outbox.row(row_id)
    assert (row.status, row.outcome, row.attempts) == ("delivered", "pushed", 4)
    assert len(api.calls) == 4


def test_a_refused_push_fails_with_its_reason_and_is_listed_without_text(outbox: Outbox) -> None:
    outbox.api.push_script = [api_error(400)]
    row_id = outbox.add()
    outbox.life()
    row = outbox.row(row_id)
    assert (row.status, row.outcome, row.attempts, row.last_error) == ("failed", "failed", 1, "HTTP 400")
    with Session(outbox.engine) as session:
        [failed] = failed_deliveries(session, limit=10)
    assert (failed.id, failed.attempts, failed.reason, failed.for_ticket) == (row_id, 1, "HTTP 400", False)
    assert failed.created_at.tzinfo is not None
    assert TEXT not in repr(failed) and USER not in repr(failed)


def test_failed_deliveries_name_the_ticket_newest_first_and_respect_the_limit(outbox: Outbox) -> None:
    delivered, bot_answer, staff_answer, other = (outbox.add(), outbox.add(OTHER), outbox.add(), outbox.add())
    outbox.api.push_script = [None, api_error(403), api_error(403), api_error(403)]  # the first one succeeds
    with Session(outbox.engine) as session:
        ticket = Ticket(line_user_id=USER, question="質問", team="市民課")
        session.add(ticket)
        session.flush()
        assert ticket.id is not None
        session.add(TicketMessage(ticket_id=ticket.id, author="staff", text="回答", outbox_message_id=staff_answer))
        session.commit()
        ticket_id = ticket.id
    for _ in range(3):  # one row per user per claim
        outbox.life()
    with Session(outbox.engine) as session:
        listed = failed_deliveries(session, limit=10)
        assert [f.id for f in failed_deliveries(session, limit=2)] == [other, staff_answer]
    assert [(f.id, f.ticket_id, f.reason) for f in listed] == [
        (other, None, "HTTP 403"), (staff_answer, ticket_id, "HTTP 403"), (bot_answer, None, "HTTP 403")]
    assert delivered not in [f.id for f in listed]


def test_a_failed_round_is_retried_as_a_push_with_the_same_key(outbox: Outbox) -> None:
    row_id = outbox.add(reply_token="nHuyWiB7yP5Zw52FIkcQobQuGDXCTA")
    worker = outbox.worker()
    sender = worker.channels["line"].sender  # type: ignore[attr-defined]

    async def broken_after_sending(item: Outgoing, before_call: Any) -> Any:
        await LineSender.send(sender, item, before_call)
        raise RuntimeError("the database went away")

    sender.send = broken_after_sending
    assert asyncio.run(worker.deliver_outbox()) == 0
    assert outbox.row(row_id).status == "pending"  # not left in `sending`: its outcome is unknown
    outbox.life()
    [(first, _, _), (second, _, key)] = outbox.api.calls
    assert (first, second, key) == ("reply", "push", outbox.row(row_id).retry_key)
    row = outbox.row(row_id)
    assert (row.status, row.attempts) == ("delivered", 2)


def test_the_running_worker_releases_stale_claims_periodically(outbox: Outbox) -> None:
    worker = outbox.worker()
    stop = threading.Event()

    def run() -> None:
        async def until_stopped() -> None:
            done = asyncio.Event()
            task = asyncio.create_task(worker.run(done, idle_seconds=0.01, release_every=0.0))
            while not stop.is_set():
                await asyncio.sleep(0.01)
            done.set()
            await task

        asyncio.run(until_stopped())

    thread = threading.Thread(target=run)
    thread.start()
    try:
        first = outbox.add()
        wait_for(lambda: outbox.row(first).status == "delivered", timeout=20, interval=0.02,
                 message="the first reply delivered")  # running, past its start-up release
        claimed_long_ago = utcnow() - dt.timedelta(minutes=10)
        stale = outbox.add(OTHER, status="sending", claimed_at=claimed_long_ago, attempts=1)
        wait_for(lambda: outbox.row(stale).status == "delivered", timeout=20, interval=0.02,
                 message="the stale claim released and delivered")
    finally:
        stop.set()
        thread.join()
    assert [key for _, _, key in outbox.api.calls] == [outbox.row(first).retry_key, outbox.row(stale).retry_key]


# -- the sender alone ----------------------------------------------------------------------------------------------
def send(api: FakeMessagingApi, item: Outgoing, max_attempts: int = 4) -> tuple[Any, list[str]]:
    log: list[str] = []

    async def before_call(kind: CallKind) -> None:
        log.append(f"count {kind} (LINE has {len(api.calls)} call(s))")

    sender = LineSender(api, max_attempts=max_attempts, base_delay=0.0, now=lambda: NOW)
    result = asyncio.run(sender.send(item, before_call))
    return result, log


def test_aiohttp_errors_are_network_errors() -> None:
    api = FakeMessagingApi(pushes=[aiohttp.ServerDisconnectedError(), aiohttp.ClientPayloadError("cut")])
    result, _ = deliver(api, outgoing(expires_in=None))
    assert (result.outcome, result.attempts) == (Delivery.PUSHED, 3)


def test_each_request_is_counted_before_it_is_sent() -> None:
    api = FakeMessagingApi(replies=[api_error(400)], pushes=[api_error(500)])
    result, log = send(api, outgoing())
    assert result.outcome is Delivery.RETRY
    assert log == ["count reply (LINE has 0 call(s))", "count push (LINE has 1 call(s))"]
    result, log = send(api, dataclasses.replace(outgoing(), previous_attempts=2, reply_token=None))
    assert result.outcome is Delivery.PUSHED
    assert log == ["count push (LINE has 2 call(s))"]


def test_attempts_made_before_a_restart_use_up_the_budget() -> None:
    api = FakeMessagingApi(pushes=[TimeoutError()] * 5)
    item = Outgoing(USER, text_messages(TEXT), str(uuid.uuid4()), previous_attempts=2)
    result, _ = send(api, item, max_attempts=4)
    assert (result.outcome, result.attempts) == (Delivery.RETRY, 1)
    result, _ = send(api, dataclasses.replace(item, previous_attempts=3), max_attempts=4)
    assert (result.outcome, result.attempts, result.error) == (
        Delivery.FAILED, 1, "outcome unknown after 4 attempts (TimeoutError)")
    spent = Outgoing(USER, text_messages(TEXT), str(uuid.uuid4()), previous_attempts=4)
    assert send(api, spent, max_attempts=4)[0].error == "outcome unknown after 4 attempts"
    assert len(api.calls) == 2


def test_a_reply_with_unknown_outcome_is_followed_by_the_keyed_push_only() -> None:
    api = FakeMessagingApi(replies=[TimeoutError()], pushes=[api_error(409)])
    result, _ = send(api, outgoing())
    assert result.outcome is Delivery.ALREADY_ACCEPTED
    assert [kind for kind, _, _ in api.calls] == ["reply", "push"]
    assert api.calls[1][2] == "123e4567-e89b-12d3-a456-426614174000"
