"""The live LINE preview (editor/preview.py, POST /staff/faq/preview): the bot's own messages as bubbles, the
split of long text, LINE's limits, the warnings, escaping, roles and CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.answers import BUTTONS
from editor.forms import preview_entry, values_from_form
from editor.preview import build_preview
from knowledge.schema import FaqEntryData
from tests.test_console import HOSTILE, Console, make_console

SOURCE = "https://www.city.toyama.lg.jp/kosodate/hoiku.html"


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(sqlite_url)


def typed(**values: str) -> FaqEntryData:
    return preview_entry(values_from_form({"category": "childcare", "question": "保育園の申込みは？", **values}))


def bubbles(html: str) -> list[str]:
    return re.findall(r'<p class="bubble from-bot" data-bubble="\d+">([^<]*)</p>', html)


def test_the_short_answer_comes_first_with_more_details_and_the_full_answer_after_the_tap() -> None:
    preview = build_preview(typed(short_answer="10月に申し込みます。", answer="4月入所の申込みは10月です。",
                                  source_url=SOURCE, contact="保育課 076-000-0000"))
    first, more = preview.scenes
    assert first.bubbles == [f"10月に申し込みます。\n\n詳しくは：{SOURCE}"]  # the topic page with the short answer too
    assert first.quick_replies[0] == BUTTONS["ja"]["more"] and "職員に聞く" in first.quick_replies
    assert more.sent == "くわしく見る"
    assert more.bubbles == [f"4月入所の申込みは10月です。\n\n詳しくは：{SOURCE}\nお問い合わせ：保育課 076-000-0000"]
    assert all(check.ok for check in preview.checks)


def test_without_a_short_answer_the_full_answer_is_the_first_reply_and_english_is_shown() -> None:
    preview = build_preview(typed(answer="4月入所の申込みは10月です。", questions_en="How do I apply?"))
    assert [scene.title for scene in preview.scenes] == ["質問したとき", "英語で質問したとき"]
    assert preview.scenes[1].sent == "How do I apply?" and "Japanese only" in preview.scenes[1].bubbles[0]
    assert preview.scenes[1].quick_replies[-1] == BUTTONS["en"]["staff"]


def test_a_long_answer_is_split_into_messages_as_the_bot_splits_it() -> None:
    answer = "申込みの説明です。" * 700  # 6,300 characters: over LINE's 5,000 per message
    preview = build_preview(typed(answer=answer))
    assert [len(text) for text in preview.scenes[0].bubbles] == [4995, 1305]
    checks = {check.label: check for check in preview.checks}
    assert checks["1つのメッセージの文字数"].ok and "4995" in checks["1つのメッセージの文字数"].detail
    assert checks["1回の返信のメッセージ数"].detail.startswith("2件")


def test_a_label_over_twenty_characters_fails_its_check() -> None:
    preview = build_preview(typed(answer="10月です。", label="あ" * 21))
    label_check = next(check for check in preview.checks if check.label.startswith("ボタンの表示名"))
    assert not label_check.ok and "21文字" in label_check.detail


def test_an_empty_answer_shows_a_hint_instead_of_bubbles() -> None:
    preview = build_preview(typed(answer="  "))
    assert preview.scenes == [] and "回答を入力すると" in preview.error


def preview_post(console: Console, token: str, **values: str) -> Any:
    return console.client.post("/staff/faq/preview", data=values, headers={"X-CSRF-Token": token})


def test_the_preview_fragment_shows_bubbles_quick_replies_limits_and_warnings(console: Console) -> None:
    csrf = console.login("editor")
    response = preview_post(console, csrf, question="保育園の申込みは？", short_answer="10月です。",
                            answer="こども家庭部にお問い合わせください。", questions_en="How do I apply?")
    assert response.status_code == 200 and "<html" not in response.text  # a fragment, not a page
    assert bubbles(response.text)[:2] == ["10月です。", "こども家庭部にお問い合わせください。"]
    assert "<li>くわしく見る</li>" in response.text and "LINEの制限" in response.text
    warnings = set(re.findall(r'data-warning="(\w+)"', response.text))
    assert warnings == {"deflects", "no_source", "no_answer_en", "no_label_en"}


def test_html_typed_into_the_preview_is_escaped(console: Console) -> None:
    csrf = console.login("editor")
    html = preview_post(console, csrf, question=HOSTILE, answer=HOSTILE).text
    assert "<script>alert" not in html and "<img src=x" not in html and "&lt;script&gt;" in html


def test_the_preview_needs_an_editor_and_the_csrf_header(console: Console) -> None:
    csrf = console.login("editor")
    assert preview_post(console, "forged", answer="回答").status_code == 403
    assert console.client.post("/staff/faq/preview", data={"answer": "回答"}).status_code == 403
    csrf = console.login("staff")
    assert preview_post(console, csrf, answer="回答").status_code == 403


def test_the_edit_page_loads_the_preview_script_and_has_no_inline_script_or_style(console: Console) -> None:
    console.login("editor")
    page = console.client.get("/staff/faq/childcare-nursery-documents").text
    assert '<script src="/staff/static/editor.js" defer></script>' in page
    assert 'data-preview-url="/staff/faq/preview"' in page and 'id="faq-preview"' in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None and "style=" not in page
    assert bubbles(page)  # the preview is there before any typing (and without script)
    assert console.client.get("/staff/static/editor.js").status_code == 200
