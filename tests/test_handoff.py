"""Tickets end to end through the worker: opened by the citizen, claimed and answered by staff, delivered on LINE.

Runs on SQLite and PostgreSQL (the ``database_url`` fixture); the claim race is tested with real threads.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.desk import CANCEL_ARGUMENT
from bot.models import LineUser, OutboxMessage
from bot.texts import TEXT as BOT_TEXT
from console.accounts.models import StaffUser
from console.models import AuditEvent
from core.db import make_engine
from handoff import staff_actions
from handoff.hours import BusinessCalendar, BusinessHours
from handoff.models import Ticket, TicketMessage
from handoff.replies import TEXT, CitizenReplies
from handoff.staff_actions import TicketActionError
from handoff.tickets import Routing
from retrieval.engine import Retriever
from tests.test_line_client import FakeMessagingApi, assert_requests_match_spec
from tests.test_worker import OTHER, SIGNER, USER, Bot, confirm_deletion, postback_event, text_event
from tests.utils.line import RENDERERS

ROUTING = Routing(routes={"waste": "環境政策課"}, default_team="市民相談課", max_open_per_staff=2)
REPLIES = CitizenReplies(SIGNER)
CALENDAR = BusinessCalendar(BusinessHours())
UNANSWERABLE = "明日の天気は晴れますか"


@pytest.fixture
def bot(database_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(database_url, mini_retriever, FakeMessagingApi())


def add_staff(bot: Bot, username: str, role: str = "staff") -> StaffUser:
    with Session(bot.engine) as session:
        staff = StaffUser(username=username, display_name=username, password_hash="-", role=role)
        session.add(staff)
        session.commit()
        session.refresh(staff)
        return staff


def open_ticket(bot: Bot, user: str = USER, question: str = UNANSWERABLE, prefix: str = "") -> Ticket:
    bot.receive(text_event(f"{prefix}{user}-q", question, user))
    bot.run()
    bot.receive(postback_event(f"{prefix}{user}-yes", SIGNER.sign(user, "handoff", "yes"), user))
    bot.run()
    with Session(bot.engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.line_user_id == user).order_by(Ticket.id.desc())).first()  # type: ignore[union-attr]
    assert ticket is not None
    return ticket


def act(bot: Bot, action: Any) -> None:
    with Session(bot.engine) as session:
        action(session)
        session.commit()


def ticket_of(bot: Bot, ticket_id: int | None) -> Ticket:
    with Session(bot.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


def test_ticket_keeps_the_bots_candidates_and_tells_when_to_expect_a_reply(bot: Bot) -> None:
    ticket = open_ticket(bot, question="粗大ごみの出し方を教えてほしいのですが")
    assert ticket.candidates and {"faq_id", "question", "score"} <= set(ticket.candidates[0])
    assert ticket.team == "振り分け待ち"  # no route for the category in the default routing: sorted by hand
    assert "受付番号" in bot.texts_sent()[-1] and "開庁時間" in bot.texts_sent()[-1]
    bot.receive(postback_event("again", SIGNER.sign(USER, "handoff", "yes")))
    bot.run()
    assert len(bot.rows(Ticket)) == 1  # a second tap on the old button opens no second ticket


def test_staff_answer_reaches_the_user_by_push_and_resolve_asks_for_a_rating(bot: Bot) -> None:
    ticket = open_ticket(bot)
    staff = add_staff(bot, "tanaka")
    act(bot, lambda s: staff_actions.claim(s, staff, ticket.id, ROUTING))
    assert bot.open_ticket_status() == "assigned"
    act(bot, lambda s: staff_actions.reply(s, staff, ticket.id, "明日は晴れの予報です。", replies=REPLIES,
                                           calendar=CALENDAR, renderers=RENDERERS))
    bot.run()
    kind, body, _ = bot.api.calls[-1]
    assert kind == "push" and body["to"] == USER
    expected = TEXT["staff_answer"].format(ticket_id=ticket.id, text="明日は晴れの予報です。")
    assert body["messages"][0]["text"] == expected
    answered = ticket_of(bot, ticket.id)
    assert answered.status == "answered" and answered.first_response_at is not None
    assert answered.first_response_business_s is not None and answered.first_response_business_s >= 0
    with Session(bot.engine) as session:
        assert staff_actions.delivery_states(session, ticket.id) == {2: "送信済み"}  # the staff message (id 2)
    act(bot, lambda s: staff_actions.resolve(s, staff, ticket.id, replies=REPLIES, renderers=RENDERERS))
    bot.run()
    kind, body, _ = bot.api.calls[-1]
    items = body["messages"][-1]["quickReply"]["items"]
    assert [i["action"]["label"] for i in items] == ["👍 役に立った", "👎 役に立たなかった"]
    assert bot.open_ticket_status() is None
    bot.receive(postback_event("rate", items[0]["action"]["data"]))
    bot.run()
    assert ticket_of(bot, ticket.id).rating == "up"
    assert_requests_match_spec(bot.api)
    actions = [e.action for e in bot.rows(AuditEvent)]
    assert actions == ["ticket_opened", "ticket_claimed", "ticket_replied", "ticket_resolved", "ticket_rated"]


def test_rating_is_refused_for_another_users_ticket(bot: Bot) -> None:
    ticket = open_ticket(bot)
    forged = SIGNER.sign(OTHER, "feedback", f"staff-down:{ticket.id}")  # validly signed, but for OTHER
    bot.receive(postback_event("forged", forged, OTHER))
    bot.run()
    assert ticket_of(bot, ticket.id).rating is None


def test_cancel_by_word_and_by_button_returns_the_user_to_the_bot(bot: Bot) -> None:
    first = open_ticket(bot)
    bot.receive(text_event("c1", "キャンセル"))
    bot.run()
    assert ticket_of(bot, first.id).status == "cancelled"
    assert bot.texts_sent()[-1] == TEXT["cancelled"].format(ticket_id=first.id)
    second = open_ticket(bot, prefix="2")
    bot.receive(postback_event("c2", SIGNER.sign(USER, "cancel", CANCEL_ARGUMENT)))
    bot.run()
    assert ticket_of(bot, second.id).status == "cancelled"
    bot.receive(text_event("c3", "粗大ごみの出し方を教えて"))
    bot.run()
    assert bot.texts_sent()[-1].startswith("粗大ごみは事前の申込みが必要です")  # the bot answers again
    assert bot.open_ticket_status() is None


def test_follow_up_messages_join_the_thread_with_one_acknowledgement(bot: Bot) -> None:
    ticket = open_ticket(bot)
    with Session(bot.engine) as session:  # the last acknowledgement was long ago
        stored = session.get(Ticket, ticket.id)
        assert stored is not None
        stored.last_ack_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        session.add(stored)
        session.commit()
    sent_before = len(bot.texts_sent())
    bot.receive(text_event("f1", "補足です"), text_event("f2", "もう一つ補足です"))
    bot.run()
    bot.run()
    noted = BOT_TEXT["follow_up_noted"].format(ticket_id=ticket.id)  # the second: a short note (never silent)
    assert bot.texts_sent()[sent_before:] == [TEXT["joined"].format(ticket_id=ticket.id), noted]
    assert ticket_of(bot, ticket.id).unread == 2


def test_emergency_words_before_handoff_are_shown_with_their_time_not_as_urgent(bot: Bot) -> None:
    bot.receive(text_event("x1", "子どもがけいれんしている"))
    bot.run()
    assert "119" in bot.texts_sent()[-1]
    ticket = open_ticket(bot)
    assert not ticket.urgent and ticket.emergency_before_at is not None  # issue 17: no inherited 至急


def test_the_emergency_message_is_forgotten_once_it_no_longer_makes_a_ticket_urgent(bot: Bot) -> None:
    bot.receive(text_event("x1", "子どもがけいれんしている"))
    bot.run()
    with Session(bot.engine) as session:
        user = session.get(LineUser, USER)
        assert user is not None and user.last_emergency_text == "子どもがけいれんしている"
        user.last_emergency_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
        session.add(user)
        session.commit()
    bot.receive(text_event("x2", "こんにちは"))
    bot.run()
    with Session(bot.engine) as session:
        user = session.get(LineUser, USER)
        assert user is not None and user.last_emergency_text is None
    ticket = open_ticket(bot)
    assert not ticket.urgent and ticket.emergency_before_at is None


def test_claim_cap_unclaim_and_transfer(bot: Bot) -> None:
    tickets = [open_ticket(bot, user=f"U{i:032d}") for i in range(3)]
    staff = add_staff(bot, "sato")
    for ticket in tickets[:2]:
        act(bot, lambda s, t=ticket: staff_actions.claim(s, staff, t.id, ROUTING))
    with pytest.raises(TicketActionError, match="上限"):
        act(bot, lambda s: staff_actions.claim(s, staff, tickets[2].id, ROUTING))
    act(bot, lambda s: staff_actions.unclaim(s, staff, tickets[0].id))
    assert (ticket_of(bot, tickets[0].id).status, ticket_of(bot, tickets[0].id).assignee_id) == ("waiting", None)
    act(bot, lambda s: staff_actions.transfer(s, staff, tickets[1].id, "環境政策課", ROUTING))
    moved = ticket_of(bot, tickets[1].id)
    assert (moved.team, moved.status, moved.assignee_id) == ("環境政策課", "waiting", None)
    with pytest.raises(TicketActionError):
        act(bot, lambda s: staff_actions.transfer(s, staff, tickets[1].id, "存在しない課", ROUTING))
    other = add_staff(bot, "suzuki")
    with pytest.raises(TicketActionError, match="担当者だけ"):
        act(bot, lambda s: staff_actions.reply(s, other, tickets[2].id, "回答", replies=REPLIES, calendar=CALENDAR,
                                               renderers=RENDERERS))


def test_two_staff_claiming_at_once_exactly_one_wins(bot: Bot, database_url: str) -> None:
    tickets = [open_ticket(bot, user=f"U{i:032d}") for i in range(8)]
    staff = [add_staff(bot, "a"), add_staff(bot, "b")]
    routing = Routing(max_open_per_staff=100)
    wins: dict[int, list[str]] = {t.id: [] for t in tickets if t.id is not None}
    for ticket in tickets:
        barrier = threading.Barrier(2)

        def race(member: StaffUser, ticket_id: int, barrier: threading.Barrier = barrier) -> None:
            engine = make_engine(database_url)
            with Session(engine) as session:
                barrier.wait()
                try:
                    staff_actions.claim(session, member, ticket_id, routing)
                    session.commit()
                    wins[ticket_id].append(member.username)
                except TicketActionError:
                    pass
            engine.dispose()

        assert ticket.id is not None
        threads = [threading.Thread(target=race, args=(member, ticket.id)) for member in staff]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert all(len(winners) == 1 for winners in wins.values()), wins
    for ticket_id, winners in wins.items():
        winner = next(m for m in staff if m.username == winners[0])
        assert ticket_of(bot, ticket_id).assignee_id == winner.id


def test_data_deletion_removes_the_users_tickets_but_keeps_the_audit_log(bot: Bot) -> None:
    ticket = open_ticket(bot)
    confirm_deletion(bot)
    assert bot.rows(Ticket) == [] and bot.rows(TicketMessage) == []
    assert [(e.action, e.ticket_id) for e in bot.rows(AuditEvent)] == [
        ("ticket_opened", ticket.id), ("citizen_data_deleted", ticket.id)]
    staff = add_staff(bot, "kato")
    with pytest.raises(TicketActionError, match="見つかりません"):
        act(bot, lambda s: staff_actions.claim(s, staff, ticket.id, ROUTING))
    assert not [o for o in bot.rows(OutboxMessage) if o.status == "pending"]
