"""A console import is checked like a publish (issue 17 item 8): unknown categories refused, the quality gate's
numbers shown, and a drop of more than 2 points confirmed (audited) for that very file before anything changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.models import AuditEvent
from knowledge.versions import KnowledgeVersion
from tests.test_console import Console
from tests.test_editor_publish import APPLY, DOCS, gated_console
from tests.test_editor_transfer import exported_rows, to_csv, upload


@pytest.fixture
def console(sqlite_url: str, tmp_path: Path) -> Iterator[Console]:
    yield from gated_console(sqlite_url, tmp_path)


def without_docs(console: Console) -> bytes:
    """The exported CSV without the documents entry: importing it archives that entry (accuracy -50 points)."""
    header, rows = exported_rows(console)
    return to_csv(header, [r for r in rows if r[header.index("id")] != DOCS])


def test_an_unknown_category_is_refused_in_the_console(console: Console) -> None:
    console.login("editor")
    header, rows = exported_rows(console)
    rows[0][header.index("category")] = "kosodate"
    versions = len(console.rows(KnowledgeVersion))
    response = upload(console, to_csv(header, rows))
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "2 行目" in response.text and "「kosodate」という分類はありません" in response.text  # type: ignore[attr-defined]
    assert len(console.rows(KnowledgeVersion)) == versions


def test_a_dry_run_shows_the_gate_numbers(console: Console) -> None:
    console.login("editor")
    dry = upload(console, without_docs(console), dry_run="true")
    assert dry.status_code == 200  # type: ignore[attr-defined]
    assert "品質チェックの結果" in dry.text and "-50.0 ポイント" in dry.text  # type: ignore[attr-defined]
    assert DOCS in console.services.retriever.entries


def test_a_drop_needs_a_confirmation_for_the_same_file(console: Console) -> None:
    console.login("editor")
    body = without_docs(console)
    versions = len(console.rows(KnowledgeVersion))
    refused = upload(console, body)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "2ポイント以上下がりました" in refused.text and "-50.0 ポイント" in refused.text  # type: ignore[attr-defined]
    digest = hashlib.sha256(body).hexdigest()
    assert f'name="checked" value="{digest}"' in refused.text  # type: ignore[attr-defined]
    assert len(console.rows(KnowledgeVersion)) == versions and DOCS in console.services.retriever.entries
    unticked = upload(console, body, checked=digest)
    assert unticked.status_code == 409  # type: ignore[attr-defined]
    other = upload(console, body + b"\r\n", confirm_drop="true", checked=digest)  # another file: check again
    assert other.status_code == 409  # type: ignore[attr-defined]
    assert len(console.rows(KnowledgeVersion)) == versions
    done = upload(console, body, confirm_drop="true", checked=digest)
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert DOCS not in console.services.retriever.entries
    version = console.rows(KnowledgeVersion)[-1]
    assert version.kind == "import" and version.gate_confirmed
    assert version.metrics and version.metrics["gate"]["change_points"]["accuracy_at_1"] == -50.0
    event = console.rows(AuditEvent)[-1]
    assert event.action == "faq_imported_despite_drop" and "accuracy_at_1=-50.0" in event.detail


def test_an_import_without_a_drop_is_published_with_its_gate_numbers(console: Console) -> None:
    console.login("editor")
    header, rows = exported_rows(console)
    for row in rows:
        if row[header.index("id")] == APPLY:
            row[header.index("short_answer")] = "申込みは秋です。"
    done = upload(console, to_csv(header, rows))
    assert done.status_code == 303  # type: ignore[attr-defined]
    version = console.rows(KnowledgeVersion)[-1]
    assert not version.gate_confirmed and version.metrics and "gate" in version.metrics
    page = console.client.get(f"/staff/versions/{version.id}").text
    assert "品質チェック" in page and "+0.0 ポイント" in page
    assert console.rows(AuditEvent)[-1].action == "faq_imported"
