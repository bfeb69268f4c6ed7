"""The rich menu's 「緊急のとき」 (issue 17 item 5): 119 and a choice of five topics first, then only the chosen
topic's guidance. Before, every guidance text (the suicide-prevention text too) went to everyone who tapped it.

Driven through the worker, so every request sent to the fake LINE API is checked against LINE's spec.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.emergency import GUIDANCE, MENU_INTRO, MENU_LABELS, Emergency
from bot.emergency_menu import EMERGENCY_CHOICES
from bot.line.messages import MAX_LABEL_CHARS
from bot.menu_actions import MenuAction, menu_data, parse_menu_data
from retrieval.engine import Retriever
from tests.test_line_client import FakeMessagingApi, assert_requests_match_spec
from tests.test_worker import Bot, tap

CHOICES = ["子どもの急病・けが", "誤飲", "こころがつらい", "暴力・虐待", "災害"]
TOPIC_OF_LABEL = {"子どもの急病・けが": Emergency.ILLNESS, "誤飲": Emergency.POISONING,
                  "こころがつらい": Emergency.SUICIDE, "暴力・虐待": Emergency.ABUSE, "災害": Emergency.DISASTER}


@pytest.fixture
def bot(sqlite_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(sqlite_url, mini_retriever, FakeMessagingApi())


def quick_reply_actions(bot: Bot) -> list[dict[str, Any]]:
    quick = bot.api.calls[-1][1]["messages"][-1].get("quickReply") or {"items": []}
    return [item["action"] for item in quick["items"]]


def open_menu(bot: Bot) -> list[dict[str, Any]]:
    tap(bot, "menu", menu_data(MenuAction.EMERGENCY))
    return quick_reply_actions(bot)


def test_the_menu_names_119_and_offers_the_five_choices(bot: Bot) -> None:
    actions = open_menu(bot)
    assert bot.texts_sent() == [MENU_INTRO]
    assert "119" in MENU_INTRO
    assert [action["label"] for action in actions] == CHOICES
    assert all(len(action["label"]) <= MAX_LABEL_CHARS for action in actions)
    assert_requests_match_spec(bot.api)


def test_the_first_reply_shows_no_guidance_and_not_the_suicide_text(bot: Bot) -> None:
    open_menu(bot)
    [first] = bot.texts_sent()
    assert "つらい気持ちを話してくださって" not in first and "0570-783-556" not in first
    assert not any(text in first for text in GUIDANCE.values())


@pytest.mark.parametrize("label", CHOICES)
def test_each_choice_shows_its_own_guidance_and_not_the_others(bot: Bot, label: str) -> None:
    data = next(action["data"] for action in open_menu(bot) if action["label"] == label)
    tap(bot, "choice", data)
    reply = bot.texts_sent()[-1]
    assert reply == GUIDANCE[TOPIC_OF_LABEL[label]]
    others = [text for kind, text in GUIDANCE.items() if kind is not TOPIC_OF_LABEL[label]]
    assert not any(text in reply for text in others)
    assert_requests_match_spec(bot.api)


def test_the_choices_are_menu_actions_any_follower_may_tap(bot: Bot) -> None:
    """Menu postbacks are unsigned: the choice works for a user who never opened the menu."""
    data = menu_data(MenuAction.EMERGENCY_VIOLENCE)
    assert parse_menu_data(data) is MenuAction.EMERGENCY_VIOLENCE
    tap(bot, "v", data, user="U" + "f" * 32)
    assert bot.texts_sent()[-1] == GUIDANCE[Emergency.ABUSE]
    assert "#8008" in bot.texts_sent()[-1] and "189" in bot.texts_sent()[-1]


def test_every_choice_has_a_label_and_guidance() -> None:
    assert [MENU_LABELS[kind] for kind in EMERGENCY_CHOICES.values()] == CHOICES
    assert all(action.is_emergency for action in EMERGENCY_CHOICES)
    assert not MenuAction.HELP.is_emergency and MenuAction.EMERGENCY.is_emergency
