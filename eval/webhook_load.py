"""The load side of ``tsunagu bench webhook`` (see ``eval/bench_webhook.py``): signed LINE events sent open-loop,
a fake Messaging API that records when each answer arrives, and the matching of answers to events.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import hashlib
import hmac
import json
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

PER_USER_PER_MINUTE = 10  # the bot answers 20 messages a minute per user, then asks them to slow down
TARGETS = {"ack_p99_ms": 50.0, "events_per_s": 40.0}
DESTINATION = "U" + "b" * 32


@dataclass(frozen=True)
class LoadOptions:
    """What to offer and how long to wait for answers; by default enough users for 10 events a minute each."""

    rate: float = 200.0
    duration: float = 60.0
    users: int | None = None
    redelivery_share: float = 0.05
    drain_timeout: float = 900.0
    stall_timeout: float = 60.0
    seed: int = 0

    def user_count(self) -> int:
        needed = math.ceil(self.rate * 60 / PER_USER_PER_MINUTE)
        if self.users is not None and self.users < needed:
            raise ValueError(f"--users must be at least {needed} at {self.rate}/s (<= 10 events a minute per user)")
        return self.users or needed


# -- events ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Planned:
    """One webhook request: ``at`` seconds after the start, one event, already signed."""

    at: float
    event_id: str
    user_id: str
    reply_token: str
    redelivery: bool
    body: bytes = field(repr=False)
    signature: str = field(repr=False)


def sign(body: bytes, secret: str) -> str:
    """LINE's ``X-Line-Signature``: base64 of HMAC-SHA256 of the raw body with the channel secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _request(event: dict[str, Any], at: float, secret: str) -> Planned:
    body = json.dumps({"destination": DESTINATION, "events": [event]}, ensure_ascii=False).encode()
    return Planned(at, event["webhookEventId"], event["source"]["userId"], event["replyToken"],
                   event["deliveryContext"]["isRedelivery"], body, sign(body, secret))


def _text_event(rng: random.Random, user_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "webhookEventId": f"{rng.getrandbits(128):032X}"[:26], "replyToken": f"{rng.getrandbits(128):032x}",
        "source": {"type": "user", "userId": user_id}, "deliveryContext": {"isRedelivery": False},
        "message": {"type": "text", "id": str(rng.getrandbits(60)), "quoteToken": f"q{rng.getrandbits(64):x}",
                    "text": text},
    }


def plan_requests(texts: Sequence[str], options: LoadOptions, secret: str, rng: random.Random) -> list[Planned]:
    """``rate * duration`` requests; users take turns, redeliveries repeat an event sent 1-5 s earlier."""
    users = [f"U{rng.getrandbits(128):032x}" for _ in range(options.user_count())]
    planned: list[Planned] = []
    originals: list[tuple[float, dict[str, Any]]] = []
    for number in range(round(options.rate * options.duration)):
        at = number / options.rate
        low = bisect.bisect_left(originals, at - 5, key=lambda item: item[0])
        high = bisect.bisect_right(originals, at - 1, key=lambda item: item[0])
        if high > low and rng.random() < options.redelivery_share:
            _, original = originals[rng.randrange(low, high)]
            event = {**original, "deliveryContext": {"isRedelivery": True}}
        else:
            event = _text_event(rng, users[len(originals) % len(users)], rng.choice(texts))
            originals.append((at, event))
        planned.append(_request(event, at, secret))
    return planned


# -- the fake LINE Messaging API -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineCall:
    at: float  # time.monotonic() when the call arrived
    kind: str  # "reply" or "push"
    reply_token: str | None
    to: str | None


class FakeLine:
    """A bare ASGI fake of reply and push that records arrival times; 400 on a reused reply token and 409 on a
    reused retry key, as LINE answers."""

    def __init__(self) -> None:
        self.calls: list[LineCall] = []
        self._tokens: set[str] = set()
        self._keys: set[str] = set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        status, answer = self.answer(scope["path"], json.loads(body or b"{}"), headers.get("x-line-retry-key"))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})

    def answer(self, path: str, body: dict[str, Any], retry_key: str | None) -> tuple[int, dict[str, Any]]:
        if path == "/v2/bot/message/reply":
            token = str(body.get("replyToken"))
            if token in self._tokens:
                return 400, {"message": "Invalid reply token"}
            self._tokens.add(token)
            self.calls.append(LineCall(time.monotonic(), "reply", token, None))
        elif path == "/v2/bot/message/push":
            if retry_key and retry_key in self._keys:
                return 409, {"message": "The retry key is already accepted"}
            self._keys.update([retry_key] if retry_key else [])
            self.calls.append(LineCall(time.monotonic(), "push", None, str(body.get("to"))))
        else:
            return 404, {"message": "Not found"}
        return 200, {"sentMessages": [{"id": str(n)} for n, _ in enumerate(body.get("messages", []))]}


