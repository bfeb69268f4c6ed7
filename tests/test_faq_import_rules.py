"""CSV import as editors use it (issue 17 item 8): row numbers as a spreadsheet shows them, Japanese column
names, unknown categories refused (file, CLI), and the English label in CSV and YAML."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session
from typer.testing import CliRunner

import tsunagu.db
from core.db import make_engine
from knowledge.messages import FIELD_LABELS
from knowledge.packs import read_pack
from knowledge.service import list_entries
from knowledge.transfer import CSV_COLUMNS, export_csv, export_yaml, known_categories, read_csv, read_import
from tests.conftest import MINI_PACK
from tsunagu.cli import app

runner = CliRunner()
KNOWN = {"childcare", "procedures", "tourism"}


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return path


def test_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    """Row 2 has a three-line cell and row 3 is blank; the bad record is on row 4 in Excel and LibreOffice
    (a text editor would show it on line 6)."""
    path = write_csv(tmp_path / "f.csv", [
        ["id", "category", "question", "alt_questions", "answer"],
        ["ok-one", "childcare", "質問", "言い方1\n言い方2\n言い方3", "回答"],
        [],
        ["bad-one", "childcare", "", "", "回答"],
    ])
    errors = read_csv(path).errors
    assert [(e.line, e.entry_id) for e in errors] == [(4, "bad-one")]  # type: ignore[union-attr]
    assert str(errors[0]).startswith("4 行目 [bad-one]: question（質問）")


def test_a_duplicate_names_the_spreadsheet_row_of_the_first(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [
        ["id", "category", "question", "answer"],
        ["dup", "childcare", "質問\n二行目", "回答\n二行目\n三行目"],
        ["dup", "childcare", "質問", "回答"],
    ])
    assert "3 行目 [dup]: IDが重複しています（2 行目と同じ）" in [str(e) for e in read_csv(path).errors]


def test_japanese_column_names_as_the_form_shows_them_are_accepted(tmp_path: Path) -> None:
    header = [FIELD_LABELS[name] for name in ("id", "category", "question", "answer", "label", "tags")]
    assert header[1:4] == ["分類", "質問", "回答"]
    path = write_csv(tmp_path / "f.csv", [header, ["nursery-a", "childcare", "保育園は？", "こちらです。", "保育園",
                                                   "保育\n入所"]])
    result = read_csv(path)
    assert result.errors == []
    entry = result.entries[0]
    assert (entry.id, entry.category, entry.question, entry.answer, entry.label, entry.tags) == (
        "nursery-a", "childcare", "保育園は？", "こちらです。", "保育園", ["保育", "入所"])


def test_a_column_named_twice_in_two_languages_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["id", "category", "question", "answer", "回答"],
                                          ["a", "childcare", "q", "x", "y"]])
    assert "同じ列が 2 回以上あります: answer" in " ".join(str(e) for e in read_csv(path).errors)


def test_an_unknown_category_is_refused_with_its_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [
        ["id", "category", "question", "answer"],
        ["good", "childcare", "質問", "回答"],
        ["typo", "kosodate", "質問\n続き", "回答"],
    ])
    result = read_import(path, KNOWN)
    assert result.entries == []
    assert [str(e) for e in result.errors] == [
        "3 行目 [typo]: category（分類）: 「kosodate」という分類はありません"
        "（使える分類: childcare, procedures, tourism）"]


def test_an_unknown_category_is_listed_with_the_other_bad_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [
        ["id", "category", "question", "answer"],
        ["no-question", "childcare", "", "回答"],
        ["typo", "kosodate", "質問", "回答"],
    ])
    errors = read_import(path, KNOWN).errors
    assert [(e.line, e.entry_id) for e in errors] == [(2, "no-question"), (3, "typo")]  # type: ignore[union-attr]


def test_an_unknown_category_in_a_yaml_file_is_refused_too(tmp_path: Path) -> None:
    entries = [e.model_copy(update={"category": "kosodate"}) if i == 0 else e
               for i, e in enumerate(read_pack(MINI_PACK).entries)]
    export_yaml(entries, tmp_path / "faq.yaml")
    result = read_import(tmp_path / "faq.yaml", KNOWN)
    assert result.entries == [] and "kosodate" in str(result.errors[0])


def test_known_categories_are_those_of_the_database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", sqlite_url)
    assert runner.invoke(app, ["faq", "load", str(MINI_PACK)]).exit_code == 0
    with Session(make_engine(sqlite_url)) as session:
        expected = {e.category for e in list_entries(session=session, status=None)}
        assert known_categories(session) == expected
    assert "kosodate" not in expected and "childcare" in expected


def test_cli_import_refuses_an_unknown_category(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TSUNAGU_PACK_DIR", str(MINI_PACK))
    assert runner.invoke(app, ["faq", "load", str(MINI_PACK)]).exit_code == 0
    entries = read_pack(MINI_PACK).entries
    export_csv([entries[0].model_copy(update={"category": "kosodate"}), *entries[1:]], tmp_path / "faq.csv")
    dry = runner.invoke(app, ["faq", "import", str(tmp_path / "faq.csv"), "--dry-run"])
    assert dry.exit_code == 1
    assert f"2 行目 [{entries[0].id}]: category（分類）: 「kosodate」という分類はありません" in dry.output
    real = runner.invoke(app, ["faq", "import", str(tmp_path / "faq.csv")])
    assert real.exit_code == 1
    with Session(make_engine(sqlite_url)) as session:
        assert "kosodate" not in known_categories(session)


def test_cli_import_upgrades_the_schema_once(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", sqlite_url)
    assert runner.invoke(app, ["faq", "load", str(MINI_PACK)]).exit_code == 0
    export_csv(read_pack(MINI_PACK).entries, tmp_path / "faq.csv")
    upgrades: list[str] = []
    monkeypatch.setattr(tsunagu.db, "migrate", lambda url: upgrades.append(url) or ((), ()))
    result = runner.invoke(app, ["faq", "import", str(tmp_path / "faq.csv")])
    assert result.exit_code == 0, result.output
    assert upgrades == [sqlite_url]  # the category check and the import share one upgraded engine


def test_the_english_label_goes_through_csv_and_yaml(tmp_path: Path) -> None:
    entries = read_pack(MINI_PACK).entries
    labelled = [entries[0].model_copy(update={"label_en": "Nursery dates"}), *entries[1:]]
    export_csv(labelled, tmp_path / "faq.csv")
    assert "label_en" in CSV_COLUMNS
    assert read_csv(tmp_path / "faq.csv").entries[0].label_en == "Nursery dates"
    export_yaml(labelled, tmp_path / "faq.yaml")
    assert yaml.safe_load((tmp_path / "faq.yaml").read_text(encoding="utf-8"))["entries"][0]["label_en"] == (
        "Nursery dates")
    japanese = write_csv(tmp_path / "ja.csv", [["ID", "分類", "質問", "回答", FIELD_LABELS["label_en"]],
                                               ["a-1", "childcare", "q", "a", "Too long an English label!"]])
    assert "20文字以内" in str(read_csv(japanese).errors[0])


def test_format_md_documents_the_english_label_and_the_rules() -> None:
    text = (Path(__file__).resolve().parent.parent / "knowledge" / "packs" / "FORMAT.md").read_text(encoding="utf-8")
    assert "label_en" in text and "answer_en, label_en, source_url" in text
    assert "kosodate" in text and "「質問」" in text
