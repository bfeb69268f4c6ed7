"""Input that used to end in a 500 (issue 19 finding 7): ids beyond the column's range, digits that ``int()``
refuses (「²」), NaN and infinity in a JSON body, and a CSV cell longer than the csv module's limit. Each is a
clear 4xx or a Japanese message now. And CSV exports defuse full-width formula starts (「＝」) too."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.report import safe_cell
from bot.postback import is_fresh
from core.numbers import is_ascii_number
from knowledge.transfer import CSV_COLUMNS, defuse_formula, read_csv, restore_formula_text
from tests.test_api_hardening import make_client
from tests.test_console import Console, csrf_of, make_console
from tests.test_unanswered_page import UNANSWERED, status_of, store

HUGE = "99999999999999999999999"
SUPERSCRIPT_TWO = "²"  # str.isdigit() says yes, int() says no


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(sqlite_url)


def test_only_ascii_digits_are_numbers() -> None:
    assert SUPERSCRIPT_TWO.isdigit() and not is_ascii_number(SUPERSCRIPT_TWO)
    assert is_ascii_number("0123") and not is_ascii_number("") and not is_ascii_number("１２")


def test_a_version_number_beyond_the_column_is_not_found(console: Console) -> None:
    console.login("editor")
    assert console.client.get(f"/staff/versions/{HUGE}").status_code == 404
    csrf = csrf_of(console.client.get("/staff/versions").text)
    response = console.client.post(f"/staff/versions/{HUGE}/rollback", data={"csrf_token": csrf},
                                   follow_redirects=False)
    assert response.status_code == 404


def test_superscript_ids_are_ignored_on_the_unanswered_actions(console: Console) -> None:
    row_id = store(console, UNANSWERED)
    console.login("editor")
    csrf = csrf_of(console.client.get("/staff/unanswered").text)
    for path in ("/staff/unanswered/dismiss", "/staff/unanswered/add", "/staff/unanswered/draft"):
        response = console.client.post(path, data={"csrf_token": csrf, "id": SUPERSCRIPT_TWO},
                                       follow_redirects=False)
        assert response.status_code == 400, path
    assert status_of(console, row_id) == "open"


def test_superscript_draft_and_unanswered_numbers_on_a_new_entry_are_dropped(console: Console) -> None:
    console.login("editor")
    csrf = csrf_of(console.client.get("/staff/faq/new").text)
    response = console.client.post("/staff/faq/new", data={"csrf_token": csrf, "draft_id": SUPERSCRIPT_TWO,
                                                            "unanswered": f"1,{SUPERSCRIPT_TWO}"})
    assert response.status_code < 500


@pytest.mark.parametrize("body", ['{"text": NaN}', '{"text": 1e999}', '{"text": -Infinity}'])
def test_nan_and_infinity_in_the_api_body_are_a_422(sqlite_url: str, body: str) -> None:
    with make_client(sqlite_url) as client:
        response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"]


def test_a_postback_stamp_in_other_digits_is_not_fresh() -> None:
    assert not is_fresh(SUPERSCRIPT_TWO, dt.datetime.now(dt.UTC), dt.timedelta(minutes=10))


def test_a_csv_cell_over_the_field_limit_is_a_japanese_error(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    names = list(CSV_COLUMNS)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(names)
        writer.writerow(["a-1", *("x" * (csv.field_size_limit() + 1) for _ in names[1:])])
    result = read_csv(path)
    assert result.entries == []
    assert [error.message for error in result.errors] == [
        f"長すぎるセルがあります（1 つのセルは {csv.field_size_limit():,} 文字まで）。ファイルの内容を確かめてください"]


@pytest.mark.parametrize("cell", ["＝1+1", "＋81", "－1", "＠SUM(A1)"])
def test_full_width_formula_starts_are_defused_in_every_export(cell: str) -> None:
    """Excel runs a cell that starts with a full-width ＝ as a formula too (issue 19, "Also")."""
    assert defuse_formula(cell) == "'" + cell
    assert restore_formula_text(defuse_formula(cell)) == cell
    assert safe_cell(cell) == "'" + cell
