"""A second channel plugs in without changing the conversation (issue 18 item 4).

``MemoryChannel`` is a whole channel in a few lines: it reads its own stored events, renders the bot's neutral
replies (``bot.replies.Say``) in its own shape and delivers them to a list. Wired into a real worker beside LINE,
with the real dispatcher, conversation and citizen desk, its citizen gets the FAQ answer, hands a question to
staff (the ticket records the channel) and gets the staff answer through it; LINE is never called for them, and
LINE citizens are answered through LINE as before. Nothing outside the LINE adapter imports it.
"""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.channel import DEFAULT_CHANNEL, Citizen, EventKind, Inbound, Incoming, Offered, Said, Shown, citizen_of
from bot.conversation import Conversation
from bot.delivery import BeforeCall, Delivery, DeliveryResult, Outgoing
from bot.dispatch import EventDispatcher
from bot.inbox import inbox_row, store_and_commit
from bot.line.channel import LineChannel, LineRenderer
from bot.line.client import LineSender
from bot.line.inbox import store_events
from bot.models import InboxEvent, LineUser, OutboxMessage
from bot.replies import Say
from bot.texts import LABELS
from bot.worker import BotWorker
from console.accounts.models import StaffUser
from core.clock import as_utc
from handoff import staff_actions
from handoff.desk import StaffDesk, citizen_desk_from
from handoff.models import Ticket
from handoff.replies import TEXT as TICKET_TEXT
from handoff.ticket_view import thread_context
from tests.conftest import MINI_PACK
from tests.test_line_client import FakeMessagingApi
from tests.test_worker import USER, text_event
from tests.utils.line import as_line
from tests.utils.services import make_test_services
from tsunagu.container import Services
from tsunagu.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
VISITOR = Citizen("memory", "visitor-1")
ANSWERABLE = "粗大ごみの出し方を教えて"
UNANSWERABLE = "道路に穴があいてる"  # a city matter no entry covers: staff are offered


class MemoryChannel:
    """A chat window that keeps what it delivers: events ``{"visitor", "text"}`` or ``{"visitor", "choice"}``,
    messages ``{"text", "buttons": [{"label", "data"}]}``; it reads both back for staff (``Transcriber``)."""

    name = "memory"
    max_attempts = 3

    def __init__(self) -> None:
        self.delivered: list[tuple[str, list[dict[str, Any]]]] = []  # (citizen key, messages)

    def read(self, session: Session, event: InboxEvent, received_at: dt.datetime) -> Inbound:
        citizen = Citizen(self.name, event.payload["visitor"])
        if "choice" in event.payload:
            incoming = Incoming(EventKind.POSTBACK, citizen, data=event.payload["choice"])
        else:
            incoming = Incoming(EventKind.TEXT, citizen, text=event.payload["text"])
        return Inbound(received_at, citizen.key, incoming)

    def render(self, replies: Sequence[Say]) -> list[dict[str, Any]]:
        return [{"text": reply.text, "buttons": [{"label": c.label, "data": c.data} for c in reply.choices]}
                for reply in replies]

    async def deliver(self, outgoing: Outgoing, before_call: BeforeCall) -> DeliveryResult:
        await before_call("push")
        self.delivered.append((outgoing.user_id, list(outgoing.messages)))
        return DeliveryResult(Delivery.PUSHED, 1)

    def said(self, event: InboxEvent) -> Said | None:
        at = as_utc(event.received_at)
        if "choice" in event.payload:
            return Said(at, EventKind.POSTBACK, data=event.payload["choice"])
        return Said(at, EventKind.TEXT, text=event.payload["text"])

    def shown(self, messages: Sequence[dict[str, Any]]) -> list[Shown]:
        return [Shown(m["text"], tuple(Offered(b["label"], b["data"], b["label"]) for b in m["buttons"]))
                for m in messages]


