"""Deliver stored replies to LINE with ``AsyncMessagingApi``: reply token while valid, else push.

* A reply token is single-use and expires about a minute after the event: it is used only before
  ``reply_token_expires_at``; when LINE rejects it (400), the same messages are pushed instead.
* Every push carries an ``X-Line-Retry-Key`` that stays the same across retries; LINE answering 409 means it
  already accepted that key, so the message counts as delivered.
* 429, 5xx and network errors are retried with exponential backoff, honouring ``Retry-After``; after
  ``max_attempts`` the delivery is given up and reported failed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from linebot.v3.messaging import Message as SdkMessage
from linebot.v3.messaging import PushMessageRequest, ReplyMessageRequest
from linebot.v3.messaging.exceptions import ApiException

from bot.messages import Message

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class MessagingApi(Protocol):
    """The two calls of ``linebot.v3.messaging.AsyncMessagingApi`` that the sender uses."""

    async def reply_message_with_http_info(self, reply_message_request: ReplyMessageRequest, **kwargs: Any) -> Any: ...

    async def push_message_with_http_info(
        self, push_message_request: PushMessageRequest, x_line_retry_key: str | None = None, **kwargs: Any
    ) -> Any: ...


class Delivery(StrEnum):
    REPLIED = "replied"
    PUSHED = "pushed"
    ALREADY_ACCEPTED = "already_accepted"  # 409 on a retry key LINE had already taken
    FAILED = "failed"


@dataclass(frozen=True)
class Outgoing:
    """Messages for one user, with the reply token (if any) and the push retry key."""

    user_id: str
    messages: Sequence[Message]
    retry_key: str
    reply_token: str | None = None
    reply_token_expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Delivery
    attempts: int
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.outcome is not Delivery.FAILED


class LineSender:
    """Sends one ``Outgoing`` at a time with the rules in the module docstring.

    Args:
        api: an ``AsyncMessagingApi`` (pointed at LINE, or at a local fake with ``Configuration(host=...)``).
        max_attempts: calls per delivery before giving up.
        base_delay: the first backoff in seconds; doubles each retry (capped at ``max_delay``).
        sleep: the coroutine used to wait (tests pass one that records instead of sleeping).
        now: the clock used to judge reply-token expiry.
    """

    def __init__(
        self,
        api: MessagingApi,
        *,
        max_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.api = api
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.now = now

    async def send(self, outgoing: Outgoing) -> DeliveryResult:
        messages = [SdkMessage.from_dict(dict(m)) for m in outgoing.messages]
        attempts = 0
        if outgoing.reply_token and (
            outgoing.reply_token_expires_at is None or self.now() < outgoing.reply_token_expires_at
        ):
            attempts += 1
            try:
                await self.api.reply_message_with_http_info(
                    ReplyMessageRequest(reply_token=outgoing.reply_token, messages=messages)
                )
                return DeliveryResult(Delivery.REPLIED, attempts)
            except ApiException as exc:
                # Any refusal of the reply (expired or used token, LINE error): fall back to push once.
                logger.info("reply refused (HTTP %s); pushing instead", exc.status)
            except (TimeoutError, OSError) as exc:
                logger.info("reply failed (%s); pushing instead", type(exc).__name__)
        return await self._push(outgoing, messages, attempts)

    async def _push(self, outgoing: Outgoing, messages: list[SdkMessage], attempts: int) -> DeliveryResult:
        request = PushMessageRequest(to=outgoing.user_id, messages=messages)
        delay = self.base_delay
        last_error = ""
        while attempts < self.max_attempts:
            attempts += 1
            try:
                await self.api.push_message_with_http_info(request, x_line_retry_key=outgoing.retry_key)
                return DeliveryResult(Delivery.PUSHED, attempts)
            except ApiException as exc:
                if exc.status == 409:
                    return DeliveryResult(Delivery.ALREADY_ACCEPTED, attempts)
                last_error = f"HTTP {exc.status}"
                if exc.status not in RETRYABLE_STATUSES:
                    break
                wait = _retry_after(exc) or delay
            except (TimeoutError, OSError) as exc:
                last_error = type(exc).__name__
                wait = delay
            if attempts < self.max_attempts:
                await self.sleep(min(wait, self.max_delay))
                delay = min(delay * 2, self.max_delay)
        logger.warning("push gave up after %d attempt(s): %s", attempts, last_error)
        return DeliveryResult(Delivery.FAILED, attempts, last_error)


def _retry_after(exc: ApiException) -> float | None:
    headers = exc.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None
