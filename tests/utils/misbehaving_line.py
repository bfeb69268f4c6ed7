"""A fake LINE Messaging API over real HTTP that accepts requests as LINE does but answers them badly.

Like LINE, it uses each reply token once (400 afterwards) and answers 409 to a push whose ``X-Line-Retry-Key``
it already accepted; every accepted request is recorded, so a test can count what each citizen received. What
changes is the answer to an accepted request (``answer``):

* ``"sent"``: ``200 {"sentMessages": [...]}``, as LINE answers;
* ``"empty"``: ``200 {}`` (the SDK cannot read it: ``sentMessages`` is required);
* ``"not_json"``: ``200`` with a plain-text body;
* ``"hang"``: nothing for ``hang_s`` seconds (the client is expected to time out first), then ``"sent"``.

Every request is kept in ``received``; ``spec_errors()`` validates them against LINE's OpenAPI file afterwards
(not while answering: the first validation loads the whole spec, longer than a test's client timeout).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from tests.utils.openapi import errors as openapi_errors

Answer = Literal["sent", "empty", "not_json", "hang"]


@dataclass(frozen=True)
class Accepted:
    kind: Literal["reply", "push"]
    body: dict[str, Any]
    retry_key: str | None


@dataclass
class MisbehavingLineApi:
    answer: Answer = "sent"
    hang_s: float = 5.0
    accepted: list[Accepted] = field(default_factory=list)
    refused: list[tuple[str, int]] = field(default_factory=list)  # (kind, status) of refused requests
    received: list[tuple[str, Any, str | None]] = field(default_factory=list)  # (schema, body, retry key)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _tokens: set[str] = field(default_factory=set)
    _keys: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _closing: threading.Event = field(default_factory=threading.Event)

    def app(self) -> FastAPI:
        app = FastAPI(title="Misbehaving fake LINE Messaging API")

        @app.post("/v2/bot/message/reply")
        async def reply(request: Request) -> Response:
            body = await request.json()
            self.received.append(("ReplyMessageRequest", body, None))
            with self._lock:
                if body.get("replyToken") in self._tokens:
                    self.refused.append(("reply", 400))
                    return JSONResponse({"message": "Invalid reply token"}, 400)
                self._tokens.add(body.get("replyToken"))
                self.accepted.append(Accepted("reply", body, None))
            return await self._answer(body)

        @app.post("/v2/bot/message/push")
        async def push(request: Request) -> Response:
            body = await request.json()
            key = request.headers.get("x-line-retry-key")
            self.received.append(("PushMessageRequest", body, key))
            with self._lock:
                if key is not None and key in self._keys:
                    self.refused.append(("push", 409))
                    return JSONResponse({"message": "The retry key is already accepted"}, 409)
                if key is not None:
                    self._keys.add(key)
                self.accepted.append(Accepted("push", body, key))
            return await self._answer(body)

        return app

    def close(self) -> None:
        """Let hanging requests finish, so the server can stop."""
        self._closing.set()

    def answers_per_user(self) -> Counter[str]:
        """How many answers each citizen received (a reply token is mapped to its user by the test)."""
        return Counter(call.body["to"] for call in self.accepted if call.kind == "push")

    def replies_per_token(self) -> Counter[str]:
        return Counter(call.body["replyToken"] for call in self.accepted if call.kind == "reply")

    async def _answer(self, body: dict[str, Any]) -> Response:
        headers = {"x-line-request-id": f"req-{next(self._ids)}"}
        if self.answer == "empty":
            return JSONResponse({}, headers=headers)
        if self.answer == "not_json":
            return PlainTextResponse("OK", headers=headers)
        if self.answer == "hang":
            waited = 0.0
            while waited < self.hang_s and not self._closing.is_set():
                await asyncio.sleep(0.05)
                waited += 0.05
        sent = {"sentMessages": [{"id": str(next(self._ids))} for _ in body.get("messages", [])]}
        return JSONResponse(sent, headers=headers)

    def spec_errors(self) -> list[str]:
        """Every violation of LINE's spec in the requests received (bodies, and the retry key's UUID format)."""
        found = []
        for schema, body, key in self.received:
            found += [f"{schema}: {error}" for error in openapi_errors("messaging-api.yml", schema, body)]
            if key is not None and not _is_uuid(key):
                found.append(f"X-Line-Retry-Key is not a UUID: {key!r}")
        return found


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