# -- accounting ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SentEvent:
    """One distinct event as the generator saw it: acked when any of its deliveries got 200."""

    event_id: str
    user_id: str
    reply_token: str
    first_sent_at: float
    acked: bool


@dataclass
class Accounting:
    answered: int = 0
    lost: int = 0
    duplicated: int = 0
    unmatched: int = 0  # calls that belong to no event of this run
    replied: int = 0
    pushed: int = 0
    last_answer_at: float | None = None
    latencies_s: list[float] = field(default_factory=list)  # first answer - first send, per answered event
    answered_at: list[float] = field(default_factory=list)  # when each answered event got its first answer


def account(events: Sequence[SentEvent], calls: Sequence[LineCall]) -> Accounting:
    """Match the fake API's calls to events: replies by token, then each user's pushes to that user's
    unanswered events in order; anything beyond one answer per event is a duplicate."""
    result = Accounting()
    by_token = {event.reply_token: event for event in events}
    by_user: defaultdict[str, list[SentEvent]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e.first_sent_at):
        by_user[event.user_id].append(event)
    answers: Counter[str] = Counter()
    pushes: defaultdict[str, list[float]] = defaultdict(list)

    def answer(event: SentEvent, at: float) -> None:
        answers[event.event_id] += 1
        if answers[event.event_id] == 1:
            result.latencies_s.append(at - event.first_sent_at)
            result.answered_at.append(at)
        result.last_answer_at = max(at, result.last_answer_at or at)

    for call in sorted(calls, key=lambda c: c.at):
        if call.kind == "reply" and call.reply_token in by_token:
            result.replied += 1
            answer(by_token[call.reply_token], call.at)
        elif call.kind == "push" and call.to is not None and call.to in by_user:
            result.pushed += 1
            pushes[call.to].append(call.at)
        else:
            result.unmatched += 1
    for user, times in pushes.items():
        waiting = [event for event in by_user[user] if not answers[event.event_id]]
        for event, at in zip(waiting, times, strict=False):
            answer(event, at)
        result.duplicated += max(0, len(times) - len(waiting))
    result.duplicated += sum(count - 1 for count in answers.values() if count > 1)
    result.answered = len(answers)
    result.lost = sum(1 for event in events if event.acked and not answers[event.event_id])
    return result


# -- load ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ack:
    planned: Planned
    started_at: float
    lag_ms: float
    latency_ms: float
    status: int  # 0 when the request failed without an answer


async def _post(client: httpx.AsyncClient, url: str, planned: Planned, scheduled: float) -> Ack:
    headers = {"Content-Type": "application/json; charset=UTF-8", "X-Line-Signature": planned.signature}
    started = time.monotonic()
    try:
        status = (await client.post(url, content=planned.body, headers=headers)).status_code
    except httpx.HTTPError:
        status = 0
    return Ack(planned, started, (started - scheduled) * 1000, (time.monotonic() - started) * 1000, status)


async def send_all(clients: Sequence[httpx.AsyncClient], url: str, planned: Sequence[Planned]) -> list[Ack]:
    """Open loop: each request starts at its own time, whether or not earlier ones were answered.

    Requests take turns over several clients: httpx's pool does work in proportion to its connections for
    every request, so one big pool would make the generator itself the bottleneck once acks slow down.
    """
    start = time.monotonic() + 0.05
    tasks = []
    for number, request in enumerate(planned):
        delay = start + request.at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        client = clients[number % len(clients)]
        tasks.append(asyncio.create_task(_post(client, url, request, start + request.at)))
    return list(await asyncio.gather(*tasks))


def sent_events(acks: Sequence[Ack]) -> list[SentEvent]:
    first: dict[str, Ack] = {}
    acked: set[str] = set()
    for ack in acks:
        first.setdefault(ack.planned.event_id, ack)
        if ack.status == 200:
            acked.add(ack.planned.event_id)
    return [SentEvent(key, a.planned.user_id, a.planned.reply_token, a.started_at, key in acked)
            for key, a in first.items()]


async def wait_for_answers(fake: FakeLine, events: Sequence[SentEvent], options: LoadOptions) -> Accounting:
    """Until every acknowledged event is answered (then 2 s more for late duplicates), no new call for
    ``stall_timeout`` or ``drain_timeout`` in all."""
    deadline = time.monotonic() + options.drain_timeout
    seen, progress_at = -1, time.monotonic()
    while True:
        result = account(events, fake.calls)
        if result.lost == 0:
            await asyncio.sleep(2.0)
            return account(events, fake.calls)
        if len(fake.calls) != seen:
            seen, progress_at = len(fake.calls), time.monotonic()
        if time.monotonic() > deadline or time.monotonic() - progress_at > options.stall_timeout:
            return result
        await asyncio.sleep(1.0)
