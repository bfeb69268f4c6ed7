"""A parent's first minutes in the emulator at phone size (Playwright + Debian chromium): follow, tap a category
under the welcome message, open a common question, answer 「解決しない」 (👎), and ask staff from there.

Screenshots of each step go to test-artifacts/.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.texts import LABELS
from handoff.models import Ticket
from tests.test_emulator import ARTIFACTS
from tests.test_handoff_browser import wait_for_bot_text
from tests.test_richmenu_browser import open_phone_page
from tests.test_richmenu_browser import served as served  # noqa: F401  (the emulator on the mini pack)

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")


def tap_quick_reply(page: Any, label: str) -> None:
    """Tap the newest quick reply with ``label`` once it is on screen."""
    button = page.locator(".quick-reply", has_text=label).last
    button.wait_for(timeout=20_000)
    button.click()


def bot_texts(page: Any) -> list[str]:
    return list(page.locator(".bubble.bot").all_inner_texts())


def test_category_tap_then_thumbs_down_then_staff(served: tuple[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    base_url, app = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser, page = open_phone_page(playwright, base_url)
        page.click("#follow")
        tap_quick_reply(page, "子育て")  # the welcome message's category button
        wait_for_bot_text(page, "【子育て】")
        assert not any("有効期限が切れた" in text for text in bot_texts(page))
        page.screenshot(path=str(ARTIFACTS / "citizen-1-category.png"))

        first_question = page.locator(".quick-reply").first
        label = first_question.inner_text().rstrip("…")
        first_question.click()  # the first common question of the category
        tap_quick_reply(page, "解決しない")
        page.locator(".quick-reply", has_text=LABELS["ask_staff"]).wait_for(timeout=20_000)
        offered = page.locator(".quick-reply").all_inner_texts()
        assert LABELS["rephrase"] in offered and LABELS["ask_staff"] in offered
        tap_quick_reply(page, LABELS["ask_staff"])
        wait_for_bot_text(page, "受付番号")
        page.screenshot(path=str(ARTIFACTS / "citizen-2-thumbs-down-to-staff.png"))
        browser.close()
    with Session(app.state.services.engine) as session:
        [ticket] = session.exec(select(Ticket)).all()
    assert ticket.question.startswith(label)  # the question the 👎 answer was for, now with staff
