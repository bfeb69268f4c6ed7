"""Unanswered questions for editors (issue 11, improvement loop), captured through the worker like a citizen's
chat: suggestions left without a choice, 「どれも違う」, 👎 on an answer and a declined staff offer; masked text,
a chosen suggestion no longer listed, 「データ削除」, retention, and no double rows when an event is retried.
Runs on SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session

from bot.conversation import TEXT
from bot.interactions import Interaction
from bot.models import InboxEvent
from bot.texts import LABELS
from core.clock import as_utc, utcnow
from handoff.models import Ticket
from knowledge.unanswered import UnansweredQuestion, mark_handled, open_unanswered, purge_unanswered
from retrieval.engine import Retriever
from tests.test_line_client import FakeMessagingApi
from tests.test_worker import OTHER, SIGNER, USER, Bot, confirm_deletion, send, tap, text_event
from tests.test_worker_faults import FailingCommits, stores_a_reply

SUGGESTED = "保育所"  # the mini pack offers its two nursery entries
NURSERY = ["childcare-nursery-documents", "childcare-nursery-apply-period"]
ANSWERED = "粗大ごみの出し方を教えて"
DECLINED = "住民票の写しがほしいです。電話番号は090-1234-5678です"  # a city matter the mini pack cannot answer


@pytest.fixture
def bot(database_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(database_url, mini_retriever, FakeMessagingApi())


def button(bot: Bot, label: str) -> str:
    """The data of the quick-reply button ``label`` in the last message sent."""
    quick = bot.api.calls[-1][1]["messages"][-1].get("quickReply") or {"items": []}
    return str(next(item["action"]["data"] for item in quick["items"] if item["action"]["label"] == label))


def suggestion(bot: Bot, faq_id: str) -> str:
    """The data of the button in the last message that opens entry ``faq_id``."""
    quick = bot.api.calls[-1][1]["messages"][-1]["quickReply"]["items"]
    datas = [str(item["action"]["data"]) for item in quick]
    return next(d for d in datas if (p := SIGNER.verify(USER, d)) is not None and p.argument == faq_id)


def unanswered(bot: Bot) -> list[UnansweredQuestion]:
    return sorted(bot.rows(UnansweredQuestion), key=lambda row: row.id or 0)


def listed(bot: Bot, *, later: dt.timedelta = dt.timedelta(hours=1)) -> list[UnansweredQuestion]:
    """What the editors' list shows ``later`` from now."""
    with Session(bot.engine) as session:
        return open_unanswered(session, now=utcnow() + later)


def kinds(bot: Bot) -> list[tuple[Any, ...]]:
    return [(i.kind, i.decision, i.faq_id, i.rating) for i in sorted(bot.rows(Interaction), key=lambda i: i.id)]


def test_suggestions_left_without_a_choice_are_listed_once_settled(bot: Bot) -> None:
    send(bot, "q", SUGGESTED)
    assert bot.texts_sent()[-1].startswith(TEXT["suggest"] + "\n1. ")
    [row] = unanswered(bot)
    assert (row.reason, row.status, row.text, row.line_user_id) == ("suggest_not_chosen", "open", SUGGESTED, USER)
    assert row.candidate_ids[:2] == NURSERY and row.faq_id is None
    assert listed(bot, later=dt.timedelta(0)) == []  # the citizen may still tap one
    assert [r.id for r in listed(bot, later=dt.timedelta(minutes=11))] == [row.id]


def test_a_chosen_suggestion_is_marked_chosen_and_not_listed(bot: Bot) -> None:
    send(bot, "q", SUGGESTED)
    tap(bot, "pick", suggestion(bot, NURSERY[1]))
    [row] = unanswered(bot)
    assert (row.status, row.faq_id) == ("chosen", NURSERY[1])
    assert listed(bot) == []
    assert kinds(bot) == [("question", "SUGGEST", None, None), ("choice", None, NURSERY[1], None)]


def test_a_tap_after_a_newer_question_does_not_settle_the_older_suggestions(bot: Bot) -> None:
    send(bot, "q", SUGGESTED)
    send(bot, "q2", "児童手当")  # answered; its buttons replace the suggestions
    tap(bot, "related", SIGNER.sign(USER, "choose", NURSERY[1]))  # among the first question's candidates
    [row] = unanswered(bot)
    assert row.status == "open" and row.faq_id is None and NURSERY[1] in row.candidate_ids


def test_an_entry_that_was_not_a_candidate_does_not_settle_the_suggestions(bot: Bot) -> None:
    send(bot, "q", SUGGESTED)
    [row] = unanswered(bot)
    tap(bot, "other", SIGNER.sign(USER, "choose", "unknown-entry"))
    assert unanswered(bot)[0].status == "open" and "unknown-entry" not in row.candidate_ids


def test_none_of_these_marks_the_suggestion_and_sends_the_question_to_staff(bot: Bot) -> None:
    send(bot, "q", SUGGESTED)
    tap(bot, "none", button(bot, LABELS["handoff_none_fit"]))
    [row] = unanswered(bot)
    assert (row.reason, row.status, row.text) == ("none_of_these", "open", SUGGESTED)
    assert [r.id for r in listed(bot)] == [row.id]
    assert [t.question for t in bot.rows(Ticket)] == [SUGGESTED]
    assert kinds(bot) == [("question", "SUGGEST", None, None), ("none_of_these", None, None, None),
                          ("handoff_sent", None, None, None)]


