"""Notifications of new tickets, against a real local HTTP server and a real local SMTP server."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from handoff.notify import (
    EmailNotifier,
    NotificationHub,
    Notifications,
    NotifyResult,
    TicketNotice,
    WebhookNotifier,
    build_hub,
)
from tests.utils.servers import free_port
from tsunagu.settings import Settings

CONSOLE_URL = "http://127.0.0.1:8000/staff/tickets/12"
NOTICE = TicketNotice(ticket_id=12, team="こども家庭部", category="childcare", urgent=False,
                      created_at=dt.datetime(2026, 11, 24, 1, 30, tzinfo=dt.UTC), console_url=CONSOLE_URL)
URGENT = dataclasses.replace(NOTICE, urgent=True)


@dataclasses.dataclass
class Received:
    path: str
    content_type: str
    body: Any


@contextmanager
def webhook_server(status: int = 200) -> Iterator[tuple[str, list[Received]]]:
    """A real HTTP server on a free loopback port that records every POST and answers ``status``."""
    received: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(Received(self.path, self.headers.get_content_type(), json.loads(body)))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts TCP connections (kernel backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


class Inbox:
    """aiosmtpd handler that keeps every envelope."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


class Hangs:
    """A notifier that never finishes (e.g. a stuck relay); the hub must cut it off."""

    name = "hangs"
    timeout = 0.1

    async def send(self, notice: TicketNotice) -> None:
        await asyncio.sleep(3600)


def test_notice_carries_no_personal_data() -> None:
    fields = {field.name for field in dataclasses.fields(TicketNotice)}
    assert fields == {"ticket_id", "team", "category", "urgent", "created_at", "console_url"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        NOTICE.team = "市民課"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("style", "notice", "expected"),
    [
        ("slack", NOTICE, {"text": f"新しい問い合わせ #12（こども家庭部）: {CONSOLE_URL}"}),
        ("google_chat", URGENT, {"text": f"【至急】新しい問い合わせ #12（こども家庭部）: {CONSOLE_URL}"}),
        ("teams", URGENT, {
            "@type": "MessageCard", "@context": "http://schema.org/extensions",
            "summary": "【至急】新しい問い合わせ #12（こども家庭部）",
            "text": f"【至急】新しい問い合わせ #12（こども家庭部）: {CONSOLE_URL}",
        }),
    ],
)
def test_webhook_posts_the_exact_json_of_each_style(style: Any, notice: TicketNotice, expected: Any) -> None:
    with webhook_server() as (base, received):
        results = asyncio.run(NotificationHub([WebhookNotifier(f"{base}/hook/abc", style)]).notify(notice))
    assert results == [NotifyResult(f"webhook:{style}", ok=True)]
    assert received == [Received("/hook/abc", "application/json", expected)]


