"""Conversation flows of issue 8 through the worker: category and rich-menu postbacks, 👎 follow-ups, messages
while a ticket is open, the staff offer only for city matters, and the confirmed 「データ削除」.

Every request sent to the fake LINE API is validated against LINE's Messaging API spec.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.conversation import TEXT, Conversation
from bot.dispatch import REPLIES
from bot.emergency import GUIDANCE, Emergency
from bot.line.messages import MAX_LABEL_CHARS, MAX_QUICK_REPLY_ITEMS
from bot.menu_actions import MenuAction, menu_data
from bot.models import InboxEvent, LineUser
from bot.texts import TEXT_EN
from console.models import AuditEvent
from handoff.models import Ticket, TicketMessage
from handoff.replies import TEXT as TICKET_TEXT
from knowledge.drafts import FaqDraft, create_draft
from retrieval.decision import Decision, DecisionKind, Reason
from retrieval.engine import Retriever
from tests.test_line_client import FakeMessagingApi, assert_requests_match_spec
from tests.test_worker import SIGNER, USER, Bot, send, tap
from tests.utils.line import LineRendered

WEATHER = "明日の天気は晴れますか"  # out of scope; the mini pack hands it off
ANSWERABLE = "粗大ごみの出し方を教えて"


@pytest.fixture
def bot(sqlite_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(sqlite_url, mini_retriever, FakeMessagingApi())


def last_items(bot: Bot) -> list[dict[str, Any]]:
    """The quick-reply actions of the last message sent."""
    quick = bot.api.calls[-1][1]["messages"][-1].get("quickReply") or {"items": []}
    return [item["action"] for item in quick["items"]]


def button(bot: Bot, label: str) -> str:
    return next(a["data"] for a in last_items(bot) if a["label"] == label)


def open_ticket(bot: Bot, question: str = WEATHER) -> Ticket:
    send(bot, "q", question)
    tap(bot, "yes", SIGNER.sign(USER, "handoff", "yes"))
    [ticket] = bot.rows(Ticket)
    return ticket


# -- 1. category buttons and the rich menu ---------------------------------------------------------------------
def test_category_button_shows_scope_and_most_asked_questions(bot: Bot) -> None:
    tap(bot, "c", SIGNER.sign(USER, "category", "childcare"))
    text = bot.texts_sent()[-1]
    assert text.startswith("【子育て】保育園・児童手当") and text != TEXT["unknown_postback"]
    actions = last_items(bot)
    chosen = [SIGNER.verify(USER, a["data"]) for a in actions[:-1]]
    featured_first = [p.argument for p in chosen if p is not None][:2]
    assert featured_first == ["childcare-nursery-apply-period", "childcare-nursery-documents"]
    assert all(p is not None and p.action == "browse" for p in chosen)
    assert {bot.worker.dispatcher.conversation.retriever.entries[p.argument].category for p in chosen if p} == {
        "childcare"}
    assert (actions[-1]["label"], actions[-1]["data"]) == ("職員に相談する", menu_data(MenuAction.STAFF))
    assert len(actions) <= MAX_QUICK_REPLY_ITEMS and all(len(a["label"]) <= MAX_LABEL_CHARS for a in actions)
    tap(bot, "b", actions[0]["data"])
    assert bot.texts_sent()[-1].startswith("4月からの入所は")
    assert_requests_match_spec(bot.api)


def test_rich_menu_category_gives_the_same_reply_as_the_button(bot: Bot) -> None:
    tap(bot, "c1", SIGNER.sign(USER, "category", "procedures"))
    tap(bot, "c2", menu_data(MenuAction.PROCEDURES))
    first, second = bot.texts_sent()[-2:]
    assert first == second and first.startswith("【手続き】")
    assert last_items(bot)[0]["label"].startswith("粗大ごみ")


def test_rich_menu_emergency_names_119_and_offers_topics_with_their_own_numbers(bot: Bot) -> None:
    """The topics and their texts are tested in ``tests/test_emergency_menu.py``."""
    tap(bot, "e", menu_data(MenuAction.EMERGENCY))
    assert "119" in bot.texts_sent()[-1]
    tap(bot, "p", button(bot, "誤飲"))
    assert bot.texts_sent()[-1] == GUIDANCE[Emergency.POISONING]


def test_rich_menu_help_explains_commands_and_privacy(bot: Bot) -> None:
    tap(bot, "h", menu_data(MenuAction.HELP))
    text = bot.texts_sent()[-1]
    for part in ("「データ削除」", "「キャンセル」", "子育て・手続き・観光", "365日", "個人情報"):
        assert part in text


def test_unknown_rich_menu_data_is_refused(bot: Bot) -> None:
    tap(bot, "u", "menu:delete-everything")
    assert bot.texts_sent()[-1] == TEXT["unknown_postback"]


def test_rich_menu_staff_explains_how_to_ask_with_opening_hours(bot: Bot) -> None:
    tap(bot, "s", menu_data(MenuAction.STAFF))
    text = bot.texts_sent()[-1]
    assert "平日 8:30～17:15" in text and "文章で送って" in text
    assert bot.rows(Ticket) == []


def test_rich_menu_staff_offers_to_send_the_last_question(bot: Bot) -> None:
    send(bot, "q", WEATHER)
    tap(bot, "s", menu_data(MenuAction.STAFF))
    assert f"「{WEATHER}」" in bot.texts_sent()[-1]
    tap(bot, "y", button(bot, "はい（職員に送る）"))
    [ticket] = bot.rows(Ticket)
    assert ticket.question == WEATHER
    tap(bot, "s2", menu_data(MenuAction.STAFF))
    assert bot.texts_sent()[-1] == TICKET_TEXT["still_open"].format(ticket_id=ticket.id)
    assert_requests_match_spec(bot.api)


# -- 2. 👎 on a bot answer ----------------------------------------------------------------------------------------
def test_thumbs_down_offers_rephrasing_or_staff_for_the_answered_question(bot: Bot) -> None:
    send(bot, "q", ANSWERABLE)
    down = button(bot, "解決しない")
    send(bot, "t", "ありがとう")  # small talk in between must not replace the question
    tap(bot, "d", down)
    assert [a["label"] for a in last_items(bot)] == ["言い換えて質問する", "職員に聞く"]
    staff = button(bot, "職員に聞く")
    tap(bot, "r", button(bot, "言い換えて質問する"))
    assert bot.texts_sent()[-1] == TEXT["rephrase"]
    tap(bot, "s", staff)
    [ticket] = bot.rows(Ticket)
    assert ticket.question == ANSWERABLE
    assert_requests_match_spec(bot.api)


def test_thumbs_down_after_browsing_sends_the_browsed_question(bot: Bot) -> None:
    tap(bot, "c", menu_data(MenuAction.TOURISM))
    tap(bot, "b", last_items(bot)[0]["data"])
    tap(bot, "d", button(bot, "解決しない"))
    tap(bot, "s", button(bot, "職員に聞く"))
    [ticket] = bot.rows(Ticket)
    assert ticket.question == "路面電車の乗り方を教えてください。"


def test_thumbs_down_without_a_question_offers_only_rephrasing(mini_retriever: Retriever) -> None:
    conversation = LineRendered(Conversation(mini_retriever, SIGNER))
    messages = conversation.on_postback(USER, SIGNER.sign(USER, "feedback", "down:tourism-tram-ride"))
    assert [i["action"]["label"] for i in messages[-1]["quickReply"]["items"]] == ["言い換えて質問する"]


# -- 3. messages while a ticket is open --------------------------------------------------------------------------
def test_first_follow_up_is_acknowledged_then_a_burst_gets_a_short_note(bot: Bot) -> None:
    ticket = open_ticket(bot)
    sent = len(bot.texts_sent())
    send(bot, "f1", "補足です")
    send(bot, "f2", "もう一つ補足です")
    noted = TEXT["follow_up_noted"].format(ticket_id=ticket.id)  # never silent (issue 17 item 4)
    assert bot.texts_sent()[sent:] == [TICKET_TEXT["joined"].format(ticket_id=ticket.id), noted]
    with Session(bot.engine) as session:  # the citizen writes again after a pause
        last = session.exec(select(TicketMessage).order_by(col(TicketMessage.id).desc())).first()
        assert last is not None
        last.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        session.add(last)
        session.commit()
    send(bot, "f3", "さらに補足です")
    assert bot.texts_sent()[sent:] == [TICKET_TEXT["joined"].format(ticket_id=ticket.id), noted,
                                       TICKET_TEXT["joined"].format(ticket_id=ticket.id)]
    assert [m.text for m in bot.rows(TicketMessage)][1:] == ["補足です", "もう一つ補足です", "さらに補足です"]


def test_first_follow_up_after_an_emergency_hand_off_is_acknowledged(bot: Bot) -> None:
    send(bot, "x", "子どもがけいれんしている")
    ticket = open_ticket(bot)
    assert ticket.emergency_before_at is not None  # shown as 「直前に緊急の言葉あり」 (issue 17), not 至急
    send(bot, "f1", "補足です")
    assert bot.texts_sent()[-1] == TICKET_TEXT["joined"].format(ticket_id=ticket.id)


def test_answerable_question_while_a_ticket_is_open_is_answered_and_joins_the_thread(bot: Bot) -> None:
    ticket = open_ticket(bot)
    sent = len(bot.texts_sent())
    send(bot, "a", ANSWERABLE)
    texts = bot.texts_sent()[sent:]
    assert texts[0] == TICKET_TEXT["answered_while_open"].format(ticket_id=ticket.id)
    assert texts[1].startswith("粗大ごみは事前の申込みが必要です")
    assert [m.text for m in bot.rows(TicketMessage)][-1] == ANSWERABLE
    assert bot.rows(Ticket)[0].status == "waiting"
    assert_requests_match_spec(bot.api)


def test_small_talk_to_staff_gets_no_canned_bot_reply_only_a_note(bot: Bot) -> None:
    ticket = open_ticket(bot)
    send(bot, "f1", "補足です")
    sent = len(bot.texts_sent())
    send(bot, "t", "ありがとう")
    assert bot.texts_sent()[sent:] == [TEXT["follow_up_noted"].format(ticket_id=ticket.id)]


# -- 4. the scope reply only for messages that are clearly no city matter, and even then 「職員に聞く」 -------------
def test_out_of_scope_question_is_told_what_the_bot_covers_and_may_still_ask_staff(bot: Bot) -> None:
    send(bot, "q", WEATHER)
    assert bot.texts_sent()[-1] == TEXT["out_of_scope"]
    assert [a["label"] for a in last_items(bot)] == ["子育て", "観光", "手続き", "職員に聞く"]
    actions = [SIGNER.verify(USER, a["data"]) for a in last_items(bot)]
    assert [p.action for p in actions if p is not None] == ["category"] * 3 + ["handoff"]


@pytest.mark.parametrize("question", ["市営住宅の申込みをしたい", "ゴミ収集車が来なかった", "児童館の場所は？"])
def test_unanswered_city_question_still_offers_staff(mini_retriever: Retriever, question: str) -> None:
    conversation = LineRendered(Conversation(mini_retriever, SIGNER))
    messages = conversation.reply_to_decision(USER, Decision(DecisionKind.HANDOFF, Reason.LOW_CONFIDENCE), question)
    assert messages[0]["text"] == TEXT["handoff_offer"]


@pytest.mark.parametrize("question", ["明日の天気は？", "おすすめのケーキ屋さん", "tell me a joke",
                                      "新潟市役所の窓口はどこ？"])
def test_unanswered_non_city_question_gets_no_staff_offer(mini_retriever: Retriever, question: str) -> None:
    conversation = LineRendered(Conversation(mini_retriever, SIGNER))
    messages = conversation.reply_to_decision(USER, Decision(DecisionKind.HANDOFF, Reason.LOW_CONFIDENCE), question)
    expected = TEXT_EN["out_of_scope"] if question.isascii() else TEXT["out_of_scope"]  # English in, English out
    assert messages[0]["text"] == expected


# -- 5. 「データ削除」 with confirmation ------------------------------------------------------------------------------
@pytest.fixture
def any_db_bot(database_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(database_url, mini_retriever, FakeMessagingApi())


@pytest.mark.parametrize("command", ["データ削除", "データさくじょ"])
def test_data_deletion_asks_first_and_keep_changes_nothing(bot: Bot, command: str) -> None:
    send(bot, "q", ANSWERABLE)
    send(bot, "d", command)
    assert bot.texts_sent()[-1] == REPLIES["delete_confirm"]
    assert [a["label"] for a in last_items(bot)] == ["削除する", "やめる"]
    assert bot.rows(LineUser) and bot.rows(InboxEvent)
    tap(bot, "k", button(bot, "やめる"))
    assert bot.texts_sent()[-1] == REPLIES["delete_kept"]
    assert bot.rows(LineUser) and len(bot.rows(InboxEvent)) == 3


def test_an_old_delete_button_has_expired(bot: Bot) -> None:
    send(bot, "q", ANSWERABLE)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)
    tap(bot, "x", SIGNER.sign(USER, "delete_data", str(int(old.timestamp()))))
    assert bot.texts_sent()[-1] == REPLIES["delete_expired"]
    assert bot.rows(LineUser)


def test_confirmed_deletion_withdraws_the_ticket_blanks_drafts_and_is_audited(any_db_bot: Bot) -> None:
    bot = any_db_bot
    ticket = open_ticket(bot, question="市営住宅の申込み 090-1234-5678 に電話ください")
    with Session(bot.engine) as session:
        create_draft(session, question=ticket.question, answer="住宅課が担当です。", category=None,
                     source_ticket_id=ticket.id, created_by="tanaka")
        session.commit()
    send(bot, "d", "データ削除")
    tap(bot, "y", button(bot, "削除する"))
    bot.run()
    assert bot.texts_sent()[-1] == REPLIES["deleted"] + "\n" + REPLIES["deleted_open"].format(ticket_id=ticket.id)
    assert bot.rows(Ticket) == [] and bot.rows(TicketMessage) == [] and bot.rows(LineUser) == []
    [draft] = bot.rows(FaqDraft)
    assert "市営住宅" not in draft.question and "削除" in draft.question and draft.answer == "住宅課が担当です。"
    [deleted] = [e for e in bot.rows(AuditEvent) if e.action == "citizen_data_deleted"]
    assert deleted.ticket_id == ticket.id and f"tickets={ticket.id}" in deleted.detail
    assert USER not in deleted.detail and "住宅" not in deleted.detail and deleted.actor == "citizen"
    assert_requests_match_spec(bot.api)
