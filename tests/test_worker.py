"""Webhook events through the worker to LINE (a fake Messaging API), on SQLite and PostgreSQL."""

import asyncio
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.conversation import Conversation
from bot.dispatch import REPLIES
from bot.line.client import LineSender
from bot.line.inbox import store_events
from bot.models import InboxEvent, LineUser, OutboxMessage
from bot.postback import PostbackSigner
from bot.worker import BotWorker
from core.db import make_engine
from handoff.models import Ticket, TicketMessage
from handoff.tickets import open_ticket_of
from retrieval.engine import Retriever
from tests.test_line_client import FakeMessagingApi, api_error, assert_requests_match_spec
from tests.test_webhook import EVENT_LIKE
from tests.utils.desk import dispatcher
from tests.utils.line import line_channels
from tests.utils.waiting import wait_for_async
from tsunagu.db import migrate

USER, OTHER = "U" + "1" * 32, "U" + "2" * 32
SIGNER = PostbackSigner("secret")


def text_event(event_id: str, text: str, user: str = USER) -> dict[str, Any]:
    return {"type": "message", "webhookEventId": event_id, "replyToken": f"rt-{event_id}", "timestamp": 1,
            "mode": "active", "source": {"type": "user", "userId": user},
            "deliveryContext": {"isRedelivery": False}, "message": {"type": "text", "id": "1", "text": text}}


def postback_event(event_id: str, data: str, user: str = USER) -> dict[str, Any]:
    return {"type": "postback", "webhookEventId": event_id, "replyToken": f"rt-{event_id}", "timestamp": 1,
            "mode": "active", "source": {"type": "user", "userId": user},
            "deliveryContext": {"isRedelivery": False}, "postback": {"data": data}}


class Bot:
    def __init__(self, url: str, retriever: Retriever, api: FakeMessagingApi) -> None:
        migrate(url)
        self.engine = make_engine(url)
        self.api = api

        self.worker = BotWorker(self.engine, dispatcher(Conversation(retriever, SIGNER)),
                                line_channels(LineSender(api, base_delay=0.0), retriever))

    def receive(self, *events: dict[str, Any]) -> None:
        with Session(self.engine) as session:
            store_events(session=session, events=list(events))
            session.commit()

    def run(self) -> None:
        self.worker.process_inbox()
        asyncio.run(self.worker.deliver_outbox())

    def texts_sent(self) -> list[str]:
        return [m["text"] for _, body, _ in self.api.calls for m in body["messages"]]

    def rows(self, model: Any) -> list[Any]:
        with Session(self.engine) as session:
            return list(session.exec(select(model)).all())

    def open_ticket_status(self, user: str = USER) -> str | None:
        """The status of the user's open ticket; None when the bot answers them (they have no open ticket)."""
        with Session(self.engine) as session:
            ticket = open_ticket_of(session, user)
            return None if ticket is None else ticket.status


def send(bot: Bot, event_id: str, text: str, user: str = USER) -> None:
    """A text message from ``user``, handled and answered at once."""
    bot.receive(text_event(event_id, text, user))
    bot.run()


def tap(bot: Bot, event_id: str, data: str, user: str = USER) -> None:
    """A tap on a button (its postback ``data``) by ``user``, handled and answered at once."""
    bot.receive(postback_event(event_id, data, user))
    bot.run()


def confirm_deletion(bot: Bot, user: str = USER) -> None:
    """「データ削除」, then the 「削除する」 button of the confirmation (deletion asks first)."""
    bot.receive(text_event(f"del-{user}", "データ削除", user))
    bot.run()
    assert bot.texts_sent()[-1] == REPLIES["delete_confirm"]
    confirm = bot.api.calls[-1][1]["messages"][-1]["quickReply"]["items"][0]["action"]
    assert confirm["label"] == "削除する"
    bot.receive(postback_event(f"del-yes-{user}", confirm["data"], user))
    bot.run()
    bot.run()


