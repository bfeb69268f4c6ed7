"""The local LINE emulator: API round trip, and a real browser chatting through the page."""

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import status
from fastapi.testclient import TestClient

from tests.conftest import MINI_PACK
from tests.utils.openapi import errors as spec_errors
from tests.utils.servers import free_port
from tests.utils.services import make_test_services
from tests.utils.waiting import wait_for
from tests.utils.worker_rounds import StartedWorkers
from tsunagu.app import create_app
from tsunagu.settings import Settings

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def emulator_app(sqlite_url: str, port: int):  # type: ignore[no-untyped-def]
    settings = Settings(
        database_url=sqlite_url, pack_dir=MINI_PACK, emulator=True, run_worker_in_process=True,
        LINE_CHANNEL_ACCESS_TOKEN="dev", LINE_API_BASE=f"http://127.0.0.1:{port}/emulator/line-api",
        answer_min_score=0.35, suggest_min_score=0.2,
    )
    return create_app(settings, make_test_services(settings))


@pytest.fixture
def started_workers(monkeypatch: pytest.MonkeyPatch) -> StartedWorkers:
    return StartedWorkers(monkeypatch)


@pytest.fixture
def served_emulator(sqlite_url: str, started_workers: StartedWorkers) -> Iterator[str]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(emulator_app(sqlite_url, port), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=15, message="the emulator's server to start")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


def test_emulator_is_not_served_unless_enabled(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, pack_dir=MINI_PACK)
    with TestClient(create_app(settings, make_test_services(settings))) as client:
        assert client.get("/emulator").status_code == status.HTTP_404_NOT_FOUND


def test_emulator_is_refused_in_production() -> None:
    with pytest.raises(ValueError, match="development only"):
        Settings(environment="production", emulator=True, LINE_CHANNEL_SECRET="s", LINE_CHANNEL_ACCESS_TOKEN="t")


def test_emulator_round_trip_with_redelivery(served_emulator: str, started_workers: StartedWorkers) -> None:
    import httpx

    with httpx.Client(base_url=served_emulator, timeout=10) as client:
        assert client.get("/emulator").status_code == status.HTTP_200_OK
        sent = client.post("/emulator/send", json={"text": "粗大ごみの出し方を教えて", "redelivery": True})
        assert sent.json()["status"] == status.HTTP_200_OK
        assert spec_errors("webhook.yml", "Event", sent.json()["event"]) == []
        wait_for(lambda: client.get("/emulator/messages").json()["calls"], timeout=10, interval=0.1,
                 message="the bot's answer in the emulator")
        started_workers.pass_rounds()  # whole worker rounds after the redelivery: it would have been answered
        calls = client.get("/emulator/messages").json()["calls"]
    assert len(calls) == 1  # the redelivered copy was not answered again
    assert calls[0]["messages"][0]["text"].startswith("粗大ごみは事前の申込みが必要です")


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")
def test_browser_chats_through_the_emulator(served_emulator: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.goto(f"{served_emulator}/emulator")
        page.fill("#text", "粗大ごみの出し方を教えて")
        page.click("#send")
        page.wait_for_selector(".bubble.bot", timeout=15_000)
        assert page.inner_text(".bubble.bot").startswith("粗大ごみは事前の申込みが必要です")
        page.wait_for_selector(".quick-reply", timeout=5_000)
        labels = page.locator(".quick-reply").all_inner_texts()
        assert labels[-3:] == ["解決した", "解決しない", "職員に聞く"]
        page.click("text=解決した")
        page.locator(".bubble.bot").nth(1).wait_for(timeout=15_000)  # (a string expression would need unsafe-eval)
        assert "解決してよかったです" in page.locator(".bubble.bot").last.inner_text()
        page.screenshot(path=str(ARTIFACTS / "emulator-chat.png"), full_page=True)
        browser.close()
