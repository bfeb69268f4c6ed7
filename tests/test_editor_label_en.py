"""The English button name (label_en) in the FAQ editor (issue 17 items 6 and 8): a field beside 「ボタンの表示名」,
saved with the entry, refused past 20 characters, and a warning when English questions have no English label."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from editor.forms import validate, values_from_entry, values_from_form
from editor.warnings import entry_warnings
from knowledge.changes import PendingChange
from knowledge.schema import FaqEntryData
from tests.test_console import Console, csrf_of, make_console
from tests.test_editor_entries import FAQ, form, post


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(sqlite_url)


def test_the_form_keeps_and_validates_the_english_label() -> None:
    entry, errors = validate(values_from_form(form(id=FAQ, label_en="Nursery documents")))
    assert errors == {} and entry is not None and entry.label_en == "Nursery documents"
    assert values_from_entry(entry)["label_en"] == "Nursery documents"
    blank, _ = validate(values_from_form(form(id=FAQ, label_en="  ")))
    assert blank is not None and blank.label_en is None
    _, too_long = validate(values_from_form(form(id=FAQ, label_en="Documents for the nursery")))
    assert "20文字以内" in too_long["label_en"]


def test_english_questions_without_an_english_label_are_warned() -> None:
    base = {"id": "childcare-x", "category": "childcare", "question": "保育園の申込みは？", "answer": "10月です。",
            "answer_en": "In October.", "source_url": "https://www.city.toyama.lg.jp/kosodate/hoiku.html"}
    unlabelled = FaqEntryData.model_construct(**base, questions_en=["When do I apply for nursery?"])
    assert "no_label_en" in {w.code for w in entry_warnings(unlabelled)}
    labelled = FaqEntryData.model_construct(**base, questions_en=["When?"], label_en="Nursery dates")
    assert "no_label_en" not in {w.code for w in entry_warnings(labelled)}
    japanese_only = FaqEntryData.model_construct(**base)
    assert "no_label_en" not in {w.code for w in entry_warnings(japanese_only)}


def test_the_edit_page_has_the_field_beside_the_label_and_saves_it(console: Console) -> None:
    console.login("editor")
    page = console.client.get(f"/staff/faq/{FAQ}").text
    label_at, english_at = page.index('id="f-label"'), page.index('id="f-label_en"')
    assert label_at < english_at < page.index('id="f-alt_questions"')
    assert "英語のボタン名" in page
    saved = post(console, f"/staff/faq/{FAQ}", csrf_of(page), **form(label_en="Nursery documents"))
    assert saved.status_code == 303
    change = {row.faq_id: row for row in console.rows(PendingChange)}[FAQ]
    assert change.entry().label_en == "Nursery documents"
    reopened = console.client.get(f"/staff/faq/{FAQ}").text
    assert re.search(r'id="f-label_en" name="label_en" type="text" value="Nursery documents"', reopened)


def test_the_preview_warns_about_a_missing_english_label(console: Console) -> None:
    console.login("editor")
    page = console.client.get(f"/staff/faq/{FAQ}").text
    response = console.client.post("/staff/faq/preview", data={
        "csrf_token": csrf_of(page), **form(questions_en="What documents do I need?", answer_en="An application.")})
    assert response.status_code == 200
    assert 'data-warning="no_label_en"' in response.text
