"""Hardening of ``POST /callback``: text LINE could never send (lone surrogates), absurd nesting, huge event
counts, and storing a request's events in one statement without holding up the event loop."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import status
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event as sqlalchemy_event
from sqlmodel import Session, select

import bot.line.webhook
from bot.inbox import StoreResult
from bot.line.inbox import store_and_commit, store_events
from bot.line.payload import MAX_DEPTH, UnsafePayload, load_json
from bot.models import InboxEvent
from core.db import make_engine
from retrieval.engine import Retriever
from tests.conftest import MINI_PACK
from tests.test_line_client import FakeMessagingApi
from tests.test_webhook import SECRET, sign
from tests.test_worker import USER, Bot, text_event
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.db import migrate
from tsunagu.settings import Settings


def make_client(database_url: str, **overrides: Any) -> TestClient:
    settings = Settings(database_url=database_url, pack_dir=MINI_PACK, LINE_CHANNEL_SECRET=SECRET, **overrides)
    return TestClient(create_app(settings, make_test_services(settings)))


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with make_client(database_url) as test_client:
        yield test_client


def post(client: TestClient, body: bytes) -> int:
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
    return client.post("/callback", content=body, headers=headers).status_code


def body_of(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "U0", "events": list(events)}, ensure_ascii=False).encode()


def stored(database_url: str) -> list[InboxEvent]:
    with Session(make_engine(database_url)) as session:
        return list(session.exec(select(InboxEvent).order_by(InboxEvent.id)).all())  # type: ignore[arg-type]


# -- lone surrogates ------------------------------------------------------------------------------------------------
def test_lone_surrogate_in_text_is_replaced_and_the_user_gets_a_reply(
    client: TestClient, database_url: str, mini_retriever: Retriever
) -> None:
    # json.dumps escapes the surrogate as \ud800, exactly as a hostile or broken client would send it.
    body = json.dumps({"destination": "U0", "events": [text_event("e1", "粗大ごみ\ud800の出し方を教えて")]}).encode()
    assert b"\\ud800" in body
    assert post(client, body) == status.HTTP_200_OK
    [event] = stored(database_url)
    assert event.payload["message"]["text"] == "粗大ごみ\ufffdの出し方を教えて"
    bot = Bot(database_url, mini_retriever, FakeMessagingApi())
    bot.run()
    assert [e.status for e in bot.rows(InboxEvent)] == ["done"]
    assert [kind for kind, _, _ in bot.api.calls] == ["reply"]
    assert bot.texts_sent()


def test_lone_surrogates_in_keys_and_ids_are_stored_replaced(client: TestClient, database_url: str) -> None:
    event = text_event("e\udc00", "こんにちは")
    event["source"]["userId"] = USER + "\udbff"
    event["message"]["x\ud800"] = ["\udfff", {"\ud801": "ok"}]
    assert post(client, json.dumps({"events": [event]}).encode()) == status.HTTP_200_OK
    [row] = stored(database_url)
    assert row.webhook_event_id == "e\ufffd"
    assert row.line_user_id == USER + "\ufffd"
    assert row.payload["message"]["x\ufffd"] == ["\ufffd", {"\ufffd": "ok"}]


ANY_TEXT = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=8)  # Cs: lone surrogates
JSON_WITH_SURROGATES = st.recursive(
    st.none() | st.integers() | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=20,
)


@given(JSON_WITH_SURROGATES)
def test_loaded_json_always_encodes_as_utf8(value: Any) -> None:
    loaded = load_json(json.dumps(value))  # ensure_ascii: surrogates arrive as \uXXXX escapes
    json.dumps(loaded, ensure_ascii=False).encode("utf-8")  # raises on any surrogate left behind


def test_depth_limit_is_exact() -> None:
    assert load_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(UnsafePayload):
        load_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


# -- nesting -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    b'{"events": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"events": [{"type": "message", "message": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}]}",
])
def test_absurdly_nested_signed_body_is_400(client: TestClient, database_url: str, body: bytes) -> None:
    assert post(client, body) == status.HTTP_400_BAD_REQUEST
    assert stored(database_url) == []


def test_nested_body_with_a_wrong_signature_is_rejected_before_parsing(client: TestClient) -> None:
    body = b'{"events": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = client.post("/callback", content=body, headers={"X-Line-Signature": sign(body, "other")})
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["detail"] == "invalid signature"


# -- event count -----------------------------------------------------------------------------------------------------
def test_more_events_than_the_cap_are_refused_and_nothing_is_stored(database_url: str) -> None:
    events = [text_event(f"e{i}", "こんにちは") for i in range(6)]
    with make_client(database_url, webhook_max_events=5) as client:
        assert post(client, body_of(*events)) == status.HTTP_413_CONTENT_TOO_LARGE
        assert stored(database_url) == []
        assert post(client, body_of(*events[:5])) == status.HTTP_200_OK
    assert len(stored(database_url)) == 5


def test_ten_thousand_events_are_refused_by_default(client: TestClient, database_url: str) -> None:
    events = [{"type": "unfollow", "webhookEventId": f"E{i}"} for i in range(10_000)]
    assert post(client, json.dumps({"events": events}).encode()) == status.HTTP_413_CONTENT_TOO_LARGE
    assert stored(database_url) == []


# -- bulk insert ------------------------------------------------------------------------------------------------------
def count_inserts(engine: Any) -> list[str]:
    statements: list[str] = []

    @sqlalchemy_event.listens_for(engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            statements.append(statement)

    return statements


def test_many_events_are_stored_once_each_in_one_statement(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    events = [text_event(f"e{i:03d}", f"質問{i}") for i in range(300)]
    inserts = count_inserts(engine)
    first = store_and_commit(engine, [*events, events[0], {**events[1], "deliveryContext": {"isRedelivery": True}}])
    assert first == StoreResult(stored=300, duplicates=2)
    assert len(inserts) == 1
    redelivered = [{**e, "deliveryContext": {"isRedelivery": True}} for e in events[:150]]
    again = store_and_commit(engine, [*redelivered, text_event("e300", "新しい質問")])
    assert again == StoreResult(stored=1, duplicates=150)
    rows = stored(database_url)
    assert [r.webhook_event_id for r in rows] == [f"e{i:03d}" for i in range(301)]
    assert not any(r.is_redelivery for r in rows)
    assert rows[42].payload["message"]["text"] == "質問42"


def test_events_of_one_request_share_the_session_transaction(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert store_events(session=session, events=[text_event("a", "1"), text_event("b", "2")]).stored == 2
        session.rollback()
    assert stored(database_url) == []


# -- the event loop stays free ----------------------------------------------------------------------------------------
def test_other_requests_are_served_while_events_are_being_stored(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store blocks until /healthz has been answered: only possible if it runs off the event loop."""
    storing, health_answered = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def store_and_wait(engine: Any, events: Any) -> StoreResult:
        storing.set()
        seen["released_by_health_check"] = health_answered.wait(timeout=30)  # safety net, not a measurement
        return store_and_commit(engine, events)

    monkeypatch.setattr(bot.line.webhook, "store_and_commit", store_and_wait)
    body = body_of(*[text_event(f"e{i}", "こんにちは") for i in range(50)])
    assert len(body) > bot.line.webhook.INLINE_MAX_BODY_BYTES  # a large request: parsed and stored off the loop
    with ThreadPoolExecutor(max_workers=1) as pool:
        callback = pool.submit(post, client, body)
        assert storing.wait(timeout=30)
        health = client.get("/healthz")
        health_answered.set()
        assert callback.result() == status.HTTP_200_OK
    assert health.status_code == status.HTTP_200_OK
    assert seen["released_by_health_check"] is True
    assert len(stored(database_url)) == 50


def test_a_usual_small_request_is_stored_on_the_event_loop(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LINE's usual one-event request skips the thread pool (which slowed acknowledgements under load)."""
    on_loop: list[bool] = []

    def store_and_note(engine: Any, events: Any) -> StoreResult:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:  # a worker thread has no running loop
            on_loop.append(False)
        return store_and_commit(engine, events)

    monkeypatch.setattr(bot.line.webhook, "store_and_commit", store_and_note)
    body = body_of(text_event("small-1", "保育園の申し込みはいつから？"))
    assert len(body) <= bot.line.webhook.INLINE_MAX_BODY_BYTES
    assert post(client, body) == status.HTTP_200_OK
    assert on_loop == [True] and len(stored(database_url)) == 1