class TwoChannels:
    """A real worker (dispatcher, conversation, citizen desk) with LINE and the memory channel wired."""

    def __init__(self, services: Services) -> None:
        self.services, self.engine = services, services.engine
        self.memory, self.line_api = MemoryChannel(), FakeMessagingApi()
        self.conversation = Conversation(services.retriever, services.signer)
        dispatcher = EventDispatcher(self.conversation, citizen_desk_from(services.settings, services.signer))
        line = LineChannel(LineSender(self.line_api, base_delay=0.0), services.retriever)
        self.worker = BotWorker(self.engine, dispatcher, [line, self.memory])
        self.staff_desk = StaffDesk.from_settings(services.settings, services.retriever, services.signer,
                                                  {"line": LineRenderer(), "memory": self.memory},
                                                  {"line": LineRenderer(), "memory": self.memory})
        self.events = 0

    def send(self, **payload: str) -> list[dict[str, Any]]:
        """One event of the visitor, handled and delivered; the messages the memory channel delivered for it."""
        self.events += 1
        row = inbox_row(channel="memory", event_id=f"memory-{self.events}", event_type="message",
                        user_key=VISITOR.key, payload={"visitor": VISITOR.external_id, **payload})
        assert store_and_commit(self.engine, [row, row]).stored == 1  # stored once per event id, as LINE's are
        return self.run()

    def run(self) -> list[dict[str, Any]]:
        before = len(self.memory.delivered)
        self.worker.process_inbox()
        asyncio.run(self.worker.deliver_outbox())
        return [m for _, messages in self.memory.delivered[before:] for m in messages]

    def ticket(self) -> Ticket:
        with Session(self.engine) as session:
            [ticket] = session.exec(select(Ticket)).all()
            return ticket


@pytest.fixture
def bot(sqlite_url: str) -> TwoChannels:
    settings = Settings(  # the mini pack with the permissive thresholds of ``mini_retriever``
        database_url=sqlite_url, pack_dir=MINI_PACK, LINE_CHANNEL_SECRET="test-channel-secret",
        answer_min_score=0.35, answer_min_margin=0.02, suggest_min_score=0.2,
    )
    return TwoChannels(make_test_services(settings))


def button(message: dict[str, Any], label: str) -> str:
    [data] = [b["data"] for b in message["buttons"] if b["label"] == label]
    return str(data)


def test_a_memory_citizen_gets_the_faq_answer_rendered_by_the_memory_channel(bot: TwoChannels) -> None:
    delivered = bot.send(text=ANSWERABLE)
    expected = bot.memory.render(bot.conversation.reply(VISITOR.key, ANSWERABLE).messages)
    assert delivered == expected
    assert delivered[0]["text"].startswith("粗大ごみは事前の申込みが必要です")
    assert "解決した" in [b["label"] for b in delivered[-1]["buttons"]]
    assert [key for key, _ in bot.memory.delivered] == [VISITOR.key]
    assert bot.line_api.calls == []  # LINE is never asked
    with Session(bot.engine) as session:
        [row] = session.exec(select(OutboxMessage)).all()
        assert (row.channel, row.line_user_id, row.status) == ("memory", "memory:visitor-1", "delivered")
        assert session.get(LineUser, "memory:visitor-1") is not None  # the citizen's state, under their key


