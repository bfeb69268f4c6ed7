"""Issue 10: a database error at the worker's commit or while recording a delivery leaves no row stuck.

A commit is made to fail (``OperationalError``, as when PostgreSQL restarts) at the exact write the worker
makes: the event's transaction with its replies, or the record of a delivery LINE already accepted. The event
goes back to ``pending`` (retried, then failed after a few tries) and the other users of the claim are still
answered; a delivery's outcome is recorded at the next round, so the reply is never sent again. Requests are
counted at a fake LINE over real HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from linebot.v3.messaging import AsyncMessagingApi, Configuration
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.conversation import Conversation
from bot.line.client import LineApiClient, LineSender
from bot.line.inbox import store_events
from bot.models import InboxEvent, OutboxMessage
from bot.postback import PostbackSigner
from bot.worker import MAX_EVENT_ATTEMPTS, BotWorker
from core.db import make_engine
from retrieval.engine import Retriever
from tests.utils.desk import dispatcher
from tests.utils.line import line_channels
from tests.utils.misbehaving_line import MisbehavingLineApi
from tests.utils.servers import serve
from tsunagu.db import migrate

USER, OTHER = "U" + "c" * 32, "U" + "d" * 32
THANKS = "どういたしまして。ほかにも知りたいことがあれば、いつでも送ってください。"


def text_event(event_id: str, user: str, text: str = "ありがとう") -> dict[str, Any]:
    return {"type": "message", "webhookEventId": event_id, "replyToken": f"rt-{event_id}", "timestamp": 1,
            "mode": "active", "source": {"type": "user", "userId": user},
            "deliveryContext": {"isRedelivery": False}, "message": {"type": "text", "id": "1", "text": text}}


class FailingCommits:
    """Makes ``Session.commit`` raise ``OperationalError`` (after rolling back) while ``when(session)`` holds,
    at most ``times`` times."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, when: Callable[[Session], bool], times: int = 1) -> None:
        self.left, self.failed = times, 0
        original = Session.commit

        def commit(session: Session) -> None:
            if self.left and when(session):
                self.left -= 1
                self.failed += 1
                session.rollback()
                raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
            original(session)

        monkeypatch.setattr(Session, "commit", commit)


def stores_a_reply(session: Session) -> bool:
    """The worker's transaction for one event: its replies are about to be stored."""
    return any(isinstance(row, OutboxMessage) for row in session.new)


def stores_for(user: str) -> Callable[[Session], bool]:
    return lambda session: any(isinstance(row, OutboxMessage) and row.line_user_id == user for row in session.new)


def records_a_delivery(session: Session) -> bool:
    """The worker records that LINE accepted a delivery (the change may already be flushed)."""
    return any(isinstance(row, OutboxMessage) and row.status == "delivered" for row in session.identity_map.values())


class City:
    """One database, a fake LINE over HTTP, and one worker process that runs rounds."""

    def __init__(self, db_url: str, line_url: str, fake: MisbehavingLineApi, retriever: Retriever) -> None:
        migrate(db_url)
        self.engine = make_engine(db_url)
        self.line_url, self.fake, self.retriever = line_url, fake, retriever

    def receive(self, *events: dict[str, Any]) -> None:
        with Session(self.engine) as session:
            store_events(session=session, events=list(events))
            session.commit()

    def live(self, *steps: int | Callable[[], None]) -> None:
        """One life of a worker process: each step is a number of rounds (the inbox, then the outbox, as its
        loops run them) or something that happens meanwhile (a citizen writes)."""

        async def life() -> None:
            async with LineApiClient(Configuration(host=self.line_url, access_token="token")) as client:
                sender = LineSender(AsyncMessagingApi(client), base_delay=0.0)
                worker = BotWorker(self.engine, dispatcher(Conversation(self.retriever, PostbackSigner("s"))),
                                   line_channels(sender, self.retriever))
                for step in steps:
                    if callable(step):
                        step()
                        continue
                    for _ in range(step):
                        await asyncio.to_thread(worker.process_inbox)
                        await worker.deliver_outbox()

        asyncio.run(life())

    def statuses(self, model: Any) -> list[str]:
        with Session(self.engine) as session:
            return [row.status for row in session.exec(select(model).order_by(model.id)).all()]

    def answers(self) -> list[tuple[str, str]]:
        """(reply token or pushed-to user, text) of every request LINE accepted, in order."""
        return [(call.body.get("replyToken") or call.body["to"], call.body["messages"][0]["text"])
                for call in self.fake.accepted]


@pytest.fixture
def city(database_url: str, mini_retriever: Retriever) -> Iterator[City]:
    fake = MisbehavingLineApi(answer="sent")
    with serve(fake.app()) as url:
        city = City(database_url, url, fake, mini_retriever)
        try:
            yield city
        finally:
            city.engine.dispose()
            fake.close()


def test_a_failing_commit_puts_the_event_back_and_the_rest_of_the_claim_is_answered(
        city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    city.receive(text_event("u1", USER), text_event("o1", OTHER))
    faults = FailingCommits(monkeypatch, stores_for(USER))
    city.live(1)
    assert faults.failed == 1
    assert city.statuses(InboxEvent) == ["pending", "done"]  # retryable, not stuck in `processing`
    assert city.answers() == [("rt-o1", THANKS)]  # the other citizen of the claim was not held
    city.receive(text_event("u2", USER, "こんにちは"))
    city.live(2)  # no release of stale claims
    assert city.statuses(InboxEvent) == ["done", "done", "done"]
    assert [token for token, _ in city.answers()] == ["rt-o1", "rt-u1", "rt-u2"]  # once each, in order


def test_an_event_whose_commit_keeps_failing_is_failed_and_the_user_is_not_blocked(
        city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    city.receive(text_event("u1", USER))
    faults = FailingCommits(monkeypatch, stores_a_reply, times=MAX_EVENT_ATTEMPTS)
    city.live(MAX_EVENT_ATTEMPTS + 1)
    assert faults.failed == MAX_EVENT_ATTEMPTS
    with Session(city.engine) as session:
        [event] = session.exec(select(InboxEvent)).all()
    assert (event.status, event.attempts, event.last_error) == ("failed", MAX_EVENT_ATTEMPTS, "database error")
    city.receive(text_event("u2", USER))
    city.live(1)
    assert city.answers() == [("rt-u2", THANKS)]


def test_a_failed_record_of_a_reply_is_written_next_round_and_never_sent_again(
        city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    city.receive(text_event("u1", USER), text_event("o1", OTHER))
    faults = FailingCommits(monkeypatch, records_a_delivery)

    def first_round_sent_both_and_one_record_failed() -> None:
        assert faults.failed == 1
        assert sorted(city.answers()) == [("rt-o1", THANKS), ("rt-u1", THANKS)]
        assert sorted(city.statuses(OutboxMessage)) == ["delivered", "sending"]

    city.live(1, first_round_sent_both_and_one_record_failed,
              lambda: city.receive(text_event("u2", USER, "こんにちは")), 3)
    assert city.statuses(OutboxMessage) == ["delivered", "delivered", "delivered"]  # none left in `sending`
    with Session(city.engine) as session:
        outcomes = [(row.outcome, row.attempts) for row in session.exec(select(OutboxMessage)).all()]
    assert outcomes == [("replied", 1)] * 3
    assert len(city.fake.accepted) == 3 and city.fake.refused == []  # nothing was sent twice
    assert [token for token, _ in city.answers()][-1] == "rt-u2"  # the user's next answer was not held
