"""The count-only interaction log (issue 11, improvement loop), captured through the worker: one row per searched
question with its decision, per tapped entry, per 👍/👎 and per hand-off sent, none for small talk; no message
text in the table; group chats counted without ids. Also: a publish that archives an entry between the search and
the lookup of its answer no longer breaks the reply (the retriever's entries are swapped whole).
Runs on SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import MetaData, select
from sqlmodel import Session

from bot.conversation import TEXT, Conversation, served_only
from bot.interactions import Interaction, record_interaction
from bot.models import InboxEvent
from bot.texts import TEXT_EN
from core.clock import utcnow
from retrieval.decision import Decision, DecisionKind, Reason
from retrieval.engine import Retriever
from retrieval.fusion import Candidate
from tests.test_group_chat import group_text
from tests.test_line_client import FakeMessagingApi
from tests.test_worker import SIGNER, USER, Bot, send, tap, text_event
from tests.test_worker_faults import FailingCommits, stores_a_reply
from tests.utils.line import LineRendered

ANSWERED = "粗大ごみの出し方を教えて"
GARBAGE = "procedures-garbage-bulky"
WEATHER = "明日の天気は晴れますか"


@pytest.fixture
def bot(database_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(database_url, mini_retriever, FakeMessagingApi())


def rows(bot: Bot) -> list[tuple[Any, ...]]:
    """(kind, decision, faq_id, rating, language, user) of every row, oldest first."""
    return [(i.kind, i.decision, i.faq_id, i.rating, i.language, i.line_user_id)
            for i in sorted(bot.rows(Interaction), key=lambda i: i.id)]


def test_an_answered_question_is_counted_with_its_entry(bot: Bot) -> None:
    send(bot, "q", ANSWERED)
    assert rows(bot) == [("question", "ANSWER", GARBAGE, None, "ja", USER)]


def test_an_english_question_is_counted_as_english(bot: Bot) -> None:
    send(bot, "q", "What about the weather tomorrow?")
    assert bot.texts_sent()[-1] == TEXT_EN["out_of_scope"]
    assert rows(bot) == [("question", "HANDOFF", None, None, "en", USER), ("scope_reply", None, None, None, "en", USER)]


def test_small_talk_and_emergencies_are_not_counted_as_questions(bot: Bot) -> None:
    send(bot, "hi", "こんにちは")
    send(bot, "thanks", "ありがとう")
    send(bot, "sos", "子どもがけいれんしている")
    assert rows(bot) == []


def test_tapped_entries_and_ratings_are_counted(bot: Bot) -> None:
    tap(bot, "browse", SIGNER.sign(USER, "browse", GARBAGE))
    tap(bot, "choose", SIGNER.sign(USER, "choose", "en:tourism-tram-ride"))
    tap(bot, "up", SIGNER.sign(USER, "feedback", f"up:{GARBAGE}"))
    tap(bot, "down", SIGNER.sign(USER, "feedback", "down:tourism-tram-ride"))
    tap(bot, "staff", SIGNER.sign(USER, "feedback", "staff-good"))  # a rating of staff, not of the bot
    assert [row[:5] for row in rows(bot)] == [
        ("choice", None, GARBAGE, None, "ja"), ("choice", None, "tourism-tram-ride", None, "en"),
        ("feedback", None, GARBAGE, "up", "ja"), ("feedback", None, "tourism-tram-ride", "down", "ja"),
    ]


def test_a_question_sent_to_staff_is_counted_and_a_confident_follow_up_too(bot: Bot) -> None:
    send(bot, "q", WEATHER)
    tap(bot, "yes", SIGNER.sign(USER, "handoff", "yes"))
    send(bot, "more", "補足です")  # joins the ticket: not searched as a question
    send(bot, "again", ANSWERED)  # answered while the ticket is open
    assert [row[:3] for row in rows(bot)] == [("question", "HANDOFF", None), ("scope_reply", None, None),
                                              ("handoff_sent", None, None), ("question", "ANSWER", GARBAGE)]


def test_the_table_holds_no_message_text(bot: Bot) -> None:
    send(bot, "q", ANSWERED)
    send(bot, "w", WEATHER)
    tap(bot, "down", SIGNER.sign(USER, "feedback", f"down:{GARBAGE}"))
    table = MetaData()
    table.reflect(bind=bot.engine, only=["bot_interaction"])
    with bot.engine.connect() as connection:
        values = [str(v) for row in connection.execute(select(table.tables["bot_interaction"])) for v in row]
    assert len(values) >= 3 * 8
    assert not any(text in value for value in values for text in (ANSWERED, WEATHER, "粗大ごみ", "天気"))


def test_group_questions_are_counted_without_ids_or_text(bot: Bot) -> None:
    bot.receive(group_text("g1", ANSWERED, mentions_bot=True), group_text("g2", WEATHER, mentions_bot=False))
    bot.run()
    assert rows(bot) == [("question", "ANSWER", GARBAGE, None, "ja", None)]


def test_a_retried_event_is_counted_once(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    failing = FailingCommits(monkeypatch, stores_a_reply)
    send(bot, "q", ANSWERED)
    assert failing.failed == 1 and rows(bot) == []
    bot.run()
    bot.receive({**text_event("q", ANSWERED), "deliveryContext": {"isRedelivery": True}})
    bot.run()
    assert [e.status for e in bot.rows(InboxEvent)] == ["done"]
    assert len(rows(bot)) == 1


def test_record_interaction_refuses_unknown_kinds_and_ratings(bot: Bot) -> None:
    with Session(bot.engine) as session:
        with pytest.raises(ValueError):
            record_interaction(session, at=utcnow(), line_user_id=None, kind="text")
        with pytest.raises(ValueError):
            record_interaction(session, at=utcnow(), line_user_id=None, kind="feedback", rating="meh")


# -- a publish between the search and the lookup ----------------------------------------------------------------
def archive_after_first_search(retriever: Retriever, faq_id: str) -> None:
    """The first ``decide`` is followed at once by a publish that archives ``faq_id`` (a new index generation)."""
    original, published = retriever.decide, [e for e in retriever.entries.values() if e.id != faq_id]

    def decide_then_publish(text: str, **options: Any) -> Decision:
        decision = original(text, **options)
        if faq_id in retriever.entries:
            retriever.swap(retriever.prepare(published)[0])
        return decision

    setattr(retriever, "decide", decide_then_publish)  # noqa: B010  (an instance attribute shadows the method)


def test_an_entry_archived_between_search_and_lookup_is_not_answered(bot: Bot, mini_retriever: Retriever) -> None:
    archive_after_first_search(mini_retriever, GARBAGE)
    send(bot, "q", ANSWERED)
    [event] = bot.rows(InboxEvent)
    assert event.status == "done" and event.last_error is None  # no KeyError: it was searched again
    assert GARBAGE not in mini_retriever.entries
    assert not bot.texts_sent()[-1].startswith("粗大ごみは事前の申込みが必要です")
    (kind, decision, faq_id, *_), *reply_kind = rows(bot)  # and the staff offer or scope reply it got, if any
    assert kind == "question" and faq_id != GARBAGE and decision is not None
    assert [row[0] for row in reply_kind] in ([], ["staff_offered"], ["scope_reply"])


def test_a_decision_naming_entries_no_longer_served_is_no_answer(mini_retriever: Retriever) -> None:
    entries = mini_retriever.entries
    gone = Decision(DecisionKind.ANSWER, Reason.CONFIDENT, 0.9, "archived-entry",
                    [Candidate("archived-entry", 0.9, 0.9, 0.0), Candidate(GARBAGE, 0.2, 0.2, 0.0)])
    settled = served_only(gone, entries)
    assert (settled.kind, settled.faq_id, [c.faq_id for c in settled.candidates]) == (
        DecisionKind.HANDOFF, None, [GARBAGE])
    partly = Decision(DecisionKind.SUGGEST, Reason.AMBIGUOUS, 0.5, None, [],
                      [Candidate("archived-entry", 0.5, 0.5, 0.0), Candidate(GARBAGE, 0.4, 0.4, 0.0)])
    assert [c.faq_id for c in served_only(partly, entries).suggestions] == [GARBAGE]
    whole = Decision(DecisionKind.ANSWER, Reason.CONFIDENT, 0.9, GARBAGE, [Candidate(GARBAGE, 0.9, 0.9, 0.0)])
    assert served_only(whole, entries) is whole
    conversation = LineRendered(Conversation(mini_retriever, SIGNER))
    assert conversation.reply_to_decision(USER, gone)[0]["text"] == TEXT["handoff_offer"]
