"""Issue 10: a retried delivery waits in the database (``next_attempt_at``), never in the worker's round, and
LINE's monthly-quota 429 fails at once with a reason staff can read; on SQLite and PostgreSQL.

The worker's clock is moved by hand: no test sleeps or times anything.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from linebot.v3.messaging import AsyncMessagingApi, Configuration
from sqlmodel import Session

from bot.conversation import Conversation
from bot.line.client import MONTHLY_LIMIT_ERROR, LineApiClient, LineSender, MessagingApi
from bot.line.messages import text_messages
from bot.models import LineUser, OutboxMessage
from bot.postback import PostbackSigner
from bot.worker import BotWorker
from core.clock import as_utc
from core.db import make_engine
from handoff.deliveries import failed_deliveries
from retrieval.engine import Retriever
from tests.test_line_client import FakeMessagingApi, api_error
from tests.utils.desk import dispatcher as make_dispatcher
from tests.utils.line import line_channels
from tests.utils.servers import serve
from tests.utils.waiting import wait_for_async
from tsunagu.db import migrate

USER, OTHER = "U" + "a" * 32, "U" + "b" * 32
START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."
MONTHLY_LIMIT = "You have reached your monthly limit."  # LINE's body for the message quota (handling-http-429-errors)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class Outbox:
    """Outbox rows of two users and workers (each one a new process) that share a clock."""

    def __init__(self, url: str, retriever: Retriever, max_attempts: int = 5) -> None:
        migrate(url)
        self.engine = make_engine(url)
        self.retriever, self.max_attempts, self.clock = retriever, max_attempts, Clock()
        with Session(self.engine) as session:
            session.add_all([LineUser(user_id=USER), LineUser(user_id=OTHER)])
            session.commit()

    def add(self, user: str, text: str = "こんにちは。") -> int:
        with Session(self.engine) as session:
            row = OutboxMessage(line_user_id=user, messages=text_messages(text), retry_key=str(uuid.uuid4()))
            session.add(row)
            session.commit()
            assert row.id is not None
            return row.id

    def worker(self, api: MessagingApi) -> BotWorker:
        sender = LineSender(api, max_attempts=self.max_attempts, base_delay=1.0, now=self.clock)
        dispatcher = make_dispatcher(Conversation(self.retriever, PostbackSigner("s")))
        return BotWorker(self.engine, dispatcher, line_channels(sender, self.retriever), clock=self.clock)

    def round(self, api: MessagingApi) -> int:
        return asyncio.run(self.worker(api).deliver_outbox())

    def row(self, row_id: int) -> OutboxMessage:
        with Session(self.engine) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            return row

    def waits_until(self, row_id: int) -> dt.datetime | None:
        due = self.row(row_id).next_attempt_at
        return as_utc(due) if due is not None else None


@pytest.fixture
def outbox(database_url: str, mini_retriever: Retriever) -> Iterator[Outbox]:
    outbox = Outbox(database_url, mini_retriever)
    yield outbox
    outbox.engine.dispose()


def pushed_to(api: FakeMessagingApi) -> list[str]:
    return [body["to"] for kind, body, _ in api.calls if kind == "push"]


def test_a_backoff_waits_in_the_database_while_other_users_are_answered(outbox: Outbox) -> None:
    first, later, other = outbox.add(USER, "一通目"), outbox.add(USER, "二通目"), outbox.add(OTHER)
    api = FakeMessagingApi(pushes=[api_error(503, retry_after="1")])  # USER's first push; the rest succeed
    assert outbox.round(api) == 1
    assert pushed_to(api) == [USER, OTHER]
    assert outbox.row(other).status == "delivered"
    row = outbox.row(first)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 503")
    assert outbox.waits_until(first) == START + dt.timedelta(seconds=1)  # LINE's Retry-After
    assert outbox.round(api) == 0  # not due yet: nothing sent, and the round did not wait for it
    assert pushed_to(api) == [USER, OTHER]
    assert outbox.row(later).status == "pending"  # the user's next message keeps its place behind the first
    outbox.clock.advance(1)
    assert outbox.round(api) == 1  # a new worker process: the retry time was kept in the database
    assert outbox.round(api) == 1
    texts = [body["messages"][0]["text"] for kind, body, _ in api.calls if body["to"] == USER]
    assert texts == ["一通目", "一通目", "二通目"]
    retry_keys = [key for _, body, key in api.calls if body["to"] == USER][:2]
    assert retry_keys == [outbox.row(first).retry_key] * 2
    assert (outbox.row(first).status, outbox.row(first).attempts) == ("delivered", 2)


def test_without_retry_after_the_wait_doubles_until_the_attempts_are_used_up(database_url: str,
                                                                             mini_retriever: Retriever) -> None:
    outbox = Outbox(database_url, mini_retriever, max_attempts=4)
    row_id = outbox.add(USER)
    api = FakeMessagingApi(pushes=[api_error(500), TimeoutError(), api_error(502), api_error(500)])
    waits = []
    for _ in range(3):
        assert outbox.round(api) == 0
        due = outbox.waits_until(row_id)
        assert due is not None and outbox.row(row_id).status == "pending"
        waits.append((due - outbox.clock.now).total_seconds())
        outbox.clock.now = due
    assert waits == [1.0, 2.0, 4.0]
    assert outbox.round(api) == 0
    row = outbox.row(row_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 4, "HTTP 500")
    assert len(api.calls) == 4


class QuotaLine:
    """A fake LINE over HTTP whose pushes are refused with 429: the monthly quota for one user, the request rate
    (with Retry-After) for the other."""

    def __init__(self) -> None:
        self.pushes: list[str] = []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v2/bot/message/push")
        async def push(request: Request) -> JSONResponse:
            to = (await request.json())["to"]
            self.pushes.append(to)
            if to == USER:
                return JSONResponse({"message": MONTHLY_LIMIT}, 429)
            return JSONResponse({"message": RATE_LIMITED}, 429, headers={"Retry-After": "30"})

        return app


def test_the_monthly_quota_429_fails_at_once_with_a_reason_staff_can_read(outbox: Outbox) -> None:
    quota, rate = outbox.add(USER), outbox.add(OTHER)
    fake = QuotaLine()

    async def round_over_http(url: str) -> None:
        async with LineApiClient(Configuration(host=url, access_token="token")) as client:
            await outbox.worker(AsyncMessagingApi(client)).deliver_outbox()

    with serve(fake.app()) as url:
        asyncio.run(round_over_http(url))
        outbox.clock.advance(30)
        asyncio.run(round_over_http(url))
    assert fake.pushes.count(USER) == 1  # never retried
    row = outbox.row(quota)
    assert (row.status, row.outcome, row.attempts, row.last_error) == ("failed", "failed", 1, MONTHLY_LIMIT_ERROR)
    other = outbox.row(rate)
    assert fake.pushes.count(OTHER) == 2  # the rate limit is retried, after LINE's Retry-After
    assert (other.status, other.attempts, other.last_error) == ("pending", 2, "HTTP 429")
    with Session(outbox.engine) as session:
        [listed] = failed_deliveries(session)
    assert listed.id == quota
    assert "今月" in listed.reason and "上限" in listed.reason and "HTTP 429" in listed.reason


def test_a_slow_job_never_holds_the_outbox(outbox: Outbox) -> None:
    """A notifier that is still waiting (here: until a reply stored after it started is out) does not stop
    replies from going out."""
    api = FakeMessagingApi()
    progress: list[str] = []
    stop = asyncio.Event()

    async def slow_job() -> int:
        if progress:
            return 0
        progress.append("job started")
        row_id = outbox.add(USER)  # a reply is stored while the job is busy
        while outbox.row(row_id).status != "delivered" and not stop.is_set():
            await asyncio.sleep(0.01)
        if not stop.is_set():
            progress.append("job saw the reply delivered")
        return 1

    async def main() -> None:
        worker = outbox.worker(api)
        worker.jobs = [slow_job]
        running = asyncio.create_task(worker.run(stop, idle_seconds=0.01))
        try:  # the timeout only ends a deadlock (the outbox waiting for the job): nothing is timed
            await wait_for_async(lambda: "job saw the reply delivered" in progress, timeout=30, interval=0.01,
                                 message="the slow job to see the reply delivered")
        finally:
            stop.set()
            await running

    asyncio.run(main())
    assert progress == ["job started", "job saw the reply delivered"]
    assert pushed_to(api) == [USER]