def test_each_event_is_answered_on_its_own_channel(bot: TwoChannels) -> None:
    """LINE citizens keep being answered through LINE, as before, beside the memory channel's."""
    with Session(bot.engine) as session:
        store_events(session=session, events=[text_event("line-1", ANSWERABLE)])
        session.commit()
    [memory_answer] = bot.send(text=ANSWERABLE)
    [(kind, body, _)] = bot.line_api.calls
    assert (kind, body["replyToken"]) == ("reply", "rt-line-1")
    assert body["messages"] == as_line(bot.conversation.reply(USER, ANSWERABLE).messages)
    assert memory_answer["text"] == body["messages"][0]["text"]  # the same answer, each in its channel's form
    with Session(bot.engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
        assert [(row.channel, row.line_user_id) for row in rows] == [("line", USER), ("memory", VISITOR.key)]


def test_a_staff_answer_goes_back_through_the_tickets_channel(bot: TwoChannels) -> None:
    [offer] = bot.send(text=UNANSWERABLE)
    [opened] = bot.send(choice=button(offer, LABELS["handoff_yes"]))
    ticket = bot.ticket()
    assert (ticket.channel, ticket.line_user_id, ticket.question) == ("memory", VISITOR.key, UNANSWERABLE)
    assert opened["text"].startswith(TICKET_TEXT["opened"].split("{")[0])
    with Session(bot.engine) as session:
        staff = StaffUser(username="sato", display_name="佐藤", password_hash="-", role="staff")
        session.add(staff)
        session.commit()
        session.refresh(staff)
        assert ticket.id is not None
        staff_actions.claim(session, staff, ticket.id, bot.staff_desk.routing)
        staff_actions.reply(session, staff, ticket.id, "明日は晴れの予報です。", replies=bot.staff_desk.replies,
                            calendar=bot.staff_desk.calendar, renderers=bot.staff_desk.renderers)
        session.commit()
    [answer] = bot.run()
    assert answer == {"text": TICKET_TEXT["staff_answer"].format(ticket_id=ticket.id, text="明日は晴れの予報です。"),
                      "buttons": []}
    assert bot.line_api.calls == []  # the staff answer went out through the memory channel, not LINE
    with Session(bot.engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
        assert {(row.channel, row.status) for row in rows} == {("memory", "delivered")}


def test_staff_read_the_memory_citizens_chat_on_the_ticket(bot: TwoChannels) -> None:
    """The ticket page's conversation shows what the memory citizen wrote and tapped, and the bot's replies,
    read back by the memory channel (as LINE's rows are by LINE)."""
    [answer, *_] = bot.send(text=ANSWERABLE)
    [offer] = bot.send(text=UNANSWERABLE)
    [opened] = bot.send(choice=button(offer, LABELS["handoff_yes"]))
    with Session(bot.engine) as session:
        ticket = session.get(Ticket, bot.ticket().id)
        assert ticket is not None
        lines = thread_context(session, ticket, bot.staff_desk.transcribers)["lines"]
    said = [(line.kind, line.text, line.tapped) for line in lines]
    assert said.index(("citizen", ANSWERABLE, False)) < said.index(("bot", answer["text"], False))
    assert ("citizen", UNANSWERABLE, False) in said
    assert ("citizen", LABELS["handoff_yes"], True) in said  # the tapped button, by its label
    [offered] = [line for line in lines if line.kind == "bot" and line.text == offer["text"]]
    assert offered.choices == tuple(b["label"] for b in offer["buttons"])
    assert ("bot", opened["text"], False) in said


def test_a_citizen_key_keeps_line_ids_as_they_are_and_prefixes_other_channels() -> None:
    line_user = "U" + "a" * 32
    assert Citizen(DEFAULT_CHANNEL, line_user).key == line_user
    assert VISITOR.key == "memory:visitor-1"
    assert citizen_of(line_user) == Citizen("line", line_user)
    assert citizen_of(VISITOR.key) == VISITOR
    assert citizen_of("web:a:b") == Citizen("web", "a:b")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("package", ["bot", "handoff"])
def test_only_the_line_adapter_imports_bot_line(package: str) -> None:
    """The conversation (and the staff side) know no channel: nothing in bot/ outside bot/line/, nor in handoff/,
    imports bot.line."""
    adapter = ROOT / "bot" / "line"
    offending = [str(path.relative_to(ROOT)) for path in sorted((ROOT / package).rglob("*.py"))
                 if not path.is_relative_to(adapter)
                 and any(name == "bot.line" or name.startswith("bot.line.") for name in imported_modules(path))]
    assert offending == []
