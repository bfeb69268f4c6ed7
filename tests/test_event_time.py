"""LINE's event time, not our processing time, drives rate limits, reply-token windows and ticket times."""

import datetime as dt
from typing import Any

import pytest

from bot.dispatch import REPLIES
from bot.inbox import MAX_EVENT_AGE, event_time
from bot.models import OutboxMessage
from core.clock import as_utc, utcnow
from handoff.models import Ticket, TicketMessage
from retrieval.engine import Retriever
from tests.test_line_client import FakeMessagingApi
from tests.test_worker import SIGNER, USER, Bot, postback_event, text_event

RECEIVED = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def bot(database_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(database_url, mini_retriever, FakeMessagingApi())


def millis(at: dt.datetime) -> int:
    return int(at.timestamp() * 1000)


def at_time(event: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    return {**event, "timestamp": millis(at)}


@pytest.mark.parametrize(("stamp", "expected"), [
    (millis(RECEIVED - dt.timedelta(minutes=30)), RECEIVED - dt.timedelta(minutes=30)),  # a backlog
    (millis(RECEIVED + dt.timedelta(seconds=5)), RECEIVED),  # LINE's clock ahead of ours: never in our future
    (millis(RECEIVED - MAX_EVENT_AGE - dt.timedelta(seconds=1)), RECEIVED),  # not a real LINE time
    (1, RECEIVED), ("1764579600000", RECEIVED), (True, RECEIVED), (None, RECEIVED), (10**30, RECEIVED),
])
def test_event_time_is_lines_timestamp_within_sane_bounds(stamp: Any, expected: dt.datetime) -> None:
    assert event_time({"timestamp": stamp}, RECEIVED) == expected


def test_draining_a_backlog_does_not_rate_limit_a_user_who_wrote_slowly(bot: Bot) -> None:
    # 25 messages, one every 10 s over four minutes (under 20 a minute), all answered only now (worker was down).
    start = utcnow() - dt.timedelta(minutes=5)
    bot.receive(*[at_time(text_event(f"b{i:02d}", "ありがとう"), start + dt.timedelta(seconds=10 * i))
                  for i in range(25)])
    for _ in range(30):
        bot.run()
    texts = bot.texts_sent()
    assert REPLIES["slow_down"] not in texts
    assert len(texts) == 25


def test_ticket_and_reply_window_follow_the_event_time(bot: Bot) -> None:
    asked = (utcnow() - dt.timedelta(minutes=3)).replace(microsecond=0)  # LINE sends milliseconds
    bot.receive(at_time(text_event("t1", "明日の天気は晴れますか"), asked))
    bot.worker.process_inbox()
    [outbox] = bot.rows(OutboxMessage)
    # The reply token was issued with the event three minutes ago: expired, so the answer must be a push.
    assert as_utc(outbox.reply_token_expires_at) < utcnow()
    bot.receive(at_time(postback_event("t2", SIGNER.sign(USER, "handoff", "yes")), asked + dt.timedelta(seconds=40)))
    bot.run()
    [ticket] = bot.rows(Ticket)
    assert as_utc(ticket.created_at) == asked + dt.timedelta(seconds=40)
    assert [as_utc(m.created_at) for m in bot.rows(TicketMessage)] == [asked + dt.timedelta(seconds=40)]
