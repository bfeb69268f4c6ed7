"""The version page of a whole pack in a real browser (Playwright + Debian chromium, issue 17 item 8): with the
whole Toyama pack as one version, the summary and 「版 N に戻す」 are on the first screen at desk and
phone sizes (they were at y ≈ 381,000 px below every diff), the differences open one entry at a time, and the
page needs no script under the console's CSP. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session

from knowledge.packs import read_pack
from knowledge.publish import record_current, replace_published
from tests.conftest import TOYAMA_PACK
from tests.test_emulator import ARTIFACTS
from tests.test_handoff_browser import LAUNCH_ARGS, Served, serve_with_account
from tests.test_publish_browser import csp_errors, log_in_editor

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")
SIZES = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def served(sqlite_url: str) -> Iterator[tuple[Served, int, int]]:
    """The app with the Toyama pack loaded as one version, and a newer version after it (so it can be rolled
    back to); the loaded version's id and its number of entries."""
    with serve_with_account(sqlite_url, username="henshu", role="editor", team=None) as app:
        entries = read_pack(TOYAMA_PACK).entries
        with Session(app.services.engine) as session:
            loaded = replace_published(session, entries=entries, author="cli", kind="load", note="富山パック")
            record_current(session, author="henshu", kind="publish", note="次の版")
            assert loaded.id is not None
            yield app, loaded.id, len(loaded.entries)


def test_the_summary_and_rollback_are_on_the_first_screen(served: tuple[Served, int, int]) -> None:
    from playwright.sync_api import sync_playwright

    app, version_id, entry_count = served
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[list[str]] = []  # each page's CSP errors
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        for name, size in SIZES.items():
            page: Any = browser.new_context(viewport=size).new_page()
            errors.append(csp_errors(page))
            log_in_editor(page, app.base_url)
            page.goto(f"{app.base_url}/staff/versions/{version_id}")
            button = page.locator(f"button:has-text('版 {version_id} に戻す')").bounding_box()
            assert button is not None and button["y"] + button["height"] <= size["height"], (name, button)
            assert page.locator(".summary-counts").is_visible()
            assert page.locator("details.diff").count() >= entry_count  # every entry, collapsed
            assert page.locator("details.diff[open]").count() == 0
            height = page.evaluate("document.documentElement.scrollHeight")
            page.screenshot(path=str(ARTIFACTS / f"version-summary-{name}.png"))
            first = page.locator("details.diff").first
            first.locator("summary").click()
            assert first.locator("table.diff-table").is_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
            print(f"{name}: rollback button bottom at y={button['y'] + button['height']:.0f} px, "  # noqa: T201
                  f"page height {height} px, {entry_count} entries")
        browser.close()
    assert [error for page_errors in errors for error in page_errors] == []
