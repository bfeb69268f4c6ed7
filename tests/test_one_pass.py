"""One pass per message (issue 18 item 7): each text message is classified once and each question searched once.

A question's one search gives its reply, its capture and the candidates staff and routing get: the hand-off
(「はい」, 「どれも違う」, 「職員に聞く」) and the decline (「いいえ」) of that question reuse them (kept on the
citizen's ``LineUser`` row) instead of searching again, and the ticket gets the same candidates as a new search
would give. The emergency check and the canned-reply check run once per text message.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from bot import emergency as emergency_module
from bot.conversation import Conversation
from bot.models import LineUser
from bot.texts import LABELS
from handoff.models import Ticket
from knowledge.unanswered import UnansweredQuestion
from retrieval.engine import Retriever
from tests.test_line_client import FakeMessagingApi
from tests.test_unanswered_capture import ANSWERED, DECLINED, SUGGESTED, button
from tests.test_worker import SIGNER, USER, Bot, confirm_deletion, send, tap

STAFF = "職員に聞く"  # the button under an answer (bot.answers.BUTTONS)


@pytest.fixture
def bot(sqlite_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(sqlite_url, mini_retriever, FakeMessagingApi())


def counted(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[Any]:
    """Every call of ``owner.name`` from now on, by its first argument."""
    calls: list[Any] = []
    real: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0] if args else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def searches(monkeypatch: pytest.MonkeyPatch, retriever: Retriever) -> list[Any]:
    """The retriever's searches (``Retriever.decide``; a ``bot_view`` is one too)."""
    return counted(monkeypatch, retriever, "decide")


def emergency_checks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every emergency check, wherever ``check`` was imported (each reads the message through ``opinions``)."""
    return counted(monkeypatch, emergency_module, "opinions")


def fresh_view(retriever: Retriever, question: str) -> list[dict[str, Any]]:
    """What a new search for ``question`` gives staff and routing (what a hand-off searched before)."""
    return Conversation(retriever, SIGNER).bot_view(question)


def citizen(bot: Bot) -> LineUser:
    with Session(bot.engine) as session:
        user = session.get(LineUser, USER)
        assert user is not None
        return user


@pytest.mark.parametrize(("question", "label"), [(DECLINED, LABELS["handoff_yes"]),
                                                 (SUGGESTED, LABELS["handoff_none_fit"]), (ANSWERED, STAFF)])
def test_a_question_and_its_hand_off_search_once_and_check_once(bot: Bot, mini_retriever: Retriever,
                                                                 monkeypatch: pytest.MonkeyPatch, question: str,
                                                                 label: str) -> None:
    expected = fresh_view(mini_retriever, question)
    searched, checked = searches(monkeypatch, mini_retriever), emergency_checks(monkeypatch)
    send(bot, "q", question)
    tap(bot, "yes", button(bot, label))
    [ticket] = bot.rows(Ticket)
    assert (ticket.question, ticket.candidates, ticket.urgent) == (question, expected, False)
    assert searched == [question]
    assert checked == [question]


def test_the_question_keeps_what_its_search_found_until_it_is_sent(bot: Bot, mini_retriever: Retriever) -> None:
    expected = fresh_view(mini_retriever, DECLINED)
    send(bot, "q", DECLINED)
    user = citizen(bot)
    assert (user.last_question, user.last_candidates, user.last_question_urgent) == (DECLINED, expected, False)
    send(bot, "t", "ありがとう")  # small talk keeps the question and what was found for it
    assert citizen(bot).last_candidates == expected
    tap(bot, "yes", SIGNER.sign(USER, "handoff", "yes"))
    user = citizen(bot)
    assert (user.last_question, user.last_candidates, user.last_question_urgent) == (None, None, None)


def test_a_declined_offer_keeps_the_candidates_of_the_questions_own_search(bot: Bot, mini_retriever: Retriever,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    expected = [c["faq_id"] for c in fresh_view(mini_retriever, DECLINED)]
    searched = searches(monkeypatch, mini_retriever)
    send(bot, "q", DECLINED)
    tap(bot, "no", button(bot, LABELS["no"]))
    [row] = bot.rows(UnansweredQuestion)
    assert row.reason == "handoff_declined" and row.candidate_ids == expected
    assert searched == [DECLINED]


def test_a_follow_up_question_on_an_open_ticket_is_searched_and_checked_once(bot: Bot, mini_retriever: Retriever,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    send(bot, "q", DECLINED)
    tap(bot, "yes", button(bot, LABELS["handoff_yes"]))
    searched, checked = searches(monkeypatch, mini_retriever), emergency_checks(monkeypatch)
    send(bot, "f", ANSWERED)
    assert bot.texts_sent()[-1].startswith("粗大ごみは事前の申込みが必要です")  # answered while the ticket is open
    assert searched == [ANSWERED] and checked == [ANSWERED]


@pytest.mark.parametrize("text", [ANSWERED, DECLINED, "こんにちは", "ありがとう"])
def test_a_text_message_is_classified_once(bot: Bot, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    text_event = importlib.import_module("bot.text_event")
    canned, checked = counted(monkeypatch, text_event, "canned_reply"), emergency_checks(monkeypatch)
    send(bot, "q", text)
    assert canned == [text] and checked == [text]


def test_a_citizen_row_without_candidates_searches_at_the_hand_off(bot: Bot, mini_retriever: Retriever,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A row from before migration 0016 (a question asked before the upgrade) still hands off the same."""
    expected = fresh_view(mini_retriever, DECLINED)
    send(bot, "q", DECLINED)
    with Session(bot.engine) as session:
        user = session.get(LineUser, USER)
        assert user is not None
        user.last_candidates = user.last_question_urgent = None
        session.add(user)
        session.commit()
    searched, checked = searches(monkeypatch, mini_retriever), emergency_checks(monkeypatch)
    tap(bot, "yes", button(bot, LABELS["handoff_yes"]))
    [ticket] = bot.rows(Ticket)
    assert (ticket.candidates, ticket.urgent) == (expected, False)
    assert searched == [DECLINED] and checked == [DECLINED]


def test_a_possible_emergency_question_hands_off_urgent_without_a_second_check(bot: Bot,
                                                                                monkeypatch: pytest.MonkeyPatch
                                                                                ) -> None:
    possible = emergency_module.EmergencyCheck((emergency_module.Emergency.POISONING,), sure=False)
    real = emergency_module.check
    dispatch_module = importlib.import_module("bot.dispatch")
    checked: list[str] = []

    def check(text: str) -> emergency_module.EmergencyCheck:
        checked.append(text)
        return possible if text == ANSWERED else real(text)

    monkeypatch.setattr(dispatch_module, "check", check)
    send(bot, "q", ANSWERED)
    tap(bot, "yes", button(bot, STAFF))
    [ticket] = bot.rows(Ticket)
    assert ticket.urgent and checked == [ANSWERED]


def test_data_deletion_removes_the_kept_candidates_with_the_citizen(bot: Bot) -> None:
    send(bot, "q", DECLINED)
    assert citizen(bot).last_candidates is not None
    confirm_deletion(bot)
    assert bot.rows(LineUser) == []
