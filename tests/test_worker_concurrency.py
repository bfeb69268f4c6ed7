"""Several workers on one inbox at once, on SQLite (busy timeout) and PostgreSQL (``FOR UPDATE SKIP LOCKED``).

Each worker is a thread with its own engine and retriever, as separate ``tsunagu worker`` processes would be.
The checks are about correctness only (exactly once, per-user order), never about time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections import defaultdict
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.conversation import Conversation
from bot.line.client import LineSender
from bot.line.inbox import store_events
from bot.models import InboxEvent, OutboxMessage
from bot.postback import PostbackSigner
from bot.worker import BotWorker
from core.db import make_engine
from knowledge.packs import Pack
from retrieval.cache import MemoryVectorStore
from retrieval.factory import make_retriever
from tests.test_line_client import FakeMessagingApi
from tests.utils.desk import dispatcher
from tests.utils.embedders import HashingEmbedder
from tests.utils.line import line_channels
from tests.utils.waiting import wait_for
from tsunagu.db import migrate
from tsunagu.settings import Settings

WORKERS = 4
USERS = [f"U{number:032x}" for number in range(6)]
EVENTS_PER_USER = 15  # below the 20-a-minute rate limit, so every event gets exactly one answer
TEXTS = ["粗大ごみの出し方を教えて", "ありがとう", "保育所の申込みはいつから？", "こんにちは", "路面電車の乗り方"]
DEADLINE_S = 120.0


def event(number: int, user: str, *, with_token: bool) -> dict[str, Any]:
    """A text event; without a reply token the answer has to be pushed (with a retry key)."""
    payload: dict[str, Any] = {
        "type": "message", "webhookEventId": f"ev-{number:04d}", "timestamp": number, "mode": "active",
        "source": {"type": "user", "userId": user}, "deliveryContext": {"isRedelivery": False},
        "message": {"type": "text", "id": str(number), "text": TEXTS[number % len(TEXTS)]},
    }
    if with_token:
        payload["replyToken"] = f"rt-{number:04d}"
    return payload


def interleaved_events() -> list[dict[str, Any]]:
    """Every user's events mixed together, as they arrive from LINE; half are answered by push."""
    return [event(n, USERS[n % len(USERS)], with_token=n % 2 == 0) for n in range(len(USERS) * EVENTS_PER_USER)]


def make_worker(url: str, pack: Pack, api: FakeMessagingApi, batch_size: int = 3) -> BotWorker:
    """A worker with its own engine and retriever (small batches, so claims interleave a lot)."""
    settings = Settings(answer_min_score=0.35, answer_min_margin=0.02, suggest_min_score=0.2)
    retriever = make_retriever(settings, synonyms=pack.synonyms, store=MemoryVectorStore(), embedder=HashingEmbedder())
    retriever.build(pack.entries)

    conversation = Conversation(retriever, PostbackSigner("secret"))
    return BotWorker(make_engine(url), dispatcher(conversation),
                     line_channels(LineSender(api, base_delay=0.0), conversation.retriever), batch_size)


def store(url: str, events: list[dict[str, Any]]) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        store_events(session=session, events=events)
        session.commit()
    engine.dispose()


def rows(url: str, model: Any) -> list[Any]:
    engine = make_engine(url)
    with Session(engine) as session:
        found = list(session.exec(select(model).order_by(model.id)).all())
    engine.dispose()
    return found


def all_settled(url: str) -> bool:
    """No event waiting or being processed, and no reply waiting or being sent."""
    busy = ("pending", "processing", "sending")
    return not any(row.status in busy for model in (InboxEvent, OutboxMessage) for row in rows(url, model))


