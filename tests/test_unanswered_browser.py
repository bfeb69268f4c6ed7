"""The improvement loop in a real browser (Playwright + Debian chromium): the bot keeps a citizen's question it
could not answer (the citizen taps 「どれも違う」 under the suggestions, then withdraws the question to staff), an
editor on a phone-size screen (390×844) opens 「答えられなかった質問」, adds it as an alternative question of the
nearest entry and publishes it, and the same question asked in the LINE emulator is then answered with that
entry. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, col, select

from knowledge.unanswered import UnansweredQuestion
from tests.test_emulator import ARTIFACTS
from tests.test_handoff_browser import LAUNCH_ARGS, Served, serve_with_account
from tests.test_publish_browser import ask, csp_errors, log_in_editor
from tests.utils.waiting import wait_for
from tsunagu.container import Services

QUESTION = "育休明けの入園申し込みはいつ"  # the mini pack only suggests entries for it
FAQ = "childcare-nursery-apply-period"
ANSWER_START = "4月からの入所は"  # the start of that entry's answer
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")


@pytest.fixture
def served(sqlite_url: str) -> Iterator[Served]:
    with serve_with_account(sqlite_url, username="henshu", role="editor", team=None) as app:
        yield app


def stored_row(services: Services, timeout: float = 15) -> UnansweredQuestion:
    """The open row the bot wrote for the citizen's question (the in-process worker writes it soon after)."""

    def open_rows() -> list[UnansweredQuestion]:
        with Session(services.engine) as session:
            return list(session.exec(select(UnansweredQuestion).where(col(UnansweredQuestion.status) == "open")))

    rows = wait_for(open_rows, timeout=timeout, interval=0.1, message="the bot to keep the unanswered question")
    assert [row.text for row in rows] == [QUESTION]
    return rows[0]


def tap(page: Any, label: str) -> str:
    """Tap the quick reply ``label`` in the emulator and return the bot's first reply to it."""
    before = page.locator(".bubble.bot").count()
    page.click(f".quick-reply:has-text('{label}')")
    page.wait_for_function("n => document.querySelectorAll('.bubble.bot').length > n", arg=before, timeout=30_000)
    return str(page.locator(".bubble.bot").nth(before).inner_text())


def test_an_unanswered_question_becomes_an_answer_after_publishing(served: Served) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        citizen: Any = browser.new_page(viewport=PHONE)
        citizen.goto(f"{served.base_url}/emulator")
        assert ANSWER_START not in ask(citizen, QUESTION)  # the bot only suggests entries
        tap(citizen, "どれも違う")  # none of the suggestions: the question is kept for the editors
        ask(citizen, "キャンセル")  # and the citizen withdraws the question to staff it opened
        row = stored_row(served.services)
        assert row.reason == "none_of_these" and row.id is not None
        row_id = row.id

        editor: Any = browser.new_context(viewport=PHONE).new_page()
        errors = csp_errors(editor)
        log_in_editor(editor, served.base_url)
        editor.goto(f"{served.base_url}/staff/unanswered")
        question = editor.locator(f"[data-unanswered='{row_id}']")
        assert question.locator(".question-text").inner_text() == QUESTION
        editor.screenshot(path=str(ARTIFACTS / "unanswered-phone.png"), full_page=True)
        assert editor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing overflows
        question.locator("select[name=faq_id]").select_option(FAQ)
        question.locator("button:has-text('この質問を言い換えとして追加')").click()
        editor.wait_for_selector("p.notice:has-text('公開ページで公開すると')", timeout=10_000)
        assert editor.locator(f"[data-unanswered='{row_id}']").count() == 0
        editor.screenshot(path=str(ARTIFACTS / "unanswered-added-phone.png"), full_page=True)

        editor.click("p.notice a[href='/staff/publish']")
        editor.wait_for_selector(f"input[name=faq_id][value='{FAQ}']", timeout=10_000)
        editor.check(f"input[name=faq_id][value='{FAQ}']")
        editor.click("button:has-text('品質チェックをして公開する')")
        editor.wait_for_load_state()
        if editor.locator("input[name=confirm_drop]").count():  # the gate asks only when accuracy dropped
            editor.check(f"input[name=faq_id][value='{FAQ}']")
            editor.check("input[name=confirm_drop]")
            editor.click("button:has-text('品質チェックをして公開する')")
        editor.wait_for_url("**/staff/versions/**", timeout=30_000)
        editor.screenshot(path=str(ARTIFACTS / "unanswered-published-phone.png"), full_page=True)

        assert ANSWER_START in ask(citizen, QUESTION)
        citizen.screenshot(path=str(ARTIFACTS / "unanswered-answered-phone.png"), full_page=True)
        browser.close()
    assert errors == []
    with Session(served.services.engine) as session:
        handled = session.get(UnansweredQuestion, row_id)
        assert handled is not None and handled.status == "added" and handled.handled_by == "henshu"
