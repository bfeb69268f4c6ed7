"""The version page (issue 17 item 8): a summary (added / changed / archived, who, when, why) and the rollback
button before the differences, each entry's differences collapsed, categories in Japanese."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from editor.versions import summary_counts
from knowledge.schema import FaqEntryData
from knowledge.versions import KnowledgeVersion, count_kinds, diff_entries
from tests.test_console import Console, csrf_of, make_console
from tests.test_editor_publish import APPLY, DOCS, stage


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(sqlite_url)


def publish(console: Console, note: str, *faq_ids: str) -> None:
    csrf = csrf_of(console.client.get("/staff/publish").text)
    response = console.client.post("/staff/publish", data={"csrf_token": csrf, "faq_id": list(faq_ids),
                                                           "note": note}, follow_redirects=False)
    assert response.status_code == 303


def test_counts_by_kind_for_the_summary() -> None:
    one = FaqEntryData(id="a", category="childcare", question="q", answer="x")
    two = FaqEntryData(id="b", category="tourism", question="q2", answer="y")
    after = {"a": one.model_copy(update={"answer": "z"}), "b": two.model_copy(update={"status": "archived"}),
             "c": FaqEntryData(id="c", category="procedures", question="q3", answer="w")}
    diffs = diff_entries({"a": one, "b": two}, after)
    assert count_kinds(diffs) == {"changed": 1, "archived": 1, "added": 1}
    assert [d.category for d in diffs] == ["childcare", "tourism", "procedures"]
    assert summary_counts(count_kinds(diffs)) == [("新規", 1), ("変更", 1), ("アーカイブ", 1)]
    assert summary_counts({"removed": 2}) == [("新規", 0), ("変更", 0), ("アーカイブ", 0), ("削除", 2)]


def test_the_summary_and_rollback_come_before_the_collapsed_differences(console: Console) -> None:
    console.login("editor")
    stage(console, APPLY, answer="申込みは10月です。")
    stage(console, DOCS, status="archived")
    publish(console, "申込み時期の更新と古い書類FAQの整理", APPLY, DOCS)
    first, newest = console.rows(KnowledgeVersion)[0], console.rows(KnowledgeVersion)[-1]

    page = console.client.get(f"/staff/versions/{newest.id}").text
    summary = page[page.index("この版の概要"):page.index("変更点")]
    counts = r"新規 <strong>0</strong> 件.*変更 <strong>1</strong> 件.*アーカイブ <strong>1</strong> 件"
    assert re.search(counts, summary)
    assert "申込み時期の更新と古い書類FAQの整理" in summary and "editor" in summary

    old = console.client.get(f"/staff/versions/{first.id}").text
    assert old.index(f"版 {first.id} に戻す") < old.index("<details")
    assert old.count("<details") == len(first.entries)  # one collapsed block per entry of the first version
    assert "<details open" not in old and "<script" not in old.split("</main>")[0]
    assert re.search(r"<summary[^>]*>.*子育て", old)
    assert "<td class=\"text diff-before\">（なし）</td><td class=\"text diff-after\">子育て</td>" in old


def test_the_publish_page_still_shows_its_differences_open(console: Console) -> None:
    console.login("editor")
    stage(console, APPLY, category="tourism")
    page = console.client.get("/staff/publish").text
    assert "<details" not in page
    assert "<td class=\"text diff-before\">子育て</td><td class=\"text diff-after\">観光</td>" in page
