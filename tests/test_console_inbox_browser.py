"""The ticket page as an inbox in a real browser (Playwright + Debian chromium) at a phone's 390×844 and a desk
screen's 1366×900: the thread shows the bot's replies with the buttons it offered (「もしかして」 choices) before the
ticket, a staff member adds an internal note and fills the reply from a team canned reply, and the resolve
confirmation fits the screen. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session

from bot.models import InboxEvent, LineUser, OutboxMessage
from core.clock import utcnow
from handoff.canned import CannedReply
from handoff.models import Ticket, TicketMessage
from tests.test_console_browser import log_in
from tests.test_emulator import ARTIFACTS
from tests.test_handoff_browser import LAUNCH_ARGS, Served, serve_with_account
from tsunagu.container import Services

USER = "U" + "7" * 32
TEAM = "市民相談課"
QUESTION = "ほいくえん　見学できる？"
SUGGESTION = "もしかして、次のどれかについてのご質問ですか？当てはまるものを選んでください。"
CHOICES = ["保育所の見学", "保育所の申込み", "どれも違う（職員に聞く）"]
CANNED = "見学は各園で受け付けています。\n希望の園にお電話ください。"
NOTE = "園の一覧を案内する予定（田中）"
VIEWPORTS = [{"width": 390, "height": 844}, {"width": 1366, "height": 900}]

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")


@pytest.fixture
def served(sqlite_url: str) -> Iterator[Served]:
    with serve_with_account(sqlite_url, username="tanaka", role="staff", team=TEAM) as app:
        yield app


def conversation_ticket(services: Services) -> int:
    """A ticket opened by 「どれも違う（職員に聞く）」 after the bot's 「もしかして」, as the worker stores it."""
    asked = utcnow() - dt.timedelta(minutes=3)
    tapped = asked + dt.timedelta(minutes=1)
    with Session(services.engine) as session:
        session.add(LineUser(user_id=USER))
        question = InboxEvent(webhook_event_id=str(uuid.uuid4()), event_type="message", line_user_id=USER,
                              status="done", received_at=asked, payload={
                                  "type": "message", "source": {"type": "user", "userId": USER},
                                  "message": {"type": "text", "id": "1", "text": QUESTION}})
        session.add(question)
        session.flush()
        items = [{"type": "action", "action": {"type": "postback", "label": label, "data": f"v1|choose|{n}|s",
                                               "displayText": label}} for n, label in enumerate(CHOICES)]
        session.add(OutboxMessage(line_user_id=USER, inbox_event_id=question.id, retry_key=str(uuid.uuid4()),
                                  status="delivered", created_at=asked, messages=[
                                      {"type": "text", "text": SUGGESTION, "quickReply": {"items": items}}]))
        tap = InboxEvent(webhook_event_id=str(uuid.uuid4()), event_type="postback", line_user_id=USER,
                         status="done", received_at=tapped, payload={
                             "type": "postback", "source": {"type": "user", "userId": USER},
                             "postback": {"data": "v1|choose|2|s"}})
        session.add(tap)
        ticket = Ticket(line_user_id=USER, question=QUESTION, team=TEAM, category="childcare", created_at=tapped,
                        updated_at=tapped)
        session.add(ticket)
        session.flush()
        assert ticket.id is not None
        session.add(TicketMessage(ticket_id=ticket.id, author="user", text=QUESTION, created_at=tapped))
        opened = f"質問を市の職員に送りました（受付番号 {ticket.id}）。"
        session.add(OutboxMessage(line_user_id=USER, inbox_event_id=tap.id, retry_key=str(uuid.uuid4()),
                                  status="delivered", created_at=tapped, messages=[{"type": "text", "text": opened}]))
        session.add(CannedReply(team=TEAM, title="見学の案内", text=CANNED))
        session.commit()
        return ticket.id


def fits(page: Any, selector: str) -> bool:
    """The element lies within the viewport's width (nothing cut off at the sides)."""
    return bool(page.evaluate("""selector => {
        const box = document.querySelector(selector).getBoundingClientRect();
        return box.left >= 0 && box.right <= document.documentElement.clientWidth && box.width > 0;
    }""", selector))


def walk(page: Any, base_url: str, ticket_id: int, size: str) -> None:
    """Read the thread, note, fill the reply from a canned reply, open and close the resolve confirmation."""
    page.goto(f"{base_url}/staff/tickets/{ticket_id}")
    if page.locator("form[action$='/claim'] button").count():
        page.click("form[action$='/claim'] button")
        page.wait_for_selector("text=担当しました。")
    bot = page.locator(".msg.bot", has_text="もしかして")
    assert bot.count() == 1 and bot.locator(".choices li").all_inner_texts() == CHOICES
    tap = page.locator(".msg.user", has_text="どれも違う（職員に聞く）")
    assert tap.count() == 1 and "ボタン" in tap.inner_text()
    assert page.locator(".msg.opened").count() == 1
    assert "tanaka" in page.inner_text(".facts .assignee")

    page.fill("#note-text", f"{NOTE}（{size}）")
    page.click("form.note-form button[type=submit]")
    page.wait_for_selector("text=内部メモを追加しました", timeout=10_000)
    note = page.locator(".msg.note", has_text=f"{NOTE}（{size}）")
    assert note.count() == 1 and "内部メモ" in note.inner_text()

    page.click(".canned-replies a.insert-answer")
    page.wait_for_function("text => document.querySelector('#reply-text').value.includes(text)", arg=CANNED,
                           timeout=5_000)
    page.locator(".msg.note").last.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"console-inbox-{size}.png"), full_page=size.startswith("390"))

    page.click("summary:has-text('対応を終了する')")
    page.wait_for_selector("text=本当に終了しますか？")
    assert fits(page, ".confirm-box"), f"the resolve confirmation is cut off at {size}"
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.screenshot(path=str(ARTIFACTS / f"console-resolve-confirm-{size}.png"))
    page.click(".confirm-resolve >> text=戻る")
    page.wait_for_selector("text=本当に終了しますか？", state="hidden")

    page.click(".site-nav a:has-text('定型文')")
    page.wait_for_selector("h1:has-text('定型文')")
    assert page.locator("table.canned", has_text="見学の案内").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.screenshot(path=str(ARTIFACTS / f"console-canned-{size}.png"), full_page=True)


def test_inbox_walk_at_phone_and_desk_sizes(served: Served) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    ticket_id = conversation_ticket(served.services)
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        for viewport in VIEWPORTS:
            page = log_in(browser, served.base_url, dialogs, viewport)
            walk(page, served.base_url, ticket_id, f"{viewport['width']}x{viewport['height']}")
            page.context.close()
        browser.close()
    assert dialogs == []
