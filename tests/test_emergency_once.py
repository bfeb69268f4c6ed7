"""One emergency check per text message (issue 17 item 1, the conversation's side).

The dispatcher runs ``bot.emergency.check`` once and passes the result on. A sure emergency gets the fixed
guidance only; a possible one (``sure`` False) gets the guidance first and then the usual answer, within LINE's
five messages per reply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot import conversation as conversation_module
from bot import dispatch as dispatch_module
from bot import emergency as emergency_module
from bot.conversation import after_guidance
from bot.emergency import Emergency, EmergencyCheck, guidance
from bot.line.messages import MAX_MESSAGES, render
from bot.replies import PostbackChoice, Say, say
from handoff.models import Ticket, TicketMessage
from handoff.replies import TEXT as TICKET_TEXT
from retrieval.engine import Retriever
from tests.test_line_client import FakeMessagingApi, assert_requests_match_spec
from tests.test_worker import SIGNER, USER, Bot, send, tap

ANSWERABLE = "粗大ごみの出し方を教えて"
MAYBE = EmergencyCheck((Emergency.POISONING,), sure=False)


@pytest.fixture
def bot(sqlite_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(sqlite_url, mini_retriever, FakeMessagingApi())


def counting(calls: list[str], name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return real(*args, **kwargs)
    return wrapper


def count_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every emergency check or detection made through the dispatcher and the conversation."""
    calls: list[str] = []
    for module in (dispatch_module, conversation_module):
        for name in ("check", "detect"):
            real = getattr(emergency_module, name)
            monkeypatch.setattr(module, name, counting(calls, name, real), raising=False)
    return calls


@pytest.mark.parametrize("text", [ANSWERABLE, "明日の天気は晴れますか", "こんにちは", "子どもがけいれんしている"])
def test_a_text_message_is_checked_once(bot: Bot, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    calls = count_checks(monkeypatch)
    send(bot, "q", text)
    assert calls == ["check"]


def possibly(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """``text`` only may be an emergency (the detector is another module; its answer is fixed here)."""
    real = emergency_module.check
    monkeypatch.setattr(dispatch_module, "check", lambda t: MAYBE if t == text else real(t), raising=False)


def test_a_possible_emergency_gets_the_guidance_first_then_the_answer(bot: Bot, monkeypatch: pytest.MonkeyPatch
                                                                      ) -> None:
    possibly(monkeypatch, ANSWERABLE)
    send(bot, "q", ANSWERABLE)
    texts = bot.texts_sent()
    assert texts[0] == guidance(MAYBE.kinds)
    assert texts[1].startswith("粗大ごみは事前の申込みが必要です")
    messages = bot.api.calls[-1][1]["messages"]
    assert len(messages) <= MAX_MESSAGES and "quickReply" in messages[-1]
    assert_requests_match_spec(bot.api)


def test_a_possible_emergency_on_an_open_ticket_joins_it_once_as_urgent(bot: Bot,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    send(bot, "q", "道路に穴があいてる")
    tap(bot, "yes", SIGNER.sign(USER, "handoff", "yes"))
    possibly(monkeypatch, "薬をのんだかもしれない")
    sent = len(bot.texts_sent())
    send(bot, "m", "薬をのんだかもしれない")
    [ticket] = bot.rows(Ticket)
    texts = bot.texts_sent()[sent:]
    assert texts[0] == guidance(MAYBE.kinds)
    assert texts[1:] == [TICKET_TEXT["joined"].format(ticket_id=ticket.id)]
    assert [m.text for m in bot.rows(TicketMessage)].count("薬をのんだかもしれない") == 1
    assert ticket.urgent


def test_a_sure_emergency_gets_the_guidance_only(bot: Bot) -> None:
    send(bot, "q", "子どもがけいれんしている")
    [message] = bot.api.calls[-1][1]["messages"]
    assert "119" in message["text"] and "quickReply" not in message


def test_guidance_then_a_long_reply_keeps_five_messages_and_the_buttons() -> None:
    first = say("【緊急】119")
    button = PostbackChoice("はい", "data")
    reply = [Say(str(n)) for n in range(6)] + say("last", [button])
    combined = render(after_guidance(first, reply))
    assert len(combined) == MAX_MESSAGES
    assert combined[0] == render(first)[0] and combined[-1]["text"] == "last" and "quickReply" in combined[-1]
