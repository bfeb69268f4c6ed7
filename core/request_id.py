"""Request ids: every log line written while one HTTP request or one worker event is handled carries its id.

The id lives in a context variable (``current_request_id``), which asyncio tasks and ``asyncio.to_thread`` copy, so
it follows the work without being passed around; the log formatter (``core.logging_setup``) reads it.
HTTP: ``RequestIdMiddleware`` takes the caller's ``X-Request-ID`` when it is a plain token (a reverse proxy's id, so
its logs and ours can be joined), otherwise makes one, and returns it in the response's ``X-Request-ID``.
Worker: an inbox event's id is LINE's ``webhookEventId``, a delivery's its ``X-Line-Retry-Key`` (``request_context``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

current_request_id: ContextVar[str | None] = ContextVar("tsunagu_request_id", default=None)


def sane_request_id(value: object) -> str | None:
    """``value`` if it is a token of at most 64 letters, digits, ``.``, ``_`` or ``-`` (safe to log and echo)."""
    return value if isinstance(value, str) and _SANE_ID.fullmatch(value) else None


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def request_context(request_id: object) -> Iterator[str]:
    """Log lines inside the block carry ``request_id`` (or a new id, when it is not a sane token)."""
    chosen = sane_request_id(request_id) or new_request_id()
    token = current_request_id.set(chosen)
    try:
        yield chosen
    finally:
        current_request_id.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class RequestIdMiddleware:
    """Pure ASGI: one id per HTTP request, in ``current_request_id`` while it is handled and in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = sane_request_id(_header(scope, REQUEST_ID_HEADER.lower().encode())) or new_request_id()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = current_request_id.set(request_id)
        # Not reset when the app raises: the server logs the error next, in this same task, and that line should
        # carry the id too. Every request runs in a task of its own, so the id cannot leak into another one.
        await self.app(scope, receive, send_with_id)
        current_request_id.reset(token)
