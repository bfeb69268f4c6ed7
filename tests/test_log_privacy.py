"""No log line holds what a citizen or staff member wrote, nor a raw LINE user id (issue 10 §3).

A whole conversation runs through the app in-process (signed webhooks, the worker inside the app, a fake LINE over
HTTP, the staff console): a question the bot cannot answer, consent to ask staff, staff claim and reply, the
citizen's follow-up. Every record of every logger is captured at DEBUG (SQLAlchemy's SQL log at INFO, which with
its parameters would hold all of it) and scanned: its formatted JSON line, its raw message and arguments, and its
extra fields.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.line.emulator.fake_api import FakeLineApi
from bot.postback import PostbackSigner
from core.logging_setup import JsonFormatter, RequestIdFilter, user_ref
from handoff.models import Ticket, TicketMessage
from tests.test_console import Console, make_console
from tests.utils.servers import serve
from tests.utils.waiting import wait_for

SECRET = "log-privacy-channel-secret"
CITIZEN = "U" + "7e57c0de" * 4
STAFF = "staff-sato-hanako"
QUESTION = "ユニーク質問テキスト123の手続きはどこでできますか"
STAFF_REPLY = "スタッフ返信テキスト456をご確認ください"
FOLLOW_UP = "フォローアップ本文789です"
WAIT_S = 20.0  # for each step of the worker (bounded, so a stuck worker fails the test)
FORBIDDEN = ("ユニーク質問テキスト123", "スタッフ返信テキスト456", "フォローアップ本文789", CITIZEN, CITIZEN[1:], STAFF)


class Capture(logging.Handler):
    """Keeps every record, with the request id a production handler would add."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.addFilter(RequestIdFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def leaks(records: list[logging.LogRecord]) -> list[str]:
    """The JSON lines of the records that hold a forbidden string anywhere (message, arguments, extra fields)."""
    found = []
    for record in records:
        line = JsonFormatter().format(record)
        raw = " ".join([str(record.msg), repr(record.args), repr(vars(record)), json.dumps(json.loads(line))])
        if any(secret in line or secret in raw for secret in FORBIDDEN):
            found.append(line)
    return found


@pytest.fixture
def captured() -> Iterator[Capture]:
    root, sql = logging.getLogger(), logging.getLogger("sqlalchemy.engine")
    saved = root.level, sql.level
    handler = Capture()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sql.setLevel(logging.INFO)  # statements logged: their parameters must not be (hide_parameters)
    yield handler
    root.removeHandler(handler)
    root.setLevel(saved[0])
    sql.setLevel(saved[1])


@pytest.fixture
def line() -> Iterator[tuple[FakeLineApi, str]]:
    fake = FakeLineApi()
    with serve(fake.app()) as url:
        yield fake, url


@pytest.fixture
def console(sqlite_url: str, line: tuple[FakeLineApi, str]) -> Iterator[Console]:
    yield from make_console(
        sqlite_url, accounts={STAFF: ("staff", "こども家庭部")}, LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN="token", LINE_API_BASE=line[1], run_worker_in_process=True,
        handoff_shared_queue=True,
    )


def send(console: Console, event_id: str, content: dict[str, Any]) -> str:
    """Post one signed event from CITIZEN to /callback; returns the response's request id."""
    event = {"webhookEventId": event_id, "replyToken": f"rt-{event_id}", "timestamp": int(time.time() * 1000),
             "mode": "active", "source": {"type": "user", "userId": CITIZEN},
             "deliveryContext": {"isRedelivery": False}, **content}
    body = json.dumps({"destination": "Ubot", "events": [event]}, ensure_ascii=False).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    response = console.client.post("/callback", content=body, headers={"X-Line-Signature": signature})
    assert response.status_code == 200
    return response.headers["X-Request-ID"]


def text(event_id: str, words: str) -> dict[str, Any]:
    return {"type": "message", "message": {"type": "text", "id": event_id, "text": words}}


def ticket_of(console: Console) -> Ticket | None:
    with Session(console.services.engine) as session:
        return session.exec(select(Ticket).where(Ticket.line_user_id == CITIZEN)).first()


def thread_texts(console: Console) -> list[str]:
    return [m.text for m in console.rows(TicketMessage)]


def test_a_conversation_with_a_hand_off_leaves_no_text_and_no_user_id_in_the_logs(
    console: Console, line: tuple[FakeLineApi, str], captured: Capture
) -> None:
    fake = line[0]
    webhook_request = send(console, "01EVENTQUESTION", text("m1", QUESTION))
    wait_for(lambda: len(fake.calls) >= 1, timeout=WAIT_S, message="the bot's answer to the question")
    consent = PostbackSigner(SECRET).sign(CITIZEN, "handoff", "yes")
    send(console, "01EVENTCONSENT", {"type": "postback", "postback": {"data": consent}})
    ticket = wait_for(lambda: ticket_of(console), timeout=WAIT_S, message="the ticket")
    csrf = console.login(STAFF)
    console.client.get(f"/staff/tickets/{ticket.id}/faq", params={"q": QUESTION})
    console.client.post(f"/staff/tickets/{ticket.id}/claim", data={"csrf_token": csrf})
    console.client.post(f"/staff/tickets/{ticket.id}/reply", data={"csrf_token": csrf, "text": STAFF_REPLY})
    wait_for(lambda: any(STAFF_REPLY in json.dumps(c.body, ensure_ascii=False) for c in fake.calls),
             timeout=WAIT_S, message="the staff reply on LINE")
    send(console, "01EVENTFOLLOWUP", text("m2", FOLLOW_UP))
    wait_for(lambda: FOLLOW_UP in thread_texts(console), timeout=WAIT_S, message="the follow-up in the ticket's thread")

    records = list(captured.records)
    assert thread_texts(console)[0] == QUESTION  # the texts really went through the app...
    assert leaks(records) == []  # ...and none of them, nor the user id, reached a log line
    handled = [r for r in records if r.getMessage().startswith("inbox event") and r.getMessage().endswith("handled")]
    assert [getattr(r, "request_id", None) for r in handled] == ["01EVENTQUESTION", "01EVENTCONSENT",
                                                                 "01EVENTFOLLOWUP"]
    assert {getattr(r, "user", None) for r in handled} == {user_ref(CITIZEN)}
    assert {getattr(r, "text_chars", None) for r in handled} == {len(QUESTION), None, len(FOLLOW_UP)}
    stored = [r for r in records if r.name == "bot.line.webhook" and "stored" in r.getMessage()]
    assert stored and getattr(stored[0], "request_id", None) == webhook_request
    assert any("SQL parameters hidden" in r.getMessage() for r in records)


def test_the_scan_finds_a_leak_in_the_message_the_arguments_or_an_extra_field() -> None:
    def made(msg: str, args: tuple[object, ...] = (), **extra: object) -> logging.LogRecord:
        record = logging.LogRecord("bot.test", logging.INFO, __file__, 1, msg, args, None)
        record.__dict__.update(extra)
        return record

    clean = made("inbox event %s handled", (3,), user=user_ref(CITIZEN), text_chars=12)
    dirty = [made(f"question: {QUESTION}"), made("from %s", (CITIZEN,)), made("reply", staff_text=STAFF_REPLY)]
    assert leaks([clean]) == []
    assert len(leaks(dirty)) == 3