@pytest.fixture
def bot(database_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(database_url, mini_retriever, FakeMessagingApi())


def test_question_is_answered_once_by_reply(bot: Bot) -> None:
    bot.receive(text_event("e1", "粗大ごみの出し方を教えて"))
    bot.run()
    bot.run()
    assert [c[0] for c in bot.api.calls] == ["reply"]
    assert bot.texts_sent()[0].startswith("粗大ごみは事前の申込みが必要です")
    assert_requests_match_spec(bot.api)
    assert [e.status for e in bot.rows(InboxEvent)] == ["done"]
    assert [o.status for o in bot.rows(OutboxMessage)] == ["delivered"]


def test_the_running_worker_counts_the_completed_rounds_of_each_loop(bot: Bot) -> None:
    """``rounds``: once an inbox round has completed, the event stored before it is handled; two more outbox rounds
    later, its reply is out. A failed round counts too (tests wait on these counts instead of sleeping)."""
    bot.receive(text_event("e1", "粗大ごみの出し方を教えて"))

    async def broken_job() -> int:
        raise RuntimeError("the notifier is down")

    bot.worker.jobs = [broken_job]
    seen: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(bot.worker.run(stop, idle_seconds=0.01))
        rounds = bot.worker.rounds
        try:
            await wait_for_async(lambda: rounds["inbox"] >= 1, timeout=30, message="an inbox round")
            seen["inbox"] = [e.status for e in bot.rows(InboxEvent)]
            after_inbox = rounds["outbox"]
            await wait_for_async(lambda: rounds["outbox"] >= after_inbox + 2 and rounds["jobs"] >= 2, timeout=30,
                                 message="two outbox rounds and two (failed) job rounds")
            seen["outbox"] = [o.status for o in bot.rows(OutboxMessage)]
        finally:
            stop.set()
            await running

    asyncio.run(main())
    assert seen == {"inbox": ["done"], "outbox": ["delivered"]}
    assert [c[0] for c in bot.api.calls] == ["reply"]


def test_redelivered_event_is_answered_once(bot: Bot) -> None:
    event = text_event("e1", "粗大ごみの出し方を教えて")
    bot.receive(event)
    bot.run()
    bot.receive({**event, "deliveryContext": {"isRedelivery": True}})
    bot.run()
    assert len(bot.api.calls) == 1


def test_crash_between_storing_and_replying_gives_exactly_one_answer_after_restart(bot: Bot) -> None:
    bot.receive(text_event("e1", "粗大ごみの出し方を教えて"))
    with Session(bot.engine) as session:
        bot.worker._claim(session, InboxEvent, "processing")  # claimed, then the process dies before handling
    assert bot.worker.process_inbox() == 0  # still claimed by the dead worker
    assert bot.worker.release_stale_claims(older_than=__import__("datetime").timedelta(0)) == 1
    bot.run()
    bot.run()
    assert len(bot.api.calls) == 1


def test_events_of_one_user_are_answered_in_order(bot: Bot) -> None:
    bot.receive(text_event("e1", "ありがとう"), text_event("e2", "こんにちは"), text_event("e3", "ありがとう", OTHER))
    for _ in range(3):
        bot.run()
    mine = [body["messages"][0]["text"] for _, body, _ in bot.api.calls if body.get("replyToken", "").startswith("rt-e")
            and body["replyToken"] in ("rt-e1", "rt-e2")]
    assert mine == ["どういたしまして。ほかにも知りたいことがあれば、いつでも送ってください。",
                    "こんにちは。富山市の子育て・手続き・観光についての質問に、市の公開情報からお答えします。"
                    "知りたいことを文章で送ってください。"]
    assert len(bot.api.calls) == 3


def test_line_errors_then_success_deliver_once(database_url: str, mini_retriever: Retriever) -> None:
    api = FakeMessagingApi(replies=[api_error(400)], pushes=[api_error(500), api_error(500)])
    bot = Bot(database_url, mini_retriever, api)
    bot.receive(text_event("e1", "粗大ごみの出し方を教えて"))
    for _ in range(3):  # each retry in a later round (no wait here: base_delay 0)
        bot.run()
    assert [c[0] for c in api.calls] == ["reply", "push", "push", "push"]
    [row] = bot.rows(OutboxMessage)
    assert (row.status, row.outcome, row.attempts) == ("delivered", "pushed", 4)


def test_handoff_consent_opens_a_ticket_and_the_bot_steps_back(bot: Bot) -> None:
    bot.receive(text_event("e1", "明日の天気は晴れますか"))
    bot.run()
    bot.receive(postback_event("e2", SIGNER.sign(USER, "handoff", "yes")))
    bot.run()
    [ticket] = bot.rows(Ticket)
    assert (ticket.question, ticket.status, ticket.urgent) == ("明日の天気は晴れますか", "waiting", False)
    assert f"受付番号 {ticket.id}" in bot.texts_sent()[-1]
    bot.receive(text_event("e3", "まだですか"), text_event("e4", "子どもが誤飲した"))
    bot.run()
    bot.run()
    assert "中毒110番" in bot.texts_sent()[-1]  # emergency guidance in any state
    assert "まだですか" not in bot.texts_sent()  # joined the thread, no bot answer
    assert [m.text for m in bot.rows(TicketMessage)] == ["明日の天気は晴れますか", "まだですか", "子どもが誤飲した"]
    assert bot.rows(Ticket)[0].urgent
    assert bot.open_ticket_status() == "waiting"


def test_data_deletion_removes_everything_about_the_user(bot: Bot) -> None:
    bot.receive(text_event("e1", "粗大ごみの出し方を教えて"), text_event("e2", "ありがとう", OTHER))
    bot.run()
    confirm_deletion(bot)
    assert bot.texts_sent()[-1] == REPLIES["deleted"]
    assert {e.line_user_id for e in bot.rows(InboxEvent)} == {OTHER}
    assert {o.line_user_id for o in bot.rows(OutboxMessage)} == {OTHER}
    assert [u.user_id for u in bot.rows(LineUser)] == [OTHER]


def test_more_than_20_messages_a_minute_get_one_slow_down_then_silence(bot: Bot) -> None:
    bot.receive(*[text_event(f"e{i:02d}", "ありがとう") for i in range(25)])
    for _ in range(30):
        bot.run()
    texts = bot.texts_sent()
    assert texts.count(REPLIES["slow_down"]) == 1
    assert len(texts) == 21


@settings_hypothesis(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(EVENT_LIKE, min_size=1, max_size=4))
def test_worker_survives_any_stored_event(sqlite_url: str, mini_retriever: Retriever, events: list[Any]) -> None:
    bot = Bot(sqlite_url, mini_retriever, FakeMessagingApi())
    for number, event in enumerate(events):
        event = {**event, "webhookEventId": f"fuzz-{uuid.uuid4().hex}-{number}"}
        if isinstance(event.get("source"), dict) or number % 2:
            event["source"] = {"type": "user", "userId": USER}
        bot.receive(event)
    while bot.worker.process_inbox():  # the database is shared by all examples: drain every batch
        pass
    assert {e.status for e in bot.rows(InboxEvent)} == {"done"}
