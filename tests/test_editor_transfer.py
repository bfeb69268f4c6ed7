"""FAQ export and import in the console: downloads, row errors that change nothing, dry runs, and an import
published as one version that the bot answers from at once."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest

from console.models import AuditEvent
from knowledge.versions import KnowledgeVersion
from tests.test_console import Console, csrf_of, make_console

APPLY = "childcare-nursery-apply-period"


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(sqlite_url)


def exported_rows(console: Console) -> tuple[list[str], list[list[str]]]:
    response = console.client.get("/staff/faq/export.csv")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return rows[0], rows[1:]


def to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode("utf-8-sig")


def upload(console: Console, body: bytes, name: str = "faq.csv", **form: str) -> object:
    csrf = csrf_of(console.client.get("/staff/faq/transfer").text)
    return console.client.post("/staff/faq/import", data={"csrf_token": csrf, **form},
                               files={"file": (name, body, "text/csv")}, follow_redirects=False)


def test_export_holds_every_entry_and_yaml_too(console: Console) -> None:
    console.login("editor")
    header, rows = exported_rows(console)
    assert "id" in header and {r[header.index("id")] for r in rows} == set(console.services.retriever.entries)
    assert "entries:" in console.client.get("/staff/faq/export.yaml").text
    assert console.client.get("/staff/faq/export.xlsx").status_code == 404


def test_a_bad_row_changes_nothing_and_is_listed_with_its_line(console: Console) -> None:
    console.login("editor")
    header, rows = exported_rows(console)
    rows[0][header.index("answer")] = "新しい回答です。"
    rows[1][header.index("category")] = ""  # required
    versions = len(console.rows(KnowledgeVersion))
    response = upload(console, to_csv(header, rows))
    assert response.status_code == 400  # type: ignore[attr-defined]
    bad_id = rows[1][header.index("id")]
    assert re.search(rf"\d+ 行目 \[{bad_id}\]: category", response.text)  # type: ignore[attr-defined]
    assert "何も変更しませんでした" in response.text  # type: ignore[attr-defined]
    assert len(console.rows(KnowledgeVersion)) == versions
    assert "新しい回答です。" not in {e.answer for e in console.services.retriever.entries.values()}


def test_dry_run_and_import(console: Console) -> None:
    console.login("editor")
    header, rows = exported_rows(console)
    index = {r[header.index("id")]: r for r in rows}
    index[APPLY][header.index("answer")] = "申込みは10月です。"
    kept = [r for faq_id, r in index.items() if faq_id != "childcare-nursery-documents"]
    body = to_csv(header, kept)
    dry = upload(console, body, dry_run="true")
    assert dry.status_code == 200 and "誤りはありません" in dry.text  # type: ignore[attr-defined]
    assert console.services.retriever.entries[APPLY].answer != "申込みは10月です。"
    done = upload(console, body)
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert console.services.retriever.entries[APPLY].answer == "申込みは10月です。"
    assert "childcare-nursery-documents" not in console.services.retriever.entries  # archived
    version = console.rows(KnowledgeVersion)[-1]
    assert version.kind == "import" and "childcare-nursery-documents" in version.changed_ids
    assert console.rows(AuditEvent)[-1].action == "faq_imported"


def test_wrong_files_are_refused_plainly(console: Console) -> None:
    console.login("editor")
    assert "ファイルを選んでください" in upload(console, b"").text  # type: ignore[attr-defined]
    assert "拡張子" in upload(console, b"x", name="faq.xlsx").text  # type: ignore[attr-defined]


def test_staff_may_not_import_or_export(console: Console) -> None:
    console.login("staff")
    assert console.client.get("/staff/faq/export.csv").status_code == 403
    assert console.client.get("/staff/faq/transfer").status_code == 403
