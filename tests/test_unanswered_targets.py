"""Choosing where an unanswered question goes (issue 17 item 8): the target is preselected only when the nearest
entry is confident (e5 cosine), any published entry can be searched for, and a whole theme is added only after
a confirmation page (a single question needs none)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from editor.unanswered import PRESELECT_MIN_COSINE, Nearest, preselected, search_entries
from knowledge.changes import PendingChange
from knowledge.packs import read_pack
from tests.conftest import MINI_PACK
from tests.test_console import Console, csrf_of
from tests.test_editor_publish import APPLY
from tests.test_unanswered_page import UNANSWERED, gated_console, status_of, store

ALLOWANCE = "childcare-allowance-apply"


@pytest.fixture
def console(sqlite_url: str, tmp_path: Path) -> Iterator[Console]:
    yield from gated_console(sqlite_url, tmp_path)


def post_add(console: Console, *row_ids: int, faq_id: str = APPLY, **extra: str) -> object:
    csrf = csrf_of(console.client.get("/staff/unanswered").text)
    return console.client.post("/staff/unanswered/add", data={
        "csrf_token": csrf, "id": [str(i) for i in row_ids], "faq_id": faq_id, **extra}, follow_redirects=False)


def selected_options(page: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)" selected>', page)


def test_only_a_confident_nearest_entry_is_preselected() -> None:
    near = [Nearest(APPLY, "q", 0.7, PRESELECT_MIN_COSINE), Nearest("other", "q2", 0.6, 0.9)]
    assert preselected(near) == APPLY
    assert preselected([Nearest(APPLY, "q", 0.9, PRESELECT_MIN_COSINE - 0.001)]) is None
    assert preselected([]) is None
    assert 0.9 < PRESELECT_MIN_COSINE < 1.0  # e5-small cosines are compressed into 0.8-1.0 (editor/themes.py)


def test_the_page_preselects_by_the_threshold(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    store(console, UNANSWERED)
    console.login("editor")
    monkeypatch.setattr("editor.unanswered.PRESELECT_MIN_COSINE", 1.01)  # nothing is that close
    unsure = console.client.get("/staff/unanswered").text
    assert set(selected_options(unsure)) == {""} and "選んでください" in unsure
    assert "追加先は選んでいません" in unsure
    monkeypatch.setattr("editor.unanswered.PRESELECT_MIN_COSINE", -1.0)
    sure = console.client.get("/staff/unanswered").text
    assert set(selected_options(sure)) == {APPLY} and "追加先は選んでいません" not in sure


def test_adding_with_no_target_chosen_is_refused(console: Console) -> None:
    row_id = store(console, UNANSWERED)
    console.login("editor")
    refused = post_add(console, row_id, faq_id="")
    assert refused.status_code == 400 and "追加先のFAQを選んでください" in refused.text  # type: ignore[attr-defined]
    assert status_of(console, row_id) == "open" and console.rows(PendingChange) == []


def test_search_finds_published_entries_by_any_word() -> None:
    entries = {e.id: e for e in read_pack(MINI_PACK).entries}
    assert [e.id for e in search_entries(entries, "児童手当")] == [ALLOWANCE]
    assert {e.id for e in search_entries(entries, "保育所 申込み")} >= {APPLY, "childcare-nursery-documents"}
    assert search_entries(entries, "   ") == []
    archived = {ALLOWANCE: entries[ALLOWANCE].model_copy(update={"status": "archived"})}
    assert search_entries(archived, "児童手当") == []


def test_the_search_box_offers_any_entry_as_a_target(console: Console) -> None:
    row_id = store(console, UNANSWERED)
    console.login("editor")
    page = console.client.get("/staff/unanswered", params={"q": "児童手当"}).text
    assert 'name="q" value="児童手当"' in page and f'href="/staff/faq/{ALLOWANCE}"' in page
    assert re.search(rf'<optgroup label="検索結果：児童手当"><option value="{ALLOWANCE}">', page)
    assert post_add(console, row_id, faq_id=ALLOWANCE).status_code == 303  # type: ignore[attr-defined]
    [change] = console.rows(PendingChange)
    assert change.faq_id == ALLOWANCE and UNANSWERED in change.data["alt_questions"]
    nothing = console.client.get("/staff/unanswered", params={"q": "存在しない言葉"}).text
    assert "を含む公開中のFAQはありません" in nothing


def test_a_whole_theme_asks_first_and_a_single_question_does_not(console: Console) -> None:
    first, second = store(console, UNANSWERED), store(console, "入園の受付開始日を知りたい")
    console.login("editor")
    asked = post_add(console, first, second)
    assert asked.status_code == 200  # type: ignore[attr-defined]
    text = asked.text  # type: ignore[attr-defined]
    assert "2 件の質問をまとめて言い換えとして追加しますか" in text
    assert UNANSWERED in text and "入園の受付開始日を知りたい" in text and "保育所の入所申込みはいつから" in text
    assert 'name="confirmed" value="true"' in text and 'name="csrf_token"' in text
    assert console.rows(PendingChange) == [] and status_of(console, first) == "open"
    csrf = csrf_of(text)
    forged = console.client.post("/staff/unanswered/add", data={
        "csrf_token": "forged", "id": [str(first), str(second)], "faq_id": APPLY, "confirmed": "true"})
    assert forged.status_code == 403 and console.rows(PendingChange) == []
    done = console.client.post("/staff/unanswered/add", data={
        "csrf_token": csrf, "id": [str(first), str(second)], "faq_id": APPLY, "confirmed": "true"},
        follow_redirects=False)
    assert done.status_code == 303
    assert status_of(console, first) == status_of(console, second) == "added"
    single = store(console, "保育園の申込期間を教えて")
    assert post_add(console, single).status_code == 303  # type: ignore[attr-defined]
    assert status_of(console, single) == "added"


def test_the_confirmation_of_an_unknown_entry_is_not_found(console: Console) -> None:
    first, second = store(console, UNANSWERED), store(console, "入園の受付開始日を知りたい")
    console.login("editor")
    assert post_add(console, first, second, faq_id="no-such-entry").status_code == 404  # type: ignore[attr-defined]
