"""Issue 17's walk in a real browser (Playwright + Debian chromium), end to end through the emulator and the worker.

A parent at 390×844 opens 「緊急のとき」 in the rich menu and gets a choice (not every guidance at once, not the
suicide-prevention text), taps 誤飲, then types a swallowed-detergent message in dialect and gets the poisoning
guidance; then asks a childcare question the pack cannot answer and accepts the staff offer. A childcare staff
member at 1366×900 finds the ticket routed to their team, reads the bot's replies in its thread, adds an internal
note, fills the reply from a team canned reply and sends it; the parent sees it. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, select

from handoff import canned
from handoff.models import Ticket
from tests.test_emulator import ARTIFACTS
from tests.test_handoff_browser import (
    PASSWORD,
    Served,
    ask_staff,
    bot_bubbles,
    send_text,
    serve_with_account,
    wait_for_bot_text,
)
from tests.test_richmenu_browser import open_phone_page

TEAM = "こども家庭部"
QUESTION = "保育園の給食でアレルギーの除去食ってお願いできる？"
CANNED = "アレルギー対応は園ごとに異なります。\n入園予定の園に直接ご相談ください。"
NOTE = "栄養士に確認中"
EMERGENCY_CHOICES = ["子どもの急病・けが", "誤飲", "こころがつらい", "暴力・虐待", "災害"]
SUICIDE_LINE = "いのちの電話"

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")


@pytest.fixture
def served(sqlite_url: str) -> Iterator[Served]:
    with serve_with_account(sqlite_url, username="sato", role="staff", team=TEAM) as app:
        with Session(app.services.engine) as session:
            canned.create(session, team=TEAM, title="アレルギー対応", text=CANNED, actor="admin", actor_id=None)
            session.commit()
        yield app


def emergency_menu(page: Any) -> None:
    """The rich menu's 「緊急のとき」: a choice first, then only the chosen guidance."""
    page.click(".richmenu-area[aria-label='緊急のとき']")
    wait_for_bot_text(page, "119")
    page.wait_for_selector(".quick-reply:has-text('誤飲')", timeout=10_000)
    assert [label for label in EMERGENCY_CHOICES if page.locator(".quick-reply", has_text=label).count()] \
        == EMERGENCY_CHOICES
    assert not any(SUICIDE_LINE in text for text in bot_bubbles(page))
    page.screenshot(path=str(ARTIFACTS / "safety-1-emergency-menu-390x844.png"))
    page.locator(".quick-reply", has_text="誤飲").first.click()
    wait_for_bot_text(page, "中毒110番")
    assert not any(SUICIDE_LINE in text for text in bot_bubbles(page))


def staff_answers(browser: Any, base_url: str) -> None:
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(f"{base_url}/staff/login")
    page.fill("input[name=username]", "sato")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#queue-rows a:has-text('アレルギー')", timeout=15_000)
    page.locator("#queue-rows a", has_text="アレルギー").first.click()
    page.click("form[action$='/claim'] button")
    page.wait_for_selector("text=担当しました。")
    assert page.locator(".msg.bot", has_text="職員").count() >= 1  # the bot's offer, as the parent saw it
    assert page.locator(".msg.user", has_text="アレルギー").count() >= 1
    page.fill("#note-text", NOTE)
    page.click("form.note-form button[type=submit]")
    page.wait_for_selector("text=内部メモを追加しました", timeout=10_000)
    assert page.locator(".msg.note", has_text=NOTE).count() == 1
    page.click(".canned-replies a.insert-answer")
    page.wait_for_function("text => document.querySelector('#reply-text').value.includes(text)", arg=CANNED,
                           timeout=5_000)
    page.screenshot(path=str(ARTIFACTS / "safety-3-routed-ticket-1366x900.png"), full_page=True)
    page.click("text=送信する")
    page.wait_for_selector("text=回答を送信しました", timeout=10_000)


def test_emergency_menu_dialect_emergency_and_a_routed_ticket(served: Served) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser, citizen = open_phone_page(playwright, served.base_url)
        emergency_menu(citizen)
        send_text(citizen, "子どもが洗剤飲んだかもしれん")
        wait_for_bot_text(citizen, "中毒110番")
        assert "中毒110番" in bot_bubbles(citizen)[-1] or "中毒110番" in bot_bubbles(citizen)[-2]
        citizen.screenshot(path=str(ARTIFACTS / "safety-2-dialect-emergency-390x844.png"))
        ask_staff(citizen, QUESTION)
        with Session(served.services.engine) as session:
            ticket = session.exec(select(Ticket)).one()
            assert (ticket.team, ticket.urgent) == (TEAM, False)  # routed by topic; no inherited 至急
            assert ticket.emergency_before_at is not None  # shown as 「直前に緊急の言葉あり」 instead
        staff_answers(browser, served.base_url)
        wait_for_bot_text(citizen, "アレルギー対応は園ごとに異なります。")
        citizen.screenshot(path=str(ARTIFACTS / "safety-4-staff-answer-390x844.png"), full_page=True)
        browser.close()
