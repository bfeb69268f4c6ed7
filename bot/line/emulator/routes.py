"""``/emulator``: chat with the bot as a LINE user, with no LINE channel (development only).

The page sends text or a postback; the server builds the webhook event LINE would send, signs it with the
channel secret and posts it to the webhook through the app itself. The bot's replies reach the fake Messaging
API mounted at ``/emulator/line-api`` (set ``LINE_API_BASE`` to it), and the page polls them from there. The page
also shows the fake's default rich menu (``bot.emulator.richmenu_view``), whose areas send their postbacks, and
a 「準備中」 banner until ``/readyz`` says ready (the first start builds the index while the server listens).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from bot.line.emulator.fake_api import FakeLineApi
from bot.line.emulator.richmenu_view import richmenu_router
from bot.settings import BotSettings

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
EMULATOR_USER_ID = "U" + "e0" * 16
DESTINATION = "U" + "d0" * 16


class EmulatorInput(BaseModel):
    text: str | None = Field(default=None, max_length=20_000)
    postback: str | None = Field(default=None, max_length=300)
    follow: bool = False
    redelivery: bool = False


def signed(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_event(data: EmulatorInput) -> dict[str, Any]:
    """The event LINE would send for what the emulator's user did."""
    event: dict[str, Any] = {
        "webhookEventId": "01" + secrets.token_hex(12).upper(),
        "timestamp": int(time.time() * 1000),
        "mode": "active",
        "source": {"type": "user", "userId": EMULATOR_USER_ID},
        "replyToken": secrets.token_hex(16),
        "deliveryContext": {"isRedelivery": data.redelivery},
    }
    if data.follow:
        event.update(type="follow", follow={"isUnblocked": False})
    elif data.postback is not None:
        event.update(type="postback", postback={"data": data.postback})
    else:
        event.update(type="message", message={"type": "text", "id": secrets.token_hex(8), "text": data.text or "",
                                              "quoteToken": secrets.token_hex(8)})
    return event


def mount_emulator(app: FastAPI, settings: BotSettings) -> None:
    """Add the emulator page, its endpoints and the fake Messaging API to ``app``."""
    assert settings.line_channel_secret is not None
    secret = settings.line_channel_secret.get_secret_value()
    fake = FakeLineApi()
    app.state.fake_line = fake
    router = APIRouter(prefix="/emulator", include_in_schema=False)

    @router.get("", response_class=HTMLResponse)
    async def read_emulator(request: Request) -> HTMLResponse:
        # The 「準備中」 banner shows until the index is built; the page's script polls /readyz to hide it.
        ready = request.app.state.services.index.ready
        return templates.TemplateResponse(request, "emulator.html", {"user_id": EMULATOR_USER_ID, "ready": ready})

    @router.post("/send")
    async def send_event(data: EmulatorInput, request: Request) -> dict[str, Any]:
        event = webhook_event(data)
        body = json.dumps({"destination": DESTINATION, "events": [event]}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "X-Line-Signature": signed(body, secret)}
        transport = httpx.ASGITransport(app=request.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            response = await client.post(settings.line_callback_path, content=body, headers=headers)
            if data.redelivery:  # LINE redelivers the same event: the bot must not answer twice
                await client.post(settings.line_callback_path, content=body, headers=headers)
        return {"status": response.status_code, "event": event}

    @router.get("/messages")
    async def read_messages(after: int = 0) -> dict[str, Any]:
        calls = fake.calls[after:]
        return {"next": after + len(calls), "calls": [{"kind": c.kind, "messages": c.body.get("messages", [])}
                                                       for c in calls]}

    token = settings.line_channel_access_token.get_secret_value() if settings.line_channel_access_token else ""
    router.include_router(richmenu_router(fake.richmenus, token.strip() or "emulator"))
    app.include_router(router)
    app.include_router(fake.router(), prefix="/emulator/line-api", include_in_schema=False)
    app.mount("/emulator/static", StaticFiles(directory=HERE / "static"), name="emulator-static")
