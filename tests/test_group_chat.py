"""Group and room chats: the bot answers only when mentioned, says so once on join, and answers into the group."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.line.group_chat import GROUP_TEXT, question_for_bot
from bot.models import InboxEvent, LineUser, OutboxMessage
from retrieval.engine import Retriever
from tests.test_line_client import FakeMessagingApi, api_error, assert_requests_match_spec
from tests.test_webhook_sdk_fixture import sdk_events
from tests.test_worker import Bot
from tests.utils.openapi import errors as spec_errors

GROUP, ROOM = "C" + "a" * 32, "R" + "b" * 32
MEMBER, BOT_ID = "U" + "4" * 32, "U" + "d" * 32
QUESTION = "粗大ごみの出し方を教えて"


def group_source(kind: str = "group", user: str | None = MEMBER) -> dict[str, Any]:
    source: dict[str, Any] = {"type": kind, ("groupId" if kind == "group" else "roomId"): GROUP if kind == "group"
                              else ROOM}
    if user:
        source["userId"] = user
    return source


def group_text(event_id: str, text: str, *, mentions_bot: bool, kind: str = "group") -> dict[str, Any]:
    message: dict[str, Any] = {"type": "text", "id": "1", "text": text, "quoteToken": "q"}
    if mentions_bot:
        message["text"] = "@つなぐ " + text
        message["mention"] = {"mentionees": [{"index": 0, "length": 4, "type": "user", "userId": BOT_ID,
                                              "isSelf": True}]}
    event = {"type": "message", "webhookEventId": event_id, "replyToken": f"rt-{event_id}", "timestamp": 1,
             "mode": "active", "source": group_source(kind), "deliveryContext": {"isRedelivery": False},
             "message": message}
    assert spec_errors("webhook.yml", "Event", event) == []
    return event


@pytest.fixture
def bot(database_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(database_url, mini_retriever, FakeMessagingApi())


def test_the_mention_is_cut_out_and_other_mentions_do_not_count() -> None:
    message = {"type": "text", "text": "@つなぐ 児童手当はいつ？ @たろう",
               "mention": {"mentionees": [{"index": 0, "length": 4, "type": "user", "isSelf": True},
                                          {"index": 14, "length": 4, "type": "user", "userId": MEMBER}]}}
    assert question_for_bot(message) == "児童手当はいつ？ @たろう"
    others_only = {**message, "mention": {"mentionees": [{"index": 14, "length": 4, "type": "user"}]}}
    assert question_for_bot(others_only) is None
    assert question_for_bot({"type": "text", "text": "児童手当はいつ？"}) is None
    assert question_for_bot({"type": "sticker"}) is None


@pytest.mark.parametrize("kind", ["group", "room"])
def test_a_message_not_for_the_bot_gets_no_reply_and_its_text_is_not_kept(bot: Bot, kind: str) -> None:
    bot.receive(group_text("g1", QUESTION, mentions_bot=False, kind=kind))
    bot.run()
    assert bot.api.calls == []
    [event] = bot.rows(InboxEvent)
    assert event.status == "done" and QUESTION not in json.dumps(event.payload, ensure_ascii=False)
    assert bot.rows(LineUser) == []  # nothing remembered about group members


@pytest.mark.parametrize("kind", ["group", "room"])
def test_a_mention_is_answered_into_the_group_as_plain_text(bot: Bot, kind: str) -> None:
    bot.receive(group_text("g1", QUESTION, mentions_bot=True, kind=kind))
    bot.run()
    [(call, body, _)] = bot.api.calls
    assert call == "reply" and body["replyToken"] == "rt-g1"
    assert body["messages"][0]["text"].startswith("粗大ごみは事前の申込みが必要です")
    assert all("quickReply" not in m for m in body["messages"])  # no buttons for whoever taps them
    [row] = bot.rows(OutboxMessage) or [None]
    assert row is None or row.line_user_id == (GROUP if kind == "group" else ROOM)
    assert_requests_match_spec(bot.api)


def test_when_the_reply_fails_the_answer_is_pushed_to_the_group_not_to_the_member(
        database_url: str, mini_retriever: Retriever) -> None:
    bot = Bot(database_url, mini_retriever, FakeMessagingApi(replies=[api_error(400)]))
    bot.receive(group_text("g1", QUESTION, mentions_bot=True))
    bot.run()
    assert [(c[0], c[1].get("to")) for c in bot.api.calls] == [("reply", None), ("push", GROUP)]
    assert_requests_match_spec(bot.api)


def test_joining_a_group_says_once_how_to_ask(bot: Bot) -> None:
    join = {"type": "join", "webhookEventId": "j1", "replyToken": "rt-j1", "timestamp": 1, "mode": "active",
            "source": group_source(user=None), "deliveryContext": {"isRedelivery": False}}
    assert spec_errors("webhook.yml", "Event", join) == []
    bot.receive(join)
    bot.run()
    bot.run()
    assert bot.texts_sent() == [GROUP_TEXT["join"]]


def test_an_unanswerable_mention_points_to_the_one_to_one_chat(bot: Bot) -> None:
    bot.receive(group_text("g1", "明日の天気は？", mentions_bot=True))
    bot.run()
    assert bot.texts_sent() == [GROUP_TEXT["unknown"]]


def test_the_sdk_fixtures_group_and_room_texts_get_no_reply(bot: Bot) -> None:
    events = [e for e in sdk_events()["events"]
              if e["type"] == "message" and e["source"]["type"] in ("group", "room")
              and e["message"]["type"] == "text"]
    assert {e["source"]["type"] for e in events} == {"group", "room"}
    mentioned = [e for e in events if question_for_bot(e["message"]) is not None]
    bot.receive(*events)
    for _ in range(len(events) + 1):
        bot.run()
    assert len(bot.api.calls) == len(mentioned)  # only messages that mention the bot are answered
