"""A fake of the two Messaging API calls the bot makes, keeping what it receives.

Point the bot at it with ``LINE_API_BASE=http://127.0.0.1:<port>``. Like LINE, it answers 409 to a push whose
``X-Line-Retry-Key`` it has already accepted, and 400 to a reply token used twice.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.responses import JSONResponse


@dataclass
class ReceivedCall:
    kind: str  # "reply" or "push"
    body: dict[str, Any]
    retry_key: str | None
    authorization: str | None


@dataclass
class FakeLineApi:
    """Thread-safe record of the calls; ``app`` serves them."""

    calls: list[ReceivedCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _used_tokens: set[str] = field(default_factory=set)
    _retry_keys: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.post("/v2/bot/message/reply")
        async def reply(request: Request) -> JSONResponse:
            body = await request.json()
            with self._lock:
                token = body.get("replyToken")
                if token in self._used_tokens:
                    return JSONResponse({"message": "Invalid reply token"}, status.HTTP_400_BAD_REQUEST)
                self._used_tokens.add(token)
                self.calls.append(ReceivedCall("reply", body, None, request.headers.get("authorization")))
                return self._sent(body)

        @router.post("/v2/bot/message/push")
        async def push(request: Request) -> JSONResponse:
            body = await request.json()
            key = request.headers.get("x-line-retry-key")
            with self._lock:
                if key and key in self._retry_keys:
                    return JSONResponse({"message": "The retry key is already accepted"}, status.HTTP_409_CONFLICT)
                if key:
                    self._retry_keys.add(key)
                self.calls.append(ReceivedCall("push", body, key, request.headers.get("authorization")))
                return self._sent(body)

        return router

    def _sent(self, body: dict[str, Any]) -> JSONResponse:
        return JSONResponse({"sentMessages": [{"id": str(next(self._ids))} for _ in body.get("messages", [])]})

    def app(self) -> FastAPI:
        app = FastAPI(title="Fake LINE Messaging API")
        app.include_router(self.router())
        return app