def test_thumbs_down_keeps_the_question_that_got_the_answer_once(bot: Bot) -> None:
    send(bot, "q", ANSWERED)
    down = button(bot, "解決しない")
    tap(bot, "down", down)
    tap(bot, "down-again", down)  # a second tap on the same button adds no second row
    [row] = unanswered(bot)
    assert (row.reason, row.text, row.faq_id, row.status) == ("feedback_down", ANSWERED, "procedures-garbage-bulky",
                                                              "open")
    feedback = [k for k in kinds(bot) if k[0] == "feedback"]
    assert feedback == [("feedback", None, "procedures-garbage-bulky", "down")] * 2  # every tap is counted


def test_thumbs_up_keeps_no_question(bot: Bot) -> None:
    send(bot, "q", ANSWERED)
    tap(bot, "up", button(bot, "解決した"))
    assert unanswered(bot) == []
    assert kinds(bot)[-1] == ("feedback", None, "procedures-garbage-bulky", "up")


def test_a_declined_offer_keeps_the_question_with_the_phone_number_masked(bot: Bot) -> None:
    send(bot, "q", DECLINED)
    assert bot.texts_sent()[-1] == TEXT["handoff_offer"]
    [offered] = unanswered(bot)  # kept for editors as soon as the bot had no answer
    assert offered.reason == "no_answer" and "090-1234-5678" not in offered.text
    tap(bot, "no", button(bot, LABELS["no"]))
    [row] = unanswered(bot)  # the same row, now declined
    assert row.id == offered.id and row.reason == "handoff_declined" and row.status == "open"
    assert "090-1234-5678" not in row.text and row.text == "住民票の写しがほしいです。電話番号は［電話番号］です"
    assert row.candidate_ids and all(isinstance(faq_id, str) for faq_id in row.candidate_ids)
    assert bot.rows(Ticket) == []
    assert kinds(bot) == [("question", "HANDOFF", None, None), ("staff_offered", None, None, None),
                          ("handoff_declined", None, None, None)]


def test_mark_handled_records_who_and_reopening_clears_it(bot: Bot) -> None:
    send(bot, "q", DECLINED)
    tap(bot, "no", button(bot, LABELS["no"]))
    [row] = unanswered(bot)
    with Session(bot.engine) as session:
        assert mark_handled(session, [row.id or 0, 999], "dismissed", "editor1") == 1
        session.commit()
    [handled] = unanswered(bot)
    assert (handled.status, handled.handled_by) == ("dismissed", "editor1") and handled.handled_at is not None
    assert listed(bot) == []
    with Session(bot.engine) as session:
        with pytest.raises(ValueError):
            mark_handled(session, [row.id or 0], "gone", "editor1")
        mark_handled(session, [row.id or 0], "open", "editor1")
        session.commit()
    [reopened] = unanswered(bot)
    assert (reopened.status, reopened.handled_by, reopened.handled_at) == ("open", None, None)


def test_data_deletion_removes_the_users_rows_of_both_tables(bot: Bot) -> None:
    for user in (USER, OTHER):
        send(bot, f"q-{user}", DECLINED, user)
        tap(bot, f"no-{user}", SIGNER.sign(user, "cancel", "offer"), user)
    assert {r.line_user_id for r in unanswered(bot)} == {USER, OTHER}
    confirm_deletion(bot)
    assert {r.line_user_id for r in unanswered(bot)} == {OTHER}
    assert {i.line_user_id for i in bot.rows(Interaction)} == {OTHER}


def test_retention_deletes_rows_older_than_the_period_and_all_of_an_expired_users(bot: Bot) -> None:
    send(bot, "q1", SUGGESTED)
    send(bot, "q2", SUGGESTED, OTHER)
    send(bot, "q3", DECLINED)
    tap(bot, "no", button(bot, LABELS["no"]))
    old, _, fresh = unanswered(bot)
    with Session(bot.engine) as session:
        stored = session.get(UnansweredQuestion, old.id)
        assert stored is not None
        stored.at = utcnow() - dt.timedelta(days=400)
        session.add(stored)
        session.commit()
    with Session(bot.engine) as session:
        assert purge_unanswered(session, utcnow() - dt.timedelta(days=365), [OTHER]) == 2
        session.commit()
    assert [r.id for r in unanswered(bot)] == [fresh.id]


def test_an_event_retried_after_a_failed_commit_is_recorded_once(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    failing = FailingCommits(monkeypatch, stores_a_reply)
    send(bot, "q", SUGGESTED)
    assert failing.failed == 1 and [e.status for e in bot.rows(InboxEvent)] == ["pending"]
    assert unanswered(bot) == [] and bot.rows(Interaction) == []  # rolled back with the replies
    bot.run()
    assert [e.status for e in bot.rows(InboxEvent)] == ["done"]
    assert len(unanswered(bot)) == 1 and len(bot.rows(Interaction)) == 1


def test_a_redelivered_event_is_recorded_once(bot: Bot) -> None:
    event = text_event("q", SUGGESTED)
    bot.receive(event)
    bot.run()
    bot.receive({**event, "deliveryContext": {"isRedelivery": True}})
    bot.run()
    assert len(unanswered(bot)) == 1 and len(bot.rows(Interaction)) == 1
    assert as_utc(unanswered(bot)[0].at) <= utcnow()
