"""A fake of the Messaging API calls the bot makes (reply, push, rich menus), keeping what it receives.

Point the bot at it with ``LINE_API_BASE=http://127.0.0.1:<port>`` (and ``LINE_API_DATA_BASE`` at the same
address, or at ``data_app()`` to keep LINE's two hosts apart). Like LINE, it answers 409 to a push whose
``X-Line-Retry-Key`` it has already accepted, and 400 to a reply token used twice; the rich-menu rules are in
``bot.emulator.fake_richmenu``.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.responses import JSONResponse

from bot.line.emulator.fake_richmenu import FakeRichMenus


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
    richmenus: FakeRichMenus = field(default_factory=FakeRichMenus)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _used_tokens: set[str] = field(default_factory=set)
    _retry_keys: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def router(self) -> APIRouter:
        """Both hosts' endpoints on one router (the data host's paths do not clash with the API host's)."""
        router = self.api_router()
        router.include_router(self.richmenus.data_router())
        return router

    def api_router(self) -> APIRouter:
        """The endpoints of ``api.line.me`` only."""
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

        router.include_router(self.richmenus.api_router())
        return router

    def _sent(self, body: dict[str, Any]) -> JSONResponse:
        return JSONResponse({"sentMessages": [{"id": str(next(self._ids))} for _ in body.get("messages", [])]})

    def app(self) -> FastAPI:
        """Both hosts on one server (as the emulator mounts it)."""
        app = FastAPI(title="Fake LINE Messaging API")
        app.include_router(self.router())
        return app

    def api_app(self) -> FastAPI:
        """Only ``api.line.me``'s endpoints: an image upload sent here gets 404, as on LINE."""
        app = FastAPI(title="Fake LINE Messaging API (API host)")
        app.include_router(self.api_router())
        return app

    def data_app(self) -> FastAPI:
        """Only ``api-data.line.me``'s endpoints (rich-menu image upload and download)."""
        app = FastAPI(title="Fake LINE Messaging API (data host)")
        app.include_router(self.richmenus.data_router())
        return app
