"""The ticket page in a real browser (Playwright + Debian chromium) at a desk screen's 1366×900.

With a long thread the reply form stays in view; FAQ search and 「回答を挿入」 keep what staff typed and insert the
approved answer at the cursor; 「対応を終了する」 asks first, in the page (no dialog may open); an urgent ticket
says why and highlights the emergency message (the bot's side of that is tested in ``test_console_ticket``).
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session

from bot.models import LineUser
from handoff.models import Ticket, TicketMessage
from tests.test_emulator import ARTIFACTS
from tests.test_handoff_browser import LAUNCH_ARGS, PASSWORD, Served, serve_with_account
from tests.utils.desk import delete_user_data
from tsunagu.container import Services

VIEWPORT = {"width": 1366, "height": 900}
USER = "U" + "5" * 32
TYPED = "お問い合わせありがとうございます。\nよろしくお願いいたします。"
SEARCH = "粗大ごみ"
EMERGENCY = "子どもがけいれんしている"

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")


@pytest.fixture
def served(sqlite_url: str) -> Iterator[Served]:
    with serve_with_account(sqlite_url, username="tanaka", role="staff", team="市民相談課") as app:
        yield app


def long_ticket(services: Services, messages: int = 40) -> int:
    """A ticket whose thread is much longer than the screen."""
    with Session(services.engine) as session:
        session.add(LineUser(user_id=USER))
        ticket = Ticket(line_user_id=USER, question="保育園の見学について教えてください", team="市民相談課",
                        category="childcare",
                        candidates=[{"faq_id": "childcare-nursery-apply-period", "score": 0.72,
                                     "question": "保育所の入所申込みはいつからできますか？"}])
        session.add(ticket)
        session.flush()
        assert ticket.id is not None
        for number in range(messages):
            session.add(TicketMessage(ticket_id=ticket.id, author="user",
                                      text=f"補足その{number + 1}です。上の子と一緒に見学できますか。"))
        session.commit()
        return ticket.id


def log_in(browser: Any, base_url: str, dialogs: list[str], viewport: dict[str, int] = VIEWPORT) -> Any:
    """A page logged in as tanaka at ``viewport``, on the queue; any dialog is dismissed and its text kept."""
    page = browser.new_context(viewport=viewport).new_page()

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{base_url}/staff/login")
    page.fill("input[name=username]", "tanaka")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#queue-rows", timeout=10_000)
    return page


def fully_in_view(page: Any, selector: str) -> bool:
    """The element's box lies inside the viewport and its centre is not covered or clipped by a scroll area."""
    return bool(page.evaluate("""selector => {
        const el = document.querySelector(selector);
        const box = el.getBoundingClientRect();
        if (box.top < 0 || box.left < 0 || box.bottom > innerHeight || box.right > innerWidth) return false;
        const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return hit === el || el.contains(hit);
    }""", selector))


