"""FAQ import / export (issue 11): CSV for Excel both ways, the YAML entries file, all-or-nothing imports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from core.db import make_engine
from knowledge.packs import read_pack
from knowledge.schema import FaqEntryData
from knowledge.service import list_entries
from knowledge.transfer import CSV_COLUMNS, UTF8_BOM, export_csv, export_yaml, read_csv, read_import
from tests.conftest import MINI_PACK, TOYAMA_PACK
from tsunagu.cli import app

runner = CliRunner()
PACKS = pytest.mark.parametrize("pack_dir", [MINI_PACK, TOYAMA_PACK], ids=["mini", "toyama"])


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TSUNAGU_PACK_DIR", str(MINI_PACK))


def _db_entries(sqlite_url: str) -> list[FaqEntryData]:
    with Session(make_engine(sqlite_url)) as session:
        return list_entries(session=session, status=None)


def _csv_with_bad_row(tmp_path: Path) -> tuple[Path, int, str]:
    """The mini pack as CSV with its second entry's category broken; returns the file, that row's number as a
    spreadsheet shows it (header row 1, one row per record whatever line breaks its cells hold) and the id."""
    entries = read_pack(MINI_PACK).entries
    bad = entries[1]
    broken = [*entries[:1], bad.model_copy(update={"category": "Not A Slug"}), *entries[2:]]
    path = tmp_path / "faq.csv"
    export_csv(broken, path)
    records = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    line = next(number for number, record in enumerate(records, start=1) if record[0] == bad.id)
    return path, line, bad.id


@PACKS
def test_csv_round_trip_gives_identical_entries(pack_dir: Path, tmp_path: Path) -> None:
    entries = read_pack(pack_dir).entries
    export_csv(entries, tmp_path / "faq.csv")
    result = read_csv(tmp_path / "faq.csv")
    assert result.errors == []
    assert result.entries == entries
    assert result.encoding == "UTF-8（BOM付き）"


@PACKS
def test_yaml_round_trip_gives_identical_entries_and_faq_load_reads_it(pack_dir: Path, tmp_path: Path) -> None:
    entries = read_pack(pack_dir).entries
    folder = tmp_path / "pack"
    folder.mkdir()
    export_yaml(entries, folder / "entries.yaml")
    assert read_import(folder / "entries.yaml").entries == entries
    assert read_pack(folder).entries == entries


def test_csv_export_starts_with_a_bom_and_has_every_field(tmp_path: Path) -> None:
    export_csv(read_pack(MINI_PACK).entries, tmp_path / "faq.csv")
    raw = (tmp_path / "faq.csv").read_bytes()
    assert raw.startswith(UTF8_BOM)
    assert raw[len(UTF8_BOM):].decode("utf-8").splitlines()[0].split(",") == list(CSV_COLUMNS)


def test_shift_jis_file_imports(tmp_path: Path) -> None:
    entries = read_pack(MINI_PACK).entries
    export_csv(entries, tmp_path / "utf8.csv")
    text = (tmp_path / "utf8.csv").read_bytes().decode("utf-8-sig")
    (tmp_path / "sjis.csv").write_bytes(text.encode("cp932"))
    result = read_csv(tmp_path / "sjis.csv")
    assert result.encoding == "Shift_JIS"
    assert result.entries == entries


def test_bad_row_is_reported_with_its_line_and_reason(tmp_path: Path) -> None:
    path, line, entry_id = _csv_with_bad_row(tmp_path)
    result = read_csv(path)
    assert [(e.line, e.entry_id) for e in result.errors] == [(line, entry_id)]  # type: ignore[union-attr]
    assert result.errors[0].message == "category（分類）: 分類を選んでください。"
    assert result.entries == []


def test_every_bad_row_is_listed(tmp_path: Path) -> None:
    header = "id,category,question,answer\r\n"
    rows = "ok-one,a,質問,回答\r\nBAD,a,質問,回答\r\nok-two,a,,回答\r\nok-one,a,質問,回答\r\n"
    (tmp_path / "f.csv").write_text(header + rows, encoding="utf-8")
    errors = read_csv(tmp_path / "f.csv").errors
    assert [str(e).split(":")[0] for e in errors] == ["3 行目 [BAD]", "4 行目 [ok-two]", "5 行目 [ok-one]"]
    assert "IDが重複しています（2 行目と同じ）" in str(errors[2])


@pytest.mark.parametrize(("content", "expected"), [
    ("", "ファイルが空です"),
    ("id,category,question,answer\r\n", "エントリが 1 件もありません"),
    ("id,category,question\r\na,b,c\r\n", "必須の列がありません: answer"),
    ("id,category,question,answer,memo\r\na,b,c,d,e\r\n", "不明な列があります: memo"),
    ("id,id,category,question,answer\r\na,a,b,c,d\r\n", "同じ列が 2 回以上あります: id"),
])
def test_file_level_problems_are_errors(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "f.csv").write_text(content, encoding="utf-8")
    result = read_csv(tmp_path / "f.csv")
    assert expected in " ".join(str(e) for e in result.errors)
    assert result.entries == []


def test_excel_trailing_empty_rows_and_slash_dates_are_accepted(tmp_path: Path) -> None:
    content = ("id,category,question,answer,last_reviewed,needs_review\r\n"
               "a-1,b,質問,回答,2026/4/1,TRUE\r\n,,,,,\r\n,,,,,\r\n")
    (tmp_path / "f.csv").write_text(content, encoding="utf-8")
    result = read_csv(tmp_path / "f.csv")
    assert result.errors == []
    assert [(e.id, e.last_reviewed, e.needs_review) for e in result.entries] == [("a-1", dt.date(2026, 4, 1), True)]


def test_cli_dry_run_lists_the_bad_row_and_a_real_import_changes_nothing(
    env: None, sqlite_url: str, tmp_path: Path,
) -> None:
    assert runner.invoke(app, ["faq", "load", str(MINI_PACK)]).exit_code == 0
    before = _db_entries(sqlite_url)
    path, line, entry_id = _csv_with_bad_row(tmp_path)
    dry = runner.invoke(app, ["faq", "import", str(path), "--dry-run"])
    assert dry.exit_code == 1
    assert f"{line} 行目 [{entry_id}]: category（分類）: 分類を選んでください。" in dry.output
    real = runner.invoke(app, ["faq", "import", str(path)])
    assert real.exit_code == 1
    assert "何も変更しませんでした" in real.output
    assert _db_entries(sqlite_url) == before


@pytest.mark.parametrize("file_format", ["csv", "yaml"])
def test_cli_export_then_import_replaces_the_entries(
    env: None, sqlite_url: str, tmp_path: Path, file_format: str,
) -> None:
    assert runner.invoke(app, ["faq", "load", str(MINI_PACK)]).exit_code == 0
    path = tmp_path / f"faq.{file_format}"
    exported = runner.invoke(app, ["faq", "export", str(path), "--format", file_format])
    assert exported.exit_code == 0, exported.output
    edited = path.read_text(encoding="utf-8-sig").replace("粗大ごみ", "大きなごみ")
    path.write_text(edited, encoding="utf-8")
    dry = runner.invoke(app, ["faq", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert not any("大きなごみ" in e.answer for e in _db_entries(sqlite_url))
    real = runner.invoke(app, ["faq", "import", str(path)])
    assert real.exit_code == 0, real.output
    after = _db_entries(sqlite_url)
    assert [e.id for e in after] == sorted(e.id for e in read_pack(MINI_PACK).entries)
    assert any("大きなごみ" in e.answer for e in after)


def test_cli_rejects_an_unknown_format_or_extension(env: None, tmp_path: Path) -> None:
    assert runner.invoke(app, ["faq", "export", str(tmp_path / "f.xlsx"), "--format", "xlsx"]).exit_code == 1
    (tmp_path / "f.txt").write_text("id\n", encoding="utf-8")
    result = runner.invoke(app, ["faq", "import", str(tmp_path / "f.txt")])
    assert result.exit_code == 1
    assert "拡張子" in result.output


def test_cells_excel_would_run_as_formulas_are_quoted_and_read_back(tmp_path: Path) -> None:
    """An alternative question added from a citizen's message could be ``=HYPERLINK(...)``: Excel must see text."""
    import csv
    import io

    entry = FaqEntryData(id="x-formula", category="childcare", question="@質問？", answer="- 箇条書きの回答",
                         alt_questions=['=HYPERLINK("http://example.com","押して")', "+81 の番号"])
    path = tmp_path / "faq.csv"
    export_csv([entry], path)
    row = next(r for r in csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert row["question"] == "'@質問？" and row["answer"] == "'- 箇条書きの回答"
    assert row["alt_questions"].startswith("'=HYPERLINK(")
    assert read_csv(path).entries == [entry]
