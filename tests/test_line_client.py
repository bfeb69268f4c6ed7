"""Delivery rules of the LINE sender, against a fake Messaging API that records every request."""

import asyncio
import dataclasses
import datetime as dt
from typing import Any

from linebot.v3.messaging.exceptions import ApiException

from bot.line.client import Delivery, DeliveryResult, LineSender, Outgoing
from bot.line.messages import text_messages
from tests.utils.openapi import errors as spec_errors

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
USER = "U" + "e" * 32


def api_error(status: int, retry_after: str | None = None) -> ApiException:
    error = ApiException(status=status, reason="fake")
    error.headers = {"Retry-After": retry_after} if retry_after else {}
    return error


class FakeMessagingApi:
    """Answers each call with the next scripted outcome (None = 200) and keeps the requests as JSON."""

    def __init__(self, replies: list[Any] | None = None, pushes: list[Any] | None = None) -> None:
        self.reply_script = list(replies or [])
        self.push_script = list(pushes or [])
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []

    async def reply_message_with_http_info(self, reply_message_request: Any, **kwargs: Any) -> None:
        self.calls.append(("reply", reply_message_request.to_dict(), None))
        self._next(self.reply_script)

    async def push_message_with_http_info(
        self, push_message_request: Any, x_line_retry_key: str | None = None, **kwargs: Any
    ) -> None:
        self.calls.append(("push", push_message_request.to_dict(), x_line_retry_key))
        self._next(self.push_script)

    @staticmethod
    def _next(script: list[Any]) -> None:
        outcome = script.pop(0) if script else None
        if isinstance(outcome, BaseException):
            raise outcome


def sender(api: FakeMessagingApi) -> LineSender:
    return LineSender(api, max_attempts=4, base_delay=1.0, now=lambda: NOW)


def deliver(api: FakeMessagingApi, item: Outgoing) -> tuple[DeliveryResult, list[float]]:
    """Send ``item`` as the worker's rounds would: again after each ``Delivery.RETRY``, with the requests made so
    far; return the last result and the waits asked for (the sender itself never sleeps)."""
    waits: list[float] = []
    made = 0
    while True:
        result = asyncio.run(sender(api).send(dataclasses.replace(item, previous_attempts=made)))
        made += result.attempts
        if result.outcome is not Delivery.RETRY:
            return dataclasses.replace(result, attempts=made), waits
        assert result.retry_after is not None
        waits.append(result.retry_after)


def outgoing(expires_in: float | None = 30) -> Outgoing:
    expires = NOW + dt.timedelta(seconds=expires_in) if expires_in is not None else None
    return Outgoing(USER, text_messages("こんにちは。"), "123e4567-e89b-12d3-a456-426614174000",
                    reply_token="nHuyWiB7yP5Zw52FIkcQobQuGDXCTA" if expires_in is not None else None,
                    reply_token_expires_at=expires)


def assert_requests_match_spec(api: FakeMessagingApi) -> None:
    for kind, body, _ in api.calls:
        schema = "ReplyMessageRequest" if kind == "reply" else "PushMessageRequest"
        assert spec_errors("messaging-api.yml", schema, body) == []


def test_valid_reply_token_is_used() -> None:
    api = FakeMessagingApi()
    result = asyncio.run(sender(api).send(outgoing()))
    assert (result.outcome, result.attempts) == (Delivery.REPLIED, 1)
    assert [c[0] for c in api.calls] == ["reply"]
    assert_requests_match_spec(api)


def test_expired_reply_token_falls_back_to_push_once() -> None:
    api = FakeMessagingApi()
    result = asyncio.run(sender(api).send(outgoing(expires_in=-1)))
    assert result.outcome is Delivery.PUSHED
    assert [c[0] for c in api.calls] == ["push"]
    assert api.calls[0][2] == "123e4567-e89b-12d3-a456-426614174000"
    assert_requests_match_spec(api)


def test_rejected_reply_token_falls_back_to_push() -> None:
    api = FakeMessagingApi(replies=[api_error(400)])
    result = asyncio.run(sender(api).send(outgoing()))
    assert result.outcome is Delivery.PUSHED
    assert [c[0] for c in api.calls] == ["reply", "push"]


def test_a_server_error_asks_for_a_retry_instead_of_sleeping() -> None:
    api = FakeMessagingApi(pushes=[api_error(500)])
    result = asyncio.run(sender(api).send(outgoing(expires_in=None)))
    assert (result.outcome, result.attempts, result.error, result.retry_after) == (Delivery.RETRY, 1, "HTTP 500", 1.0)
    assert not result.delivered


def test_two_server_errors_then_success_delivers_once_with_one_retry_key() -> None:
    api = FakeMessagingApi(pushes=[api_error(500), api_error(502)])
    result, waits = deliver(api, outgoing(expires_in=None))
    assert (result.outcome, result.attempts) == (Delivery.PUSHED, 3)
    assert waits == [1.0, 2.0]  # exponential backoff
    assert {key for _, _, key in api.calls} == {"123e4567-e89b-12d3-a456-426614174000"}


def test_retry_after_is_honoured() -> None:
    api = FakeMessagingApi(pushes=[api_error(429, retry_after="7")])
    result, waits = deliver(api, outgoing(expires_in=None))
    assert result.outcome is Delivery.PUSHED
    assert waits == [7.0]


def test_conflict_on_retry_key_counts_as_delivered() -> None:
    api = FakeMessagingApi(pushes=[api_error(500), api_error(409)])
    result, waits = deliver(api, outgoing(expires_in=None))
    assert result.outcome is Delivery.ALREADY_ACCEPTED
    assert result.delivered


def test_gives_up_after_the_bound() -> None:
    api = FakeMessagingApi(pushes=[api_error(503)] * 10)
    result, waits = deliver(api, outgoing(expires_in=None))
    assert (result.outcome, result.attempts, result.error) == (Delivery.FAILED, 4, "HTTP 503")
    assert len(api.calls) == 4
    assert waits == [1.0, 2.0, 4.0]


def test_client_error_is_not_retried() -> None:
    api = FakeMessagingApi(pushes=[api_error(400)])
    result, waits = deliver(api, outgoing(expires_in=None))
    assert (result.outcome, result.attempts) == (Delivery.FAILED, 1)
    assert waits == []


def test_network_errors_are_retried() -> None:
    api = FakeMessagingApi(pushes=[TimeoutError(), ConnectionResetError()])
    result, waits = deliver(api, outgoing(expires_in=None))
    assert (result.outcome, result.attempts) == (Delivery.PUSHED, 3)
