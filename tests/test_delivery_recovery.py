"""Issue 12: a 2xx from LINE is delivered whatever its body, and no answer is sent twice after a restart.

A real HTTP fake of LINE (``tests/utils/misbehaving_line.py``) answers ``200 {}``, ``200`` with a body that is
not JSON, or accepts the request and then hangs past the client's timeout; or the worker process dies between
sending and recording. Each case runs three lives of the worker on one database (SQLite and PostgreSQL): by
push, every citizen gets exactly one answer; by reply, no reply token is used twice and at most the one keyed
push follows (LINE's reply endpoint has no retry key).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from linebot.v3.messaging import AsyncMessagingApi, Configuration
from sqlmodel import Session, select

from bot.conversation import Conversation
from bot.line.client import BeforeCall, DeliveryResult, LineApiClient, LineSender, Outgoing, count_nothing
from bot.line.inbox import store_events
from bot.models import OutboxMessage
from bot.postback import PostbackSigner
from bot.worker import BotWorker
from core.db import make_engine
from retrieval.engine import Retriever
from tests.utils.desk import dispatcher
from tests.utils.line import line_channels
from tests.utils.misbehaving_line import MisbehavingLineApi
from tests.utils.servers import serve
from tsunagu.db import migrate

USERS = [f"U{number:032x}" for number in range(1, 4)]
QUESTION = "ありがとう"
ANSWER = "どういたしまして。ほかにも知りたいことがあれば、いつでも送ってください。"
TIMEOUT_S = 2.0  # the client's timeout; the hanging fake waits until the test ends
LIVES = 3  # the first run and two restarts


def event(user: str, *, reply: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "message", "webhookEventId": f"ev-{user}", "timestamp": 1, "mode": "active",
        "source": {"type": "user", "userId": user}, "deliveryContext": {"isRedelivery": False},
        "message": {"type": "text", "id": user[-4:], "text": QUESTION},
    }
    if reply:
        payload["replyToken"] = f"rt-{user}"
    return payload


class Killed(BaseException):
    """The worker process dies here (not an ``Exception``: nothing in the worker may handle it)."""


class DyingSender(LineSender):
    """Sends, then dies before the worker can record the outcome, once every row of the claim reached LINE."""

    def __init__(self, *args: Any, rows: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.barrier: asyncio.Barrier | None = None

    async def send(self, outgoing: Outgoing, before_call: BeforeCall = count_nothing) -> DeliveryResult:
        self.barrier = self.barrier or asyncio.Barrier(self.rows)
        await super().send(outgoing, before_call)
        await self.barrier.wait()
        raise Killed


class City:
    """One database, one fake LINE, and the lives of the worker process."""

    def __init__(self, db_url: str, line_url: str, fake: MisbehavingLineApi, retriever: Retriever) -> None:
        migrate(db_url)
        self.db_url, self.line_url, self.fake, self.retriever = db_url, line_url, fake, retriever

    def receive(self, *, reply: bool) -> None:
        engine = make_engine(self.db_url)
        with Session(engine) as session:
            store_events(session=session, events=[event(user, reply=reply) for user in USERS])
            session.commit()
        engine.dispose()

    def live(self, *, dies: bool = False) -> None:
        """One life of a worker process: release the claims of a dead one, answer the inbox, deliver once."""

        async def life() -> None:
            engine = make_engine(self.db_url)
            try:
                async with LineApiClient(Configuration(host=self.line_url, access_token="token")) as client:
                    api = AsyncMessagingApi(client)
                    sender = (DyingSender(api, rows=len(USERS), timeout=TIMEOUT_S, base_delay=0.0) if dies
                              else LineSender(api, timeout=TIMEOUT_S, base_delay=0.0))
                    worker = BotWorker(engine, dispatcher(Conversation(self.retriever, PostbackSigner("s"))),
                                       line_channels(sender, self.retriever))
                    await asyncio.to_thread(worker.release_stale_claims, dt.timedelta(0))
                    await asyncio.to_thread(worker.process_inbox)
                    await worker.deliver_outbox()
            finally:
                engine.dispose()

        asyncio.run(life())

    def outbox(self) -> list[OutboxMessage]:
        engine = make_engine(self.db_url)
        with Session(engine) as session:
            rows = list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())  # type: ignore[arg-type]
        engine.dispose()
        return rows

    def assert_every_request_matched_the_spec(self) -> None:
        assert self.fake.received
        assert self.fake.spec_errors() == []
        assert all(call.body["messages"][0]["text"] == ANSWER for call in self.fake.accepted)


@pytest.fixture
def city(request: pytest.FixtureRequest, database_url: str, mini_retriever: Retriever) -> Iterator[City]:
    """The parameter is how the fake LINE answers an accepted request."""
    fake = MisbehavingLineApi(answer=request.param, hang_s=60.0)
    with serve(fake.app()) as url:
        try:
            yield City(database_url, url, fake, mini_retriever)
        finally:
            fake.close()


ANSWERS = ["empty", "not_json", "hang"]


@pytest.mark.parametrize("city", ANSWERS, indirect=True)
def test_push_reaches_each_citizen_exactly_once_across_restarts(city: City,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    city.receive(reply=False)
    with caplog.at_level(logging.INFO):
        city.live()
    rows = city.outbox()
    # Recorded in the first life, not left in `sending`: delivered, or (no answer) due again at once.
    assert {row.status for row in rows} == {"pending" if city.fake.answer == "hang" else "delivered"}
    for _ in range(LIVES - 1):
        city.live()
    assert city.fake.answers_per_user() == {user: 1 for user in USERS}
    assert sorted(row.retry_key for row in rows) == sorted(str(call.retry_key) for call in city.fake.accepted)
    assert {(row.status, row.outcome) for row in city.outbox()} == {
        ("delivered", "already_accepted" if city.fake.answer == "hang" else "pushed")}
    city.assert_every_request_matched_the_spec()
    assert all(QUESTION not in r.getMessage() and ANSWER not in r.getMessage() for r in caplog.records)
    assert all(user not in r.getMessage() for user in USERS for r in caplog.records)


@pytest.mark.parametrize("city", ["empty", "not_json"], indirect=True)
def test_unreadable_2xx_is_logged_once_with_status_and_request_id(city: City,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    city.receive(reply=False)
    with caplog.at_level(logging.WARNING, logger="bot.line.client"):
        city.live()
    logged = [r.getMessage() for r in caplog.records if "could not be read" in r.getMessage()]
    assert len(logged) == len(USERS)  # one line per delivery
    assert all("HTTP 200" in line and "x-line-request-id req-" in line for line in logged)


@pytest.mark.parametrize("city", ANSWERS, indirect=True)
def test_reply_is_never_repeated_and_at_most_one_keyed_push_follows(city: City) -> None:
    city.receive(reply=True)
    for _ in range(LIVES):
        city.live()
    assert city.fake.replies_per_token() == {f"rt-{user}": 1 for user in USERS}
    assert ("reply", 400) not in city.fake.refused  # no used token was ever sent again
    pushes = city.fake.answers_per_user()
    assert all(pushes[user] <= 1 for user in USERS)
    if city.fake.answer == "hang":  # the reply's outcome was unknown: pushed once with the row's key
        assert {call.retry_key for call in city.fake.accepted if call.kind == "push"} == {
            row.retry_key for row in city.outbox()}
    else:  # a readable 2xx or not, the reply counted as delivered
        assert pushes == {}
        assert {(row.status, row.outcome, row.attempts) for row in city.outbox()} == {("delivered", "replied", 1)}
    assert {row.status for row in city.outbox()} == {"delivered"}
    city.assert_every_request_matched_the_spec()


@pytest.mark.parametrize("city", ["sent"], indirect=True)
def test_worker_killed_between_push_and_record_pushes_once(city: City) -> None:
    city.receive(reply=False)
    with pytest.raises(Killed):
        city.live(dies=True)
    assert {row.status for row in city.outbox()} == {"sending"}  # the outcome was never recorded
    for _ in range(LIVES - 1):
        city.live()
    assert city.fake.answers_per_user() == {user: 1 for user in USERS}
    assert [status for _, status in city.fake.refused] == [409] * len(USERS)  # the retry found LINE had it
    assert {(row.status, row.outcome) for row in city.outbox()} == {("delivered", "already_accepted")}
    city.assert_every_request_matched_the_spec()


@pytest.mark.parametrize("city", ["sent"], indirect=True)
def test_worker_killed_between_reply_and_record_never_replies_again(city: City) -> None:
    city.receive(reply=True)
    with pytest.raises(Killed):
        city.live(dies=True)
    for _ in range(LIVES - 1):
        city.live()
    assert city.fake.replies_per_token() == {f"rt-{user}": 1 for user in USERS}
    assert city.fake.refused == []  # the used reply token was not tried again
    # The documented crash window: the reply had reached LINE, so the one keyed push is a duplicate.
    assert city.fake.answers_per_user() == {user: 1 for user in USERS}
    assert {(row.status, row.outcome) for row in city.outbox()} == {("delivered", "pushed")}
    city.assert_every_request_matched_the_spec()