def test_reply_form_stays_in_view_and_search_keeps_the_typed_text(served: Served) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    ticket_id = long_ticket(served.services)
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        page = log_in(browser, served.base_url, dialogs)
        page.goto(f"{served.base_url}/staff/tickets/{ticket_id}")
        page.click("text=担当する")
        page.wait_for_selector("text=担当しました。")
        assert page.evaluate("scrollY") == 0
        assert fully_in_view(page, "form.reply button[type=submit]"), "送信する is not visible without scrolling"
        assert page.locator("form.reply button[type=submit]").inner_text() == "送信する"
        page.screenshot(path=str(ARTIFACTS / "console-ticket-1366x900.png"))

        page.fill("#reply-text", TYPED)
        cursor = TYPED.index("\n") + 1  # staff put the cursor at the start of the second line
        page.evaluate("n => document.querySelector('#reply-text').setSelectionRange(n, n)", cursor)
        page.fill(".faq-search input[name=q]", SEARCH)
        page.click(".faq-search button[type=submit]")
        page.wait_for_selector(".faq-results a:has-text('回答を挿入')", timeout=10_000)
        link = page.locator(".faq-results a", has_text="回答を挿入").first
        faq_id = link.get_attribute("data-faq-id") or ""
        link.click()
        answer = served.services.retriever.entries[faq_id].answer
        expected = TYPED[:cursor] + answer + TYPED[cursor:]
        page.wait_for_function("text => document.querySelector('#reply-text').value === text", arg=expected,
                               timeout=5_000)
        page.screenshot(path=str(ARTIFACTS / "console-faq-search-kept-text.png"))
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, the form under the thread
        page.screenshot(path=str(ARTIFACTS / "console-ticket-phone.png"), full_page=True)
        page.set_viewport_size(VIEWPORT)

        page.click("form.reply button[type=submit]")
        page.wait_for_selector("text=回答を送信しました", timeout=10_000)
        page.click("summary:has-text('対応を終了する')")
        page.wait_for_selector("text=本当に終了しますか？")
        page.screenshot(path=str(ARTIFACTS / "console-resolve-confirm.png"))
        page.click(".confirm-resolve >> text=戻る")
        page.wait_for_selector("text=本当に終了しますか？", state="hidden")
        page.click("summary:has-text('対応を終了する')")
        page.click(".confirm-resolve button:has-text('終了する')")
        page.wait_for_selector("text=対応を終了しました", timeout=10_000)
        browser.close()
    assert dialogs == []


def test_reply_to_a_ticket_deleted_meanwhile_keeps_the_typed_text(served: Served) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    ticket_id = long_ticket(served.services, messages=3)
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        page = log_in(browser, served.base_url, dialogs)
        page.goto(f"{served.base_url}/staff/tickets/{ticket_id}")
        page.click("text=担当する")
        page.wait_for_selector("text=担当しました。")
        page.fill("#reply-text", TYPED)
        with Session(served.services.engine) as session:  # the citizen's 「データ削除」 while staff type
            delete_user_data(session=session, user_id=USER)
            session.commit()
        page.wait_for_selector("#ticket-gone", state="visible", timeout=15_000)  # the thread poll noticed
        page.click("form.reply button[type=submit]")
        page.wait_for_selector("text=回答を送信できませんでした", timeout=10_000)
        assert "利用者がデータを削除した" in page.inner_text("main")
        assert page.input_value("textarea[readonly]") == TYPED
        page.screenshot(path=str(ARTIFACTS / "console-reply-ticket-deleted.png"))
        browser.close()
    assert dialogs == []


def urgent_ticket(services: Services) -> int:
    """An urgent ticket whose emergency message came before it (as the bot stores it after a hand-off)."""
    with Session(services.engine) as session:
        session.add(LineUser(user_id=USER))
        ticket = Ticket(line_user_id=USER, question="明日の天気は晴れますか", team="市民相談課", urgent=True)
        session.add(ticket)
        session.flush()
        assert ticket.id is not None
        session.add(TicketMessage(ticket_id=ticket.id, author="user", text=EMERGENCY, emergency=True))
        session.add(TicketMessage(ticket_id=ticket.id, author="user", text="明日の天気は晴れますか"))
        session.commit()
        return ticket.id


def test_urgent_ticket_says_why_and_highlights_the_emergency_message(served: Served) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    ticket_id = urgent_ticket(served.services)
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        console = log_in(browser, served.base_url, dialogs)
        console.goto(f"{served.base_url}/staff/tickets/{ticket_id}")
        console.wait_for_selector(".urgent-reason", timeout=5_000)
        assert "至急：緊急の言葉を含むメッセージがありました" in console.inner_text(".urgent-reason")
        assert console.locator(".msg.emergency").count() == 1
        assert EMERGENCY in console.inner_text(".msg.emergency")
        assert fully_in_view(console, ".urgent-reason")
        console.screenshot(path=str(ARTIFACTS / "console-urgent-reason.png"))
        browser.close()
    assert dialogs == []