def test_email_is_utf8_japanese_to_every_recipient(smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    recipients = ["kodomo@city.example.jp", "soudan@city.example.jp"]
    notifier = EmailNotifier("127.0.0.1", port, "tsunagu@city.example.jp", recipients)
    results = asyncio.run(NotificationHub([notifier]).notify(URGENT))
    assert results == [NotifyResult("email", ok=True)]
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "tsunagu@city.example.jp"
    assert envelope.rcpt_tos == recipients
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "[Tsunagu] 【至急】新しい問い合わせ #12（こども家庭部）"
    assert message["To"] == ", ".join(recipients)
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "新しい問い合わせ #12 が届きました。" in body
    assert "担当: こども家庭部" in body and "至急: はい" in body
    assert "受付: 2026-11-24 10:30（日本時間）" in body
    assert CONSOLE_URL in body


def test_failures_are_reported_and_the_others_still_deliver(smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    with webhook_server(status=500) as (broken, _), silent_server() as silent, webhook_server() as (good, received):
        hub = NotificationHub([
            WebhookNotifier(f"{broken}/hook", "slack"),
            WebhookNotifier(f"{silent}/hook", "teams", timeout=0.3),
            Hangs(),
            WebhookNotifier(f"{good}/hook", "google_chat"),
            EmailNotifier("127.0.0.1", port, "tsunagu@city.example.jp", ["soudan@city.example.jp"]),
        ])
        started = time.monotonic()
        results = asyncio.run(hub.notify(NOTICE))
        elapsed = time.monotonic() - started
    assert [(result.notifier, result.ok) for result in results] == [
        ("webhook:slack", False), ("webhook:teams", False), ("hangs", False),
        ("webhook:google_chat", True), ("email", True),
    ]
    assert results[0].error == "HTTPStatusError 500"
    assert results[1].error in {"ReadTimeout", "TimeoutError"}
    assert results[2].error == "TimeoutError"
    assert len(received) == 1 and len(inbox.envelopes) == 1
    assert elapsed < 2  # concurrent and bounded: not the sum of the timeouts, not the hour of Hangs


def test_refused_smtp_connection_is_a_failed_result() -> None:
    notifier = EmailNotifier("127.0.0.1", free_port(), "tsunagu@city.example.jp", ["soudan@city.example.jp"])
    results = asyncio.run(NotificationHub([notifier]).notify(NOTICE))
    assert results == [NotifyResult("email", ok=False, error="ConnectionRefusedError")]


def test_starttls_against_a_server_without_it_fails_cleanly(smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    notifier = EmailNotifier("127.0.0.1", port, "tsunagu@city.example.jp", ["a@city.example.jp"], use_starttls=True)
    [result] = asyncio.run(NotificationHub([notifier]).notify(NOTICE))
    assert not result.ok and result.error == "SMTPNotSupportedError"
    assert inbox.envelopes == []


def test_failure_logs_do_not_contain_the_webhook_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with webhook_server(status=500) as (base, received), silent_server() as silent:
        secret_path = "/services/T0CITY/B0HOOK/sEcReTpAtH"
        hub = NotificationHub([
            WebhookNotifier(f"{base}{secret_path}?token=q5ecret", "slack"),
            WebhookNotifier(f"{silent}{secret_path}?token=q5ecret", "teams", timeout=0.2),
        ])
        results = asyncio.run(hub.notify(NOTICE))
    assert received and received[0].path == f"{secret_path}?token=q5ecret"  # the token really was used
    assert not any(result.ok for result in results)
    assert "webhook:slack" in caplog.text and "HTTPStatusError 500" in caplog.text and "webhook:teams" in caplog.text
    for secret in ("sEcReTpAtH", "q5ecret", "B0HOOK"):
        assert secret not in caplog.text
        assert all(secret not in (result.error or "") for result in results)
        assert secret not in repr(hub.notifiers)


def test_empty_hub_notifies_nobody() -> None:
    hub = build_hub(Notifications())
    assert hub.notifiers == []
    assert asyncio.run(hub.notify(NOTICE)) == []


def test_build_hub_needs_host_sender_and_recipients_for_email() -> None:
    assert build_hub(Notifications(smtp_host="127.0.0.1", mail_from="tsunagu@city.example.jp")).notifiers == []
    hub = build_hub(Notifications(
        webhook_url=SecretStr("https://chat.googleapis.com/v1/spaces/X/messages?key=k"), webhook_style="google_chat",
        smtp_host="mail.city.example.jp", smtp_port=587, smtp_starttls=True, smtp_username="bot",
        smtp_password=SecretStr("pw"), mail_from="tsunagu@city.example.jp", mail_to=["soudan@city.example.jp"],
    ))
    webhook, email = hub.notifiers
    assert isinstance(webhook, WebhookNotifier) and webhook.name == "webhook:google_chat"
    assert isinstance(email, EmailNotifier)
    assert (email.host, email.port, email.use_starttls, email.username) == ("mail.city.example.jp", 587, True, "bot")
    assert email.recipients == ["soudan@city.example.jp"]


def test_notifications_from_a_json_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://hooks.slack.com/services/T0/B0/secret"
    monkeypatch.setenv("TSUNAGU_NOTIFICATIONS", json.dumps({
        "webhook_url": url, "webhook_style": "teams", "smtp_host": "mail.city.example.jp",
        "mail_from": "tsunagu@city.example.jp", "mail_to": ["soudan@city.example.jp"],
    }))
    config = Settings().notifications
    assert config.webhook_url is not None and config.webhook_url.get_secret_value() == url
    assert "secret" not in repr(config)
    assert [notifier.name for notifier in build_hub(config).notifiers] == ["webhook:teams", "email"]


def test_default_settings_have_no_notifiers() -> None:
    assert Settings().notifications == Notifications()
