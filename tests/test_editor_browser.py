"""The FAQ edit page in a real browser (Playwright + Debian chromium): an editor logs in and lands on the editor's
home, opens an entry, and the LINE preview follows what they type (editor.js and editor.css under the
console's CSP: a refused script or style shows as a console error). Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.test_emulator import ARTIFACTS
from tests.test_handoff_browser import LAUNCH_ARGS, PASSWORD, serve_with_account

FAQ = "childcare-nursery-documents"
SHORT = "申込書と就労証明書が必要です。"

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")


@pytest.fixture
def base_url(sqlite_url: str) -> Iterator[str]:
    with serve_with_account(sqlite_url, username="henshu", role="editor", team=None) as app:
        yield app.base_url


def test_the_preview_follows_typing_and_the_editor_lands_on_their_home(base_url: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        page: Any = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(f"{base_url}/staff/login")
        page.fill("input[name=username]", "henshu")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('編集ホーム')", timeout=10_000)
        assert page.url.endswith("/staff/editor")
        page.screenshot(path=str(ARTIFACTS / "editor-home.png"), full_page=True)

        page.goto(f"{base_url}/staff/faq/{FAQ}")
        assert page.locator(".bubble.from-bot").count() >= 1  # the preview is there before any typing
        page.fill("#f-short_answer", SHORT)
        page.wait_for_selector(f".line-phone .bubble.from-bot:text-is('{SHORT}')", timeout=10_000)
        page.wait_for_selector(".quick-replies li:text-is('くわしく見る')")
        page.fill("#f-answer", "こども家庭部にお問い合わせください。")
        page.wait_for_selector("[data-warning=deflects]", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "editor-faq-preview.png"), full_page=True)
        phone = "getComputedStyle(document.querySelector('.line-phone'))"
        assert page.evaluate(f"{phone}.maxWidth") == "390px"  # editor.css is loaded
        assert page.evaluate("document.querySelector('.line-phone').getBoundingClientRect().width") <= 390
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "editor-faq-phone.png"), full_page=True)
        browser.close()
    assert [error for error in errors if "Refused" in error or "Content Security Policy" in error] == []
