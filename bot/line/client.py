"""Deliver stored replies to LINE with ``AsyncMessagingApi``: reply token while valid, else push.

* A 2xx from LINE means delivered, whatever its body: when the SDK cannot read the body (``200 {}``, a body
  that is not JSON), the delivery still counts, and the status and ``x-line-request-id`` are logged once
  (never the message text). ``LineApiClient`` notes the status of each 2xx so the sender can tell "LINE
  accepted it, the SDK choked on the answer" from "the request never got an answer".
* A reply token is single-use and expires about a minute after the event: it is used only before
  ``reply_token_expires_at``, and only on the first try of a delivery. When LINE rejects it (4xx/5xx), or the
  reply's outcome is unknown (timeout or network error after sending), the same messages are pushed instead.
* Every push carries an ``X-Line-Retry-Key`` that stays the same across retries and restarts; LINE answering
  409 means it already accepted that key, so the message counts as delivered. Pushes are therefore delivered
  exactly once.
* LINE's reply endpoint has no retry key. A reply whose outcome is unknown (a timeout after sending it, or a
  crash between sending it and recording the outcome) is never sent again as a reply, only as that keyed push:
  if the reply had in fact reached LINE, the citizen sees the answer twice (at most one duplicate, and only
  in that window).
* 429, 5xx and network errors (``OSError``, ``TimeoutError``, any ``aiohttp.ClientError``) are retried later,
  never by sleeping here: ``send`` makes one push per call and answers ``Delivery.RETRY`` with the delay
  (exponential backoff, or ``Retry-After``), which the caller stores (``next_attempt_at`` in the outbox), so one
  user's backoff never holds another user's reply. LINE's 429 "You have reached your monthly limit." is not
  retried: no push gets through until the next month or a plan change, so it fails at once with
  ``MONTHLY_LIMIT_ERROR``. ``max_attempts`` bounds the requests of one delivery in total, across rounds and
  restarts: the caller counts each one durably (``before_call``) before it is sent and passes the count so far
  in ``Outgoing.previous_attempts``. Each request has a bounded timeout (the SDK's is 5 min).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from linebot.v3.messaging import AsyncApiClient, PushMessageRequest, ReplyMessageRequest
from linebot.v3.messaging import Message as SdkMessage
from linebot.v3.messaging.exceptions import ApiException

from bot.delivery import (  # the delivery rules every channel shares
    QUOTA_EXHAUSTED_ERROR,
    BeforeCall,
    CallKind,
    Delivery,
    DeliveryResult,
    Outgoing,
    count_nothing,
)
from bot.metrics import record_line_response

__all__ = ["MONTHLY_LIMIT_ERROR", "BeforeCall", "CallKind", "Delivery", "DeliveryResult", "LineApiClient",
           "LineSender", "MessagingApi", "Outgoing", "count_nothing"]

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
NETWORK_ERRORS = (TimeoutError, OSError, aiohttp.ClientError)
REQUEST_TIMEOUT_S = 10.0
MONTHLY_LIMIT_MESSAGE = "You have reached your monthly limit."  # LINE's 429 body when the message quota is used up
MONTHLY_LIMIT_ERROR = QUOTA_EXHAUSTED_ERROR  # last_error of a delivery refused for the quota (not retried)


class MessagingApi(Protocol):
    """The two calls of ``linebot.v3.messaging.AsyncMessagingApi`` that the sender uses."""

    async def reply_message_with_http_info(self, reply_message_request: ReplyMessageRequest, **kwargs: Any) -> Any: ...

    async def push_message_with_http_info(
        self, push_message_request: PushMessageRequest, x_line_retry_key: str | None = None, **kwargs: Any
    ) -> Any: ...


# -- reading the HTTP status past the SDK --------------------------------------------------------------------------
@dataclass
class _Answer:
    """What the HTTP layer saw of one request (set by ``LineApiClient``)."""

    status: int | None = None
    request_id: str | None = None


_ANSWER: ContextVar[_Answer | None] = ContextVar("_ANSWER", default=None)


class LineApiClient(AsyncApiClient):  # type: ignore[misc]
    """``AsyncApiClient`` that notes the status and request id of each 2xx for the sender.

    The SDK raises for a non-2xx before this returns, so a noted status is always a 2xx: LINE accepted the
    request, even if deserialising the body then fails. (``_preload_content=False`` cannot be used instead:
    the async client of line-bot-sdk 3.27 then fails with ``AttributeError`` on every answer, 2xx or not.)
    """

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        response = await super().request(*args, **kwargs)
        answer = _ANSWER.get()
        if answer is not None:
            answer.status, answer.request_id = response.status, response.getheader("x-line-request-id")
        return response


@dataclass(frozen=True)
class _Outcome:
    delivered: bool = False
    status: int | None = None  # LINE's error status
    retry_after: float | None = None
    unknown: str | None = None  # the network error after which nobody knows whether LINE got it
    monthly_limit: bool = False  # a 429 for the month's message quota, not for the request rate

    @property
    def retryable(self) -> bool:
        return not self.monthly_limit and (self.status is None or self.status in RETRYABLE_STATUSES)


class LineSender:
    """Sends one ``Outgoing`` at a time with the rules in the module docstring.

    Args:
        api: an ``AsyncMessagingApi`` (on a ``LineApiClient``, pointed at LINE or at a local fake).
        max_attempts: requests per delivery in total (``Outgoing.previous_attempts`` included) before giving up.
        base_delay: the first backoff in seconds; doubles with each request made (capped at ``max_delay``).
        timeout: seconds one request may take.
        now: the clock used to judge reply-token expiry.
    """

    def __init__(
        self,
        api: MessagingApi,
        *,
        max_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        timeout: float = REQUEST_TIMEOUT_S,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.api = api
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self.now = now

    async def send(self, outgoing: Outgoing, before_call: BeforeCall = count_nothing) -> DeliveryResult:
        """Deliver ``outgoing``; ``before_call`` is awaited before each request and must count it durably (and,
        for a reply, record that one is being tried) so that a crash can neither repeat a reply nor retry forever.
        """
        messages = [SdkMessage.from_dict(dict(m)) for m in outgoing.messages]
        budget = self.max_attempts - outgoing.previous_attempts
        if budget <= 0:
            return DeliveryResult(Delivery.FAILED, 0, f"outcome unknown after {outgoing.previous_attempts} attempts")
        if not self._reply_allowed(outgoing):
            return await self._push(outgoing, messages, 0, budget, before_call)
        assert outgoing.reply_token is not None
        await before_call("reply")
        request = ReplyMessageRequest(reply_token=outgoing.reply_token, messages=messages)
        outcome = await self._call("reply", lambda: self.api.reply_message_with_http_info(
            request, _request_timeout=self.timeout))
        if outcome.delivered:
            return DeliveryResult(Delivery.REPLIED, 1)
        # Refused (expired or used token, LINE error) or unknown: push, never reply again.
        logger.info("reply %s; pushing instead", f"refused (HTTP {outcome.status})" if outcome.status
                    else f"outcome unknown ({outcome.unknown})")
        if budget == 1:
            return DeliveryResult(Delivery.FAILED, 1, self._error(outgoing, 1, outcome))
        return await self._push(outgoing, messages, 1, budget, before_call)

    def _reply_allowed(self, outgoing: Outgoing) -> bool:
        expires = outgoing.reply_token_expires_at
        return bool(outgoing.reply_token) and (expires is None or self.now() < expires)

    async def _push(self, outgoing: Outgoing, messages: list[SdkMessage], calls: int, budget: int,
                    before_call: BeforeCall) -> DeliveryResult:
        """One keyed push; a retryable failure is answered with ``Delivery.RETRY`` and its delay, not slept on."""
        request = PushMessageRequest(to=outgoing.user_id, messages=messages)
        await before_call("push")
        calls += 1
        outcome = await self._call("push", lambda: self.api.push_message_with_http_info(
            request, x_line_retry_key=outgoing.retry_key, _request_timeout=self.timeout))
        if outcome.delivered:
            return DeliveryResult(Delivery.PUSHED, calls)
        if outcome.status == 409:
            return DeliveryResult(Delivery.ALREADY_ACCEPTED, calls)
        error = self._error(outgoing, calls, outcome)
        if outcome.retryable and calls < budget:
            made = outgoing.previous_attempts + calls
            delay = min(outcome.retry_after or self.base_delay * 2 ** (made - 1), self.max_delay)
            logger.info("push not delivered (%s); retrying in %.1f s", error, delay)
            return DeliveryResult(Delivery.RETRY, calls, error, retry_after=delay)
        logger.warning("push gave up after %d attempt(s): %s", outgoing.previous_attempts + calls, error)
        return DeliveryResult(Delivery.FAILED, calls, error)

    @staticmethod
    def _error(outgoing: Outgoing, calls: int, outcome: _Outcome) -> str:
        if outcome.monthly_limit:
            return MONTHLY_LIMIT_ERROR
        if outcome.status is not None:
            return f"HTTP {outcome.status}"
        return f"outcome unknown after {outgoing.previous_attempts + calls} attempts ({outcome.unknown})"

    async def _call(self, kind: CallKind, request: Callable[[], Awaitable[Any]]) -> _Outcome:
        """Make one request and say what became of it; a 2xx is delivered even if its body cannot be read."""
        answer = _Answer()
        token = _ANSWER.set(answer)
        try:
            await request()
        except ApiException as exc:
            record_line_response(kind, exc.status)
            return _Outcome(status=exc.status, retry_after=_retry_after(exc), monthly_limit=_is_monthly_limit(exc))
        except NETWORK_ERRORS as exc:
            record_line_response(kind, "network_error")
            return _Outcome(unknown=type(exc).__name__)
        except Exception as exc:
            if answer.status is None:
                raise
            logger.warning("LINE accepted the %s (HTTP %s, x-line-request-id %s) but its answer could not be "
                           "read (%s); counted as delivered", kind, answer.status, answer.request_id,
                           type(exc).__name__)
        finally:
            _ANSWER.reset(token)
        record_line_response(kind, answer.status)
        return _Outcome(delivered=True)


def _retry_after(exc: ApiException) -> float | None:
    headers = exc.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _is_monthly_limit(exc: ApiException) -> bool:
    """LINE's 429 for the month's message quota (its body's ``message``), as opposed to the request rate."""
    if exc.status != 429 or not exc.body:
        return False
    try:
        body = json.loads(exc.body)
    except (ValueError, TypeError):
        return False
    return isinstance(body, dict) and body.get("message") == MONTHLY_LIMIT_MESSAGE