def run_workers(workers: list[BotWorker], url: str) -> list[BaseException]:
    """Run every worker in its own thread, all starting together, until the inbox and outbox are settled."""
    start, stop = threading.Barrier(len(workers)), threading.Event()
    errors: list[BaseException] = []

    def loop(worker: BotWorker) -> None:
        try:
            start.wait()
            while not stop.is_set():
                if not worker.process_inbox() + asyncio.run(worker.deliver_outbox()):
                    time.sleep(0.005)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=loop, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    try:  # a worker's error (it sets ``stop``) ends the wait early; the test reports it
        wait_for(lambda: stop.is_set() or all_settled(url), timeout=DEADLINE_S,
                 message="the workers to settle the inbox and outbox")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for worker in workers:
            worker.engine.dispose()
    return errors


@pytest.fixture
def url(database_url: str) -> str:
    migrate(database_url)
    return database_url


def test_several_workers_process_each_event_exactly_once_in_user_order(url: str, mini_pack: Pack) -> None:
    events = interleaved_events()
    store(url, events)
    api = FakeMessagingApi()
    errors = run_workers([make_worker(url, mini_pack, api) for _ in range(WORKERS)], url)
    assert errors == []

    inbox = {row.id: row for row in rows(url, InboxEvent)}
    assert len(inbox) == len(events)
    assert {row.status for row in inbox.values()} == {"done"}
    assert {row.attempts for row in inbox.values()} == {1}  # nobody handled an event a second time
    outbox = rows(url, OutboxMessage)
    assert sorted(row.inbox_event_id for row in outbox) == sorted(inbox)  # one reply row per event
    assert {row.status for row in outbox} == {"delivered"}

    created: dict[str, list[int]] = defaultdict(list)
    for row in outbox:  # ids are given in insertion order
        created[row.line_user_id].append(row.inbox_event_id)
    assert all(ids == sorted(ids) for ids in created.values()), "a user's replies were created out of order"

    reply_tokens = [body["replyToken"] for kind, body, _ in api.calls if kind == "reply"]
    retry_keys = [str(key) for kind, _, key in api.calls if kind == "push"]
    assert sorted(reply_tokens) == sorted(e["replyToken"] for e in events if "replyToken" in e)
    assert sorted(retry_keys) == sorted(row.retry_key for row in outbox if row.reply_token is None)
    assert len(api.calls) == len(events)  # each token and each retry key exactly once

    key_of = {row.inbox_event_id: row.reply_token or row.retry_key for row in outbox}
    user_of = {key: inbox[event_id].line_user_id for event_id, key in key_of.items()}
    call_keys = [body["replyToken"] if kind == "reply" else key for kind, body, key in api.calls]
    for user in USERS:  # delivered in each user's event order too
        expected = [key_of[event_id] for event_id in sorted(inbox) if inbox[event_id].line_user_id == user]
        assert [key for key in call_keys if user_of[key] == user] == expected

def test_dead_workers_claim_is_taken_over_only_after_release(url: str, mini_pack: Pack) -> None:
    store(url, [event(1, USERS[0], with_token=True), event(2, USERS[0], with_token=True)])
    api = FakeMessagingApi()
    dead, alive = make_worker(url, mini_pack, api), make_worker(url, mini_pack, api)
    with Session(dead.engine) as session:
        [claimed] = dead._claim(session, InboxEvent, "processing")  # then the process dies
        claimed_id = claimed.id

    assert alive.process_inbox() == 0  # the claimed event is not free, and the user's next one must wait
    assert alive.release_stale_claims() == 0  # a fresh claim may belong to a live worker: left alone
    assert alive.process_inbox() == 0
    assert alive.release_stale_claims(older_than=dt.timedelta(0)) == 1
    assert run_workers([alive, make_worker(url, mini_pack, api)], url) == []

    inbox = rows(url, InboxEvent)
    assert [(row.id, row.status) for row in inbox][0] == (claimed_id, "done")
    assert [row.status for row in inbox] == ["done", "done"]
    assert sorted(body["replyToken"] for _, body, _ in api.calls) == ["rt-0001", "rt-0002"]
    assert [body["replyToken"] for _, body, _ in api.calls] == ["rt-0001", "rt-0002"]
    dead.engine.dispose()
