"""``POST /callback``: check LINE's signature over the raw body, store the events, answer 200 at once.

Nothing else happens here: the conversation runs later from the inbox, so LINE gets its answer fast and a
crash after the 200 loses nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from linebot.v3 import WebhookParser
from linebot.v3.webhooks import Event
from sqlalchemy import Engine

from bot.inbox import StoreResult
from bot.line.inbox import store_and_commit
from bot.line.payload import UnsafePayload, load_json
from bot.settings import BotSettings
from core.numbers import is_ascii_number

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Line-Signature"


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The raw body, or 413 as soon as it is larger than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if is_ascii_number(declared) and int(declared) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "request body too large")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "request body too large")
    return bytes(body)


def signature_is_valid(parser: WebhookParser, body: str, signature: str) -> bool:
    """The SDK's HMAC-SHA256 check; a signature that is not even base64 is simply invalid."""
    try:
        return bool(parser.signature_validator.validate(body, signature))
    except ValueError:  # binascii.Error from base64 decoding
        return False


def readable_by_sdk(event: dict[str, Any]) -> bool:
    """Whether line-bot-sdk turns this event into one of its typed events."""
    try:
        return Event.from_dict(event) is not None
    except (ValueError, TypeError, KeyError, AttributeError):
        return False


def parse_events(text: str, max_events: int) -> list[dict[str, Any]]:
    """The body's event objects with lone surrogates replaced; 400 for malformed or absurdly nested JSON, 413
    for more than ``max_events`` events."""
    try:
        payload = load_json(text)
    except UnsafePayload as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "events must be a list")
    if len(events) > max_events:
        logger.warning("webhook: %d events in one request, more than the %d allowed", len(events), max_events)
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"too many events (at most {max_events})")
    return [e for e in events if isinstance(e, dict)]


# LINE's usual request (one to a few events, under a few kB) is parsed and stored on the event loop: one short
# insert, and under load a hop to the thread pool made acknowledgements far slower (bench webhook: ack p99 28 s
# with every body in the pool, against 0.6 s inline). A larger body is parsed and stored in a worker thread, so a
# request with thousands of events cannot stall every other endpoint.
INLINE_MAX_BODY_BYTES = 8_192


def store_body(engine: Engine, text: str, max_events: int) -> StoreResult:
    """Parse a signed body and store its events (blocking: CPU and database work)."""
    events = parse_events(text, max_events)
    unreadable = sum(not readable_by_sdk(e) for e in events)
    if unreadable:
        # The SDK would turn these into UnknownEvent (or fail) without a word; keep and count them.
        logger.warning("webhook: %d event(s) the SDK cannot read; stored for inspection", unreadable)
    return store_and_commit(engine, events)


def make_webhook_router(settings: BotSettings) -> APIRouter:
    """The webhook route, with its parser built once from the channel secret.

    The parser's signature validator checks the raw body; events are stored as LINE sent them (the worker
    reads them later), so the SDK's typed parsing is only used to count events it cannot read.
    """
    assert settings.line_channel_secret is not None  # settings always provide one
    parser = WebhookParser(settings.line_channel_secret.get_secret_value())
    router = APIRouter()

    @router.post(settings.line_callback_path, status_code=status.HTTP_200_OK, include_in_schema=False)
    async def receive_webhook(request: Request) -> Response:
        body = await read_limited_body(request, settings.webhook_max_body_bytes)
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "missing signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "body is not UTF-8") from None
        if not signature_is_valid(parser, text, signature):
            logger.warning("webhook: invalid signature")
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid signature")
        engine = request.app.state.services.engine
        if len(body) <= INLINE_MAX_BODY_BYTES:
            result = store_body(engine, text, settings.webhook_max_events)
        else:
            result = await run_in_threadpool(store_body, engine, text, settings.webhook_max_events)
        logger.info("webhook: %d event(s) stored, %d duplicate(s)", result.stored, result.duplicates)
        return Response(status_code=status.HTTP_200_OK)

    return router
