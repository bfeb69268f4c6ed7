"""Issue 9 in a real browser at phone size (Playwright + Debian chromium): a short answer first with
「くわしく見る」 for the full text, the entry's short label on choices, and English replies to English questions.

The app runs on a copy of the mini pack in which one entry has a label, a short answer and an English answer.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MINI_PACK
from tests.test_emulator import ARTIFACTS
from tests.test_handoff_browser import send_text
from tests.test_richmenu_browser import open_phone_page
from tests.utils.servers import free_port, serve
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.settings import Settings

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")

SHORT = "出生や転入から15日以内に、市区町村で認定請求をしてください。"
FULL_START = "出生や転入の翌日から15日以内に"
ENGLISH = "Within 15 days of a birth or moving in, file a claim at your municipality."


def pack_with_short_answers(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(MINI_PACK, pack)
    entries = pack / "childcare" / "entries.yaml"
    text = entries.read_text(encoding="utf-8")
    text = text.replace("    question: 児童手当の申請はどうすればいいですか？\n",
                        "    question: 児童手当の申請はどうすればいいですか？\n    label: 児童手当の申請\n", 1)
    text = text.replace("    answer: 出生や転入の翌日から15日以内に",
                        f"    short_answer: {SHORT}\n    answer: 出生や転入の翌日から15日以内に", 1)
    entries.write_text(text, encoding="utf-8")
    (pack / "answers_en.yaml").write_text(f"answers:\n  childcare-allowance-apply: \"{ENGLISH}\"\n", encoding="utf-8")
    return pack


@pytest.fixture
def served(tmp_path: Path, sqlite_url: str) -> Iterator[str]:
    port = free_port()
    settings = Settings(
        database_url=sqlite_url, pack_dir=pack_with_short_answers(tmp_path), emulator=True,
        run_worker_in_process=True, LINE_CHANNEL_ACCESS_TOKEN="dev",
        LINE_API_BASE=f"http://127.0.0.1:{port}/emulator/line-api", answer_min_score=0.35, suggest_min_score=0.2,
    )
    app = create_app(settings, make_test_services(settings))
    with serve(app, port=port) as base_url:
        yield base_url


def test_short_answer_then_details_and_english(served: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser, page = open_phone_page(playwright, served)
        send_text(page, "児童手当の申請はどうすればいいですか")
        assert page.locator(".bubble.bot").last.inner_text() == SHORT
        labels = page.locator(".quick-reply").all_inner_texts()
        assert labels[0] == "くわしく見る" and labels[-3:] == ["解決した", "解決しない", "職員に聞く"]
        page.screenshot(path=str(ARTIFACTS / "answers-1-short.png"))

        before = page.locator(".bubble.bot").count()
        page.locator(".quick-reply", has_text="くわしく見る").click()
        page.wait_for_function("n => document.querySelectorAll('.bubble.bot').length > n", arg=before,
                               timeout=20_000)
        assert page.locator(".bubble.bot").last.inner_text().startswith(FULL_START)
        page.screenshot(path=str(ARTIFACTS / "answers-2-details.png"))

        send_text(page, "How do I apply for the child allowance?")
        reply = page.locator(".bubble.bot").last.inner_text()
        assert reply.isascii() or reply.startswith(ENGLISH), reply  # English in, English out
        labels = page.locator(".quick-reply").all_inner_texts()
        assert {"Ask city staff", "None (ask staff)", "Yes, ask staff"} & set(labels), labels
        page.screenshot(path=str(ARTIFACTS / "answers-3-english.png"))
        browser.close()
