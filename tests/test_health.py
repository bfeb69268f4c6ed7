"""The server listens while the first index is built: /healthz, /readyz, the 503 of search, the webhook's inbox
and the emulator's 「準備中」 banner, with the build held by an embedder that waits for the test."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fastapi import status
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import Session, select

from bot.line.emulator.fake_api import FakeLineApi
from bot.models import InboxEvent
from console.accounts.service import create_user
from core.clock import utcnow
from core.db import make_engine
from knowledge.models import FaqEntry
from retrieval.cache import MemoryVectorStore
from retrieval.factory import make_retriever
from tests.conftest import MINI_PACK
from tests.test_console import PASSWORD, Console
from tests.test_webhook import fixture, sign
from tests.utils.embedders import HashingEmbedder
from tests.utils.servers import serve
from tests.utils.waiting import wait_for
from tsunagu.app import create_app
from tsunagu.container import Services, load_pack_if_empty
from tsunagu.db import migrate
from tsunagu.health import INDEXING_MESSAGE, oldest_unanswered_age, readiness
from tsunagu.readiness import IndexState
from tsunagu.settings import Settings

SECRET = "test-channel-secret"


class HoldingEmbedder(HashingEmbedder):
    """Holds its first encode (the index build's first batch) until ``release`` is set, so a test can look at the
    app in the middle of a build; any other call (a query) is answered at once, as a real embedder would."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        with self._lock:
            first = not self.entered.is_set()
            self.entered.set()
        if first:
            self.release.wait(timeout=60)
        return super()._encode(texts, is_query=is_query)


@dataclass
class Held:
    settings: Settings
    services: Services
    embedder: HoldingEmbedder


def held_services(sqlite_url: str, **values: object) -> Held:
    """Services with the database ready and the index not built: the app builds it with a holding embedder."""
    settings = Settings(database_url=sqlite_url, pack_dir=MINI_PACK, answer_min_score=0.35,
                        suggest_min_score=0.2, **values)  # type: ignore[arg-type]
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    load_pack_if_empty(settings, engine)
    embedder = HoldingEmbedder()
    retriever = make_retriever(settings, store=MemoryVectorStore(), embedder=embedder)
    return Held(settings, Services(settings, engine, retriever), embedder)


@pytest.fixture
def held(sqlite_url: str) -> Iterator[Held]:
    held = held_services(sqlite_url)
    yield held
    held.embedder.release.set()  # never leave the build thread waiting, whatever the test did
    held.services.engine.dispose()


def test_readyz_says_indexing_while_the_build_is_held_then_ready(held: Held) -> None:
    with TestClient(create_app(held.settings, held.services)) as client:
        assert held.embedder.entered.wait(timeout=15), "the app did not start building the index"
        indexing = client.get("/readyz")
        assert indexing.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
        body = indexing.json()
        assert body["status"] == "indexing"
        assert body["database"] == "ok"
        assert body["index"]["state"] == "indexing" and body["index"]["knowledge_version"] is None
        assert indexing.headers["x-content-type-options"] == "nosniff"  # security headers on the 503 too
        health = client.get("/healthz")
        assert health.status_code == status.HTTP_200_OK and health.json() == {"status": "ok", "entries": 0}

        held.embedder.release.set()
        wait_for(lambda: client.get("/readyz").status_code == status.HTTP_200_OK, message="/readyz to say ready")
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready" and ready["database"] == "ok"
        assert ready["index"]["entries"] == 6
        assert len(ready["index"]["knowledge_version"]) == 16
        assert ready["index"]["texts_done"] == ready["index"]["texts_total"] > 0
        assert ready["inbox_oldest_age_s"] == 0.0
        assert client.get("/healthz").json() == {"status": "ok", "entries": 6}


def test_ask_answers_503_in_japanese_while_indexing_then_answers(held: Held) -> None:
    with TestClient(create_app(held.settings, held.services)) as client:
        assert held.embedder.entered.wait(timeout=15)
        refused = client.post("/api/ask", json={"text": "粗大ごみの出し方を教えて"})
        assert refused.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
        assert refused.json() == {"detail": INDEXING_MESSAGE}
        assert int(refused.headers["retry-after"]) > 0
        held.embedder.release.set()
        wait_for(lambda: held.services.index.ready, message="the index to be ready")
        answered = client.post("/api/ask", json={"text": "粗大ごみの出し方を教えて"})
        assert answered.status_code == status.HTTP_200_OK
        assert answered.json()["faq_id"] == "procedures-garbage-bulky"


def test_console_faq_search_answers_503_while_indexing_and_the_ticket_page_still_opens(held: Held) -> None:
    with Session(held.services.engine) as session:
        create_user(session, username="staff", password=PASSWORD, role="staff", team="こども家庭部")
    with TestClient(create_app(held.settings, held.services), base_url="http://testserver") as client:
        assert held.embedder.entered.wait(timeout=15)
        console = Console(client, held.services)
        console.login("staff")
        ticket_id = console.ticket()
        assert client.get(f"/staff/tickets/{ticket_id}").status_code == status.HTTP_200_OK
        search = client.get(f"/staff/tickets/{ticket_id}/faq", params={"q": "粗大ごみ"})
        assert search.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
        assert search.text == INDEXING_MESSAGE
        assert search.headers["cache-control"] == "no-store"  # console headers still apply
        held.embedder.release.set()
        wait_for(lambda: held.services.index.ready, message="the index to be ready")
        found = client.get(f"/staff/tickets/{ticket_id}/faq", params={"q": "粗大ごみ"})
        assert found.status_code == status.HTTP_200_OK and "粗大ごみ" in found.text


def test_webhook_event_during_indexing_is_stored_and_answered_once_ready(sqlite_url: str) -> None:
    fake = FakeLineApi()
    with serve(fake.app()) as line_url:
        held = held_services(sqlite_url, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN="token",
                             LINE_API_BASE=line_url, run_worker_in_process=True)
        question = "保育園の申込期間を知りたい"
        body = fixture("text_message.json").replace("保育園の申し込みはいつから？".encode(), question.encode())
        try:
            with TestClient(create_app(held.settings, held.services)) as client:
                assert held.embedder.entered.wait(timeout=15)
                response = client.post("/callback", content=body, headers={"X-Line-Signature": sign(body, SECRET)})
                assert response.status_code == status.HTTP_200_OK
                time.sleep(1.0)  # about five worker rounds: a worker that did not wait would have taken the event
                with Session(held.services.engine) as session:
                    [stored] = session.exec(select(InboxEvent)).all()
                assert (stored.status, stored.attempts) == ("pending", 0)  # stored, left for when the index is ready
                assert client.get("/readyz").json()["inbox_oldest_age_s"] >= 0.0
                assert fake.calls == []
                held.embedder.release.set()
                wait_for(lambda: len(fake.calls) == 1, message="the stored event to be answered")
                wait_for(lambda: client.get("/readyz").json()["inbox_oldest_age_s"] == 0.0,
                         message="the inbox to be empty")
        finally:
            held.embedder.release.set()
            held.services.engine.dispose()
    [call] = fake.calls
    assert call.body["messages"][0]["text"].startswith("4月からの入所は")


def test_inbox_age_counts_only_unanswered_events(sqlite_url: str) -> None:
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    now = utcnow()
    with Session(engine) as session:
        for event_id, state, age in (("old-done", "done", 900), ("waiting", "pending", 120), ("new", "pending", 5)):
            session.add(InboxEvent(webhook_event_id=event_id, event_type="message", payload={}, status=state,
                                   received_at=now - dt.timedelta(seconds=age)))
        session.commit()
    age = oldest_unanswered_age(engine)
    assert 120 <= age < 900
    engine.dispose()


def test_readyz_says_database_unreachable(tmp_path: Path) -> None:
    index = IndexState()
    index.mark_ready(6, "0" * 16)
    missing = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
    body = readiness(missing, index)
    assert body.status == "database_unreachable"
    assert body.database == "unreachable" and body.inbox_oldest_age_s is None


def test_knowledge_version_follows_the_published_content(sqlite_url: str) -> None:
    held = held_services(sqlite_url)
    held.embedder.release.set()
    held.services.rebuild_index()
    before = held.services.index.snapshot().knowledge_version
    held.services.rebuild_index()
    assert held.services.index.snapshot().knowledge_version == before  # same content, same version
    with Session(held.services.engine) as session:
        entry = session.get(FaqEntry, "procedures-garbage-bulky")
        assert entry is not None
        entry.answer += "（変更）"
        session.add(entry)
        session.commit()
    held.services.rebuild_index()
    assert held.services.index.snapshot().knowledge_version != before
    held.services.engine.dispose()


def test_a_failed_first_build_is_reported(held: Held, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("embedder crashed")

    monkeypatch.setattr(held.services.retriever, "prepare", broken)  # what every build runs
    with TestClient(create_app(held.settings, held.services)) as client:
        wait_for(lambda: client.get("/readyz").json()["status"] == "index_failed",
                 message="/readyz to say index_failed")
        assert client.get("/readyz").status_code == status.HTTP_503_SERVICE_UNAVAILABLE
        assert "embedder crashed" not in client.get("/readyz").text  # no internals leak


def test_emulator_shows_the_preparing_banner_until_ready(sqlite_url: str) -> None:
    held = held_services(sqlite_url, emulator=True)
    try:
        with TestClient(create_app(held.settings, held.services)) as client:
            assert held.embedder.entered.wait(timeout=15)
            page = client.get("/emulator").text
            assert '<p id="preparing" class="preparing" role="status">' in page  # shown: no hidden attribute
            assert "準備中です。しばらくお待ちください" in page
            held.embedder.release.set()
            wait_for(lambda: held.services.index.ready, message="the index to be ready")
            assert '<p id="preparing" class="preparing" role="status" hidden>' in client.get("/emulator").text
    finally:
        held.embedder.release.set()
        held.services.engine.dispose()


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")
def test_browser_hides_the_preparing_banner_when_readyz_turns_ready(sqlite_url: str) -> None:
    from playwright.sync_api import sync_playwright

    held = held_services(sqlite_url, emulator=True)
    try:
        with serve(create_app(held.settings, held.services)) as url, sync_playwright() as playwright:
            assert held.embedder.entered.wait(timeout=15)
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page()
            page.goto(f"{url}/emulator")
            banner = page.locator("#preparing")
            banner.get_by_text("FAQの索引を作成中").wait_for(timeout=10_000)  # filled in from /readyz
            assert banner.is_visible() and "準備中です。しばらくお待ちください" in banner.inner_text()
            held.embedder.release.set()
            banner.wait_for(state="hidden", timeout=15_000)
            browser.close()
    finally:
        held.embedder.release.set()
        held.services.engine.dispose()
