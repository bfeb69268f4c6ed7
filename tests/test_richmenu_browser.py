"""The emulator's rich menu and chat fixes, in a real browser at phone size (Playwright + Debian chromium).

The emulator deploys the rich menu to its fake Messaging API through the deploy code on first use; the page
shows it under the chat, a tap sends the area's postback as the emulator user, quick replies stay on one
scrollable row with the input visible, and URLs in bot messages are links. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.conversation import TEXT
from bot.line.emulator.routes import EMULATOR_USER_ID
from bot.line.richmenu import ITEMS
from bot.line.richmenu_image import render_menu_image
from bot.menu_actions import MenuAction, menu_data
from tests.test_emulator import ARTIFACTS, emulator_app
from tests.test_richmenu import assert_calls_match_spec
from tests.utils.openapi import errors as spec_errors
from tests.utils.servers import free_port, serve

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
LINK = "https://www.city.toyama.lg.jp/"
needs_chromium = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")


@pytest.fixture
def served(sqlite_url: str) -> Iterator[tuple[str, Any]]:
    port = free_port()
    app = emulator_app(sqlite_url, port)
    with serve(app, port=port) as base_url:
        yield base_url, app


def test_emulator_deploys_its_rich_menu_through_the_deploy_code(served: tuple[str, Any]) -> None:
    base_url, app = served
    fake = app.state.fake_line.richmenus
    with httpx.Client(base_url=base_url, timeout=30) as client:
        data = client.get("/emulator/richmenu").json()
        assert [(c.host, c.operation) for c in fake.calls] == [
            ("api", "create"), ("data", "upload"), ("api", "set_default"), ("api", "list")]
        assert_calls_match_spec(app.state.fake_line)
        assert spec_errors("messaging-api.yml", "RichMenuResponse", data["menu"]) == []
        assert [a["action"]["label"] for a in data["menu"]["areas"]] == [item.label for item in ITEMS]
        image = client.get(data["image"])
        assert image.headers["content-type"] == "image/png" and image.content == render_menu_image()
        assert client.get("/emulator/richmenu").json() == data
    assert len(fake.calls) == 4  # the second page load did not deploy again


def push_message(base_url: str, message: dict[str, Any]) -> None:
    """What the bot would push, sent to the emulator's fake Messaging API (checked against LINE's spec)."""
    body = {"to": EMULATOR_USER_ID, "messages": [message]}
    assert spec_errors("messaging-api.yml", "PushMessageRequest", body) == []
    httpx.post(f"{base_url}/emulator/line-api/v2/bot/message/push", json=body, timeout=10).raise_for_status()


def many_quick_replies() -> dict[str, Any]:
    labels = ["保育園の申し込み", "児童手当の振込日", "予防接種の予約", "転入の手続き", "住民票の写し",
              "マイナンバーカード", "粗大ごみの出し方", "観光案内所", "職員に相談する", "👍 役に立った"]
    return {"type": "text", "text": f"詳しくは富山市のホームページ {LINK}をご覧ください。📄👍",
            "quickReply": {"items": [{"type": "action", "action": {"type": "postback", "label": label,
                                                                   "data": f"test:{i}", "displayText": label}}
                                     for i, label in enumerate(labels)]}}


def open_phone_page(playwright: Any, base_url: str) -> tuple[Any, Any]:
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base_url}/emulator")
    page.locator(".richmenu-area").nth(len(ITEMS) - 1).wait_for(timeout=30_000)
    return browser, page


@needs_chromium
def test_rich_menu_is_shown_and_a_tap_sends_its_postback(served: tuple[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    base_url, _ = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser, page = open_phone_page(playwright, base_url)
        assert page.locator("#richmenu-bar").inner_text().startswith("メニュー")
        assert page.evaluate("document.getElementById('richmenu-image').naturalWidth") == 2500
        menu_box = page.locator("#richmenu-panel").bounding_box()
        assert menu_box["y"] + menu_box["height"] <= PHONE["height"] + 1  # the whole menu is on screen
        page.screenshot(path=str(ARTIFACTS / "emulator-richmenu.png"))

        with page.expect_response("**/emulator/send") as sent:
            page.click(".richmenu-area[aria-label='子育て']")
        result = sent.value.json()
        assert result["status"] == 200  # the signed webhook accepted it
        assert result["event"]["type"] == "postback"
        assert result["event"]["postback"]["data"] == menu_data(MenuAction.CHILDCARE)
        assert result["event"]["source"]["userId"] == EMULATOR_USER_ID
        assert page.locator(".bubble.user").last.inner_text() == ITEMS[0].display_text

        page.click("#richmenu-bar")  # the chat bar closes and reopens the menu, as in LINE
        assert not page.locator("#richmenu-panel").is_visible()
        assert page.locator("#richmenu-bar").get_attribute("aria-expanded") == "false"
        page.click("#richmenu-bar")
        assert page.locator("#richmenu-panel").is_visible()
        browser.close()


@needs_chromium
def test_tapping_childcare_shows_the_bots_answer(served: tuple[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    base_url, _ = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser, page = open_phone_page(playwright, base_url)
        page.click(".richmenu-area[aria-label='子育て']")
        page.locator(".bubble.bot").first.wait_for(timeout=20_000)
        answer = page.locator(".bubble.bot").first.inner_text()
        assert answer and answer != TEXT["unknown_postback"]
        page.screenshot(path=str(ARTIFACTS / "emulator-richmenu-childcare.png"))
        browser.close()


@needs_chromium
def test_quick_replies_scroll_in_one_row_and_urls_are_links(served: tuple[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    base_url, _ = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser, page = open_phone_page(playwright, base_url)
        push_message(base_url, many_quick_replies())
        page.locator(".quick-reply").last.wait_for(timeout=10_000)

        tops = {round(page.locator(".quick-reply").nth(i).bounding_box()["y"]) for i in range(10)}
        assert len(tops) == 1  # one row
        assert page.evaluate("(q => q.scrollWidth > q.clientWidth)(document.getElementById('quick'))")
        input_box = page.locator("#text").bounding_box()
        assert page.locator("#text").is_visible() and input_box["y"] + input_box["height"] <= PHONE["height"]

        link = page.locator(".bubble.bot a").first
        assert link.get_attribute("href") == LINK and link.inner_text() == LINK
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert page.locator(".bubble.bot").last.inner_text().endswith(f"{LINK}をご覧ください。📄👍")
        assert "Noto Color Emoji" in page.evaluate("getComputedStyle(document.body).fontFamily")
        page.screenshot(path=str(ARTIFACTS / "emulator-quick-replies.png"))
        browser.close()


@needs_chromium
def test_message_text_never_becomes_markup(served: tuple[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    base_url, _ = served
    hostile = f'<img src=x onerror="document.title=\'pwned\'"> {LINK}?q=<b>x</b> "javascript:alert(1)"'
    with sync_playwright() as playwright:
        browser, page = open_phone_page(playwright, base_url)
        push_message(base_url, {"type": "text", "text": hostile})
        page.locator(".bubble.bot").last.wait_for(timeout=10_000)
        bubble = page.locator(".bubble.bot").last
        assert bubble.inner_text() == hostile
        assert bubble.locator("img, b").count() == 0 and page.title() != "pwned"
        assert [a.get_attribute("href") for a in bubble.locator("a").all()] == [f"{LINK}?q="]
        browser.close()
