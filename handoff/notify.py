"""Tell staff that a new ticket is waiting: a chat webhook (Slack, Teams, Google Chat) and/or e-mail.

A notice carries only the ticket number, the team, the category, the urgency and a link to the staff console: the
citizen's question and LINE user id never leave Tsunagu through a chat tool or e-mail. Notifying is best effort:
the console queue is the source of truth, so ``NotificationHub.notify`` never raises; a failing or hanging notifier
is logged (its kind and the error class only, never the webhook URL, which holds a secret token) and reported.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from core.clock import JAPAN

logger = logging.getLogger(__name__)

WebhookStyle = Literal["slack", "teams", "google_chat"]


@dataclass(frozen=True)
class TicketNotice:
    """What staff are told about a new ticket. Deliberately no question text and no LINE user id."""

    ticket_id: int
    team: str
    category: str | None
    urgent: bool
    created_at: dt.datetime
    console_url: str

    @property
    def headline(self) -> str:
        return f"{'【至急】' if self.urgent else ''}新しい問い合わせ #{self.ticket_id}（{self.team}）"

    @property
    def text(self) -> str:
        return f"{self.headline}: {self.console_url}"


@dataclass(frozen=True)
class NotifyResult:
    """Outcome of one notifier for one notice; ``error`` is short and free of secrets."""

    notifier: str
    ok: bool
    error: str | None = None


class Notifier(Protocol):
    """One channel to staff. ``name`` appears in logs and results; ``timeout`` bounds one ``send``."""

    name: str
    timeout: float

    async def send(self, notice: TicketNotice) -> None: ...


def _redacted(url: str) -> str:
    """Scheme and host only: webhook paths and query strings are credentials."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


class _RedactUrls(logging.Filter):
    """Rewrites httpx's request log lines ("HTTP Request: POST <url> ...") so webhook tokens never reach logs."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.urls and isinstance(record.args, tuple):
            record.args = tuple(_redacted(str(arg)) if str(arg) in self.urls else arg for arg in record.args)
        return True


_HTTPX_REDACTOR = _RedactUrls()
logging.getLogger("httpx").addFilter(_HTTPX_REDACTOR)


class WebhookNotifier:
    """Posts the notice to an incoming-webhook URL in the JSON shape the chat tool expects."""

    def __init__(self, url: str, style: WebhookStyle, timeout: float = 5.0) -> None:
        self._url = url
        self.style = style
        self.timeout = timeout
        self.name = f"webhook:{style}"
        _HTTPX_REDACTOR.urls.add(str(httpx.URL(url)))

    def __repr__(self) -> str:
        return f"WebhookNotifier({_redacted(self._url)!r}, {self.style!r})"

    def payload(self, notice: TicketNotice) -> dict[str, Any]:
        if self.style == "teams":
            return {"@type": "MessageCard", "@context": "http://schema.org/extensions",
                    "summary": notice.headline, "text": notice.text}
        return {"text": notice.text}  # Slack and Google Chat share the simple text message

    async def send(self, notice: TicketNotice) -> None:
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            response = await client.post(self._url, json=self.payload(notice))
            response.raise_for_status()


class EmailNotifier:
    """Sends a short UTF-8 e-mail through an SMTP relay (the city's own mail server)."""

    def __init__(
        self, host: str, port: int, sender: str, recipients: list[str], use_starttls: bool = False,
        username: str | None = None, password: SecretStr | None = None, timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender, self.recipients = host, port, sender, list(recipients)
        self.use_starttls, self.username, self.password = use_starttls, username, password
        self.timeout = timeout
        self.name = "email"

    def message(self, notice: TicketNotice) -> EmailMessage:
        created = notice.created_at if notice.created_at.tzinfo else notice.created_at.replace(tzinfo=dt.UTC)
        message = EmailMessage()
        message["Subject"] = f"[Tsunagu] {notice.headline}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content("\n".join([
            f"新しい問い合わせ #{notice.ticket_id} が届きました。",
            f"担当: {notice.team}",
            f"分類: {notice.category or '未分類'}",
            f"至急: {'はい' if notice.urgent else 'いいえ'}",
            f"受付: {created.astimezone(JAPAN):%Y-%m-%d %H:%M}（日本時間）",
            "",
            "内容は職員コンソールで確認してください:",
            notice.console_url,
            "",
            "※ このメールには相談内容や個人情報を含めていません。",
        ]), charset="utf-8")
        return message

    def _send_sync(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.use_starttls:
                smtp.starttls()
            if self.username and self.password is not None:
                smtp.login(self.username, self.password.get_secret_value())
            smtp.send_message(message, from_addr=self.sender, to_addrs=self.recipients)

    async def send(self, notice: TicketNotice) -> None:
        await asyncio.to_thread(self._send_sync, self.message(notice))


def _describe(error: BaseException) -> str:
    """Error class and status code only: exception messages may embed the webhook URL or addresses."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"{type(error).__name__} {error.response.status_code}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__} {error.smtp_code}"
    return type(error).__name__


class NotificationHub:
    """Sends one notice through every notifier at once; never raises (see the module docstring)."""

    def __init__(self, notifiers: Sequence[Notifier] = ()) -> None:
        self.notifiers = list(notifiers)

    async def _one(self, notifier: Notifier, notice: TicketNotice) -> NotifyResult:
        try:
            await asyncio.wait_for(notifier.send(notice), timeout=notifier.timeout)
        except Exception as error:  # any failure of one channel must not stop the others
            description = _describe(error)
            logger.warning("notifying ticket #%s via %s failed: %s", notice.ticket_id, notifier.name, description)
            return NotifyResult(notifier.name, ok=False, error=description)
        return NotifyResult(notifier.name, ok=True)

    async def notify(self, notice: TicketNotice) -> list[NotifyResult]:
        return list(await asyncio.gather(*(self._one(notifier, notice) for notifier in self.notifiers)))


class Notifications(BaseModel):
    """Where new tickets are announced. In the environment this is one JSON value, e.g.
    ``TSUNAGU_NOTIFICATIONS='{"webhook_url": "https://hooks.slack.com/services/…", "webhook_style": "slack"}'``.
    """

    model_config = ConfigDict(extra="forbid")

    webhook_url: SecretStr | None = Field(default=None, description="Incoming-webhook URL (a secret).")
    webhook_style: WebhookStyle = "slack"
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str | None = None
    mail_to: list[str] = Field(default_factory=list)


def build_hub(config: Notifications) -> NotificationHub:
    """A webhook notifier when a URL is set, an e-mail notifier when host, sender and recipients are set."""
    notifiers: list[Notifier] = []
    if config.webhook_url is not None and config.webhook_url.get_secret_value().strip():
        notifiers.append(WebhookNotifier(config.webhook_url.get_secret_value().strip(), config.webhook_style))
    if config.smtp_host and config.mail_from and config.mail_to:
        notifiers.append(EmailNotifier(
            config.smtp_host, config.smtp_port, config.mail_from, config.mail_to, use_starttls=config.smtp_starttls,
            username=config.smtp_username, password=config.smtp_password,
        ))
    return NotificationHub(notifiers)
