"""Import and export FAQ entries as CSV (for Excel) or as a YAML entries file of the pack format.

CSV is written as UTF-8 with a BOM so that Excel opens Japanese text correctly; on import UTF-8 (with or
without BOM) and Shift_JIS (cp932, what Japanese Excel writes for plain "CSV") are accepted. Every row is
validated with the pack's own rules (``FaqEntryData``), and all problems are collected with their row number as
a spreadsheet shows it (the header is row 1; a cell with line breaks is still one row), so an import either
applies every row or nothing. A column may be named by its field (``question``) or by the name the editor's form
shows (「質問」, ``FIELD_LABELS``). An entry's category must be one already in use (``known_categories``): a
typed 「kosodate」 would otherwise make a category no menu shows. YAML goes through ``read_pack`` itself. The
column layout is documented in ``knowledge/packs/FORMAT.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import tempfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlmodel import Session

from knowledge.messages import FIELD_LABELS, japanese_message
from knowledge.packs import SPECIAL_FILES, Pack, PackError, PackValidationError, read_pack
from knowledge.schema import FaqEntryData
from knowledge.service import list_entries

CSV_COLUMNS = tuple(FaqEntryData.model_fields)
LIST_COLUMNS = ("alt_questions", "questions_en", "tags")  # one item per line inside the quoted cell
REQUIRED_COLUMNS = tuple(name for name, info in FaqEntryData.model_fields.items() if info.is_required())
# A header cell may be the field's name or the label the editor's form shows for it (「質問」 for question).
COLUMN_NAMES = {**{name: name for name in CSV_COLUMNS},
                **{label: name for name, label in FIELD_LABELS.items() if name in CSV_COLUMNS}}
LIST_SEPARATOR = "\n"
UTF8_BOM = b"\xef\xbb\xbf"
ENCODING_LABELS = {"utf-8-sig": "UTF-8（BOM付き）", "utf-8": "UTF-8", "cp932": "Shift_JIS"}
_EXCEL_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")  # Excel rewrites 2026-11-22 as 2026/11/22


@dataclass(frozen=True)
class RowError:
    """One problem of an import file: its row as a spreadsheet numbers it (header is row 1; None for the whole
    file) and the entry id."""

    line: int | None
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.line} 行目" if self.line is not None else "ファイル"
        return f"{where} [{self.entry_id}]: {self.message}" if self.entry_id else f"{where}: {self.message}"


Problem = RowError | PackError


@dataclass
class ImportResult:
    """What an import file holds: the valid entries, every problem found and the encoding that was read."""

    entries: list[FaqEntryData]
    errors: list[Problem] = field(default_factory=list)
    encoding: str | None = None  # a label of ENCODING_LABELS for CSV, None for YAML

    @property
    def ok(self) -> bool:
        return not self.errors

    def pack(self, name: str) -> Pack:
        """The entries as a pack, for ``replace_entries`` (only when ``ok``)."""
        return Pack(name=name, title=name, entries=self.entries)


# ---------------------------------------------------------------------------------------------------- export


# Excel also reads a full-width ＝ ＋ － ＠ first as a formula (Japanese input often types them full width).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def export_csv(entries: list[FaqEntryData], path: Path) -> None:
    """Write ``entries`` as CSV, UTF-8 with BOM, every field a column, lists one item per line in their cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow([_cell(getattr(entry, name)) for name in CSV_COLUMNS])
    Path(path).write_bytes(UTF8_BOM + buffer.getvalue().encode("utf-8"))


def _cell(value: object) -> str:
    return defuse_formula(_text(value))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def defuse_formula(cell: str) -> str:
    """``'=…`` for a cell Excel would run as a formula (``= + - @``, their full-width forms, tab, CR first).
    Alternative questions can come from citizens' messages (the unanswered-questions page), so exported text is not
    trusted;
    ``restore_formula_text`` takes the quote off again on import."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def restore_formula_text(cell: str) -> str:
    """The text ``defuse_formula`` wrote (a lone leading ``'`` before a formula character is dropped)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def export_yaml(entries: list[FaqEntryData], path: Path) -> None:
    """Write ``entries`` as one YAML entries file of the pack format (``faq load`` and ``faq import`` read it).

    Fields left at their default are omitted, and multi-line texts are written as ``|`` blocks, as editors
    write them by hand."""
    data = {"entries": [entry.model_dump(exclude_defaults=True) for entry in entries]}
    text = yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=1000)
    Path(path).write_text(text, encoding="utf-8")


class _BlockDumper(yaml.SafeDumper):  # type: ignore[misc]  # PyYAML ships no type hints
    """A safe dumper that writes multi-line strings as literal blocks."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


# ---------------------------------------------------------------------------------------------------- import


def read_import(path: Path, known_categories: Collection[str] | None = None) -> ImportResult:
    """Read and validate an import source by its kind: a ``.csv`` file, a YAML entries file or a pack folder.

    ``known_categories``: the categories an entry may have (``known_categories(session)``); None or empty checks
    none (an empty database has no categories to compare with)."""
    path, known = Path(path), set(known_categories or ())
    if path.is_file() and path.suffix.lower() == ".csv":
        return read_csv(path, known)  # checks each row's category with its other fields
    result = _read_source(path)
    if known:
        refuse_unknown_categories(result, known)
    return result


def _read_source(path: Path) -> ImportResult:
    if path.is_dir():
        return _read_pack_result(path)
    if not path.is_file():
        return ImportResult([], [RowError(None, None, f"ファイルが見つかりません: {path}")])
    if path.suffix.lower() in (".yaml", ".yml"):
        return read_yaml_file(path)
    return ImportResult([], [RowError(None, None, "拡張子が .csv / .yaml / .yml のファイルを指定してください")])


def known_categories(session: Session) -> set[str]:
    """The categories of the entries in the database, any status (an archived entry that the file brings back
    keeps its category). The database, not a pack folder: the console has no pack, and the database holds what
    the import replaces and what the bot's menus and staff routing already know."""
    return {entry.category for entry in list_entries(session=session, status=None)}


def refuse_unknown_categories(result: ImportResult, known: Collection[str]) -> None:
    """Add an error for every entry whose category is not in ``known``; the import then changes nothing."""
    for entry in result.entries:
        if entry.category not in known:
            result.errors.append(unknown_category(entry, None, known))
    if result.errors:
        result.entries = []


def unknown_category(entry: FaqEntryData, line: int | None, known: Collection[str]) -> RowError:
    message = (f"category（{FIELD_LABELS['category']}）: 「{entry.category}」という分類はありません"
               f"（使える分類: {', '.join(sorted(known))}）")
    return RowError(line, entry.id, message)


def read_yaml_file(path: Path) -> ImportResult:
    """Validate one YAML entries file exactly as ``read_pack`` does (it is read as a pack of that one file)."""
    name = path.name if path.name not in SPECIAL_FILES else "entries.yaml"
    with tempfile.TemporaryDirectory(prefix="tsunagu-import-") as folder:
        shutil.copyfile(path, Path(folder) / name)
        return _read_pack_result(Path(folder))


def _read_pack_result(folder: Path) -> ImportResult:
    try:
        return ImportResult(read_pack(folder).entries)
    except PackValidationError as exc:
        return ImportResult([], list(exc.errors))


CELL_TOO_LONG = "長すぎるセルがあります（1 つのセルは {limit:,} 文字まで）。ファイルの内容を確かめてください"


def read_csv(path: Path, known_categories: Collection[str] = ()) -> ImportResult:
    """Validate every row of a CSV file; problems name the row as Excel or LibreOffice numbers it: the header is
    row 1 and each record one row, however many line breaks its cells hold (blank lines are rows too). With
    ``known_categories``, a row whose category is not one of them is an error too."""
    raw = Path(path).read_bytes()
    text, encoding = decode_csv(raw)
    if text is None:
        message = "文字コードを判別できません。UTF-8 か Shift_JIS で保存してください"
        return ImportResult([], [RowError(None, None, message)])
    label = ENCODING_LABELS[encoding]
    if not text.strip():
        return ImportResult([], [RowError(None, None, "ファイルが空です（1 行目に列名が必要です）")], label)
    try:
        return _read_rows(csv.reader(io.StringIO(text, newline="")), label, known_categories)
    except csv.Error:  # a cell longer than the csv module's field limit (131,072 characters)
        message = CELL_TOO_LONG.format(limit=csv.field_size_limit())
        return ImportResult([], [RowError(None, None, message)], label)


def _read_rows(reader: Iterator[list[str]], label: str, known_categories: Collection[str]) -> ImportResult:
    """``read_csv``'s rows after decoding: the header, then each record."""
    typed = [name.strip() for name in next(reader)]
    header_errors = _check_header(typed)
    if header_errors:
        return ImportResult([], header_errors, label)
    header = [COLUMN_NAMES[name] for name in typed]
    result = ImportResult([], [], label)
    seen: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines and Excel's trailing rows of empty cells
        entry = _row_entry(header, row, number, result.errors)
        if entry is None:
            continue
        if entry.id in seen:
            result.errors.append(RowError(number, entry.id, f"IDが重複しています（{seen[entry.id]} 行目と同じ）"))
            continue
        if known_categories and entry.category not in known_categories:
            result.errors.append(unknown_category(entry, number, known_categories))
        seen[entry.id] = number
        result.entries.append(entry)
    if not result.entries and not result.errors:
        result.errors.append(RowError(None, None, "エントリが 1 件もありません"))
    if result.errors:
        result.entries = []
    return result


def decode_csv(raw: bytes) -> tuple[str | None, str]:
    """The text of a CSV file and the codec that decoded it: UTF-8 with BOM, UTF-8, else Shift_JIS (cp932)."""
    codecs = ("utf-8-sig",) if raw.startswith(UTF8_BOM) else ("utf-8", "cp932")
    for codec in codecs:
        if _decodes(raw, codec):
            return raw.decode(codec), codec
    return None, codecs[0]


def _decodes(raw: bytes, codec: str) -> bool:
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _check_header(header: list[str]) -> list[Problem]:
    """Header problems: unknown, repeated or missing columns (each is an error, since any of them would lose
    or misplace an editor's text without a word). A column is known by its field name or its Japanese label."""
    errors: list[Problem] = []
    unknown = [name for name in header if name not in COLUMN_NAMES]
    if unknown:
        allowed = ", ".join(f"{name}（{FIELD_LABELS[name]}）" if name in FIELD_LABELS else name
                            for name in CSV_COLUMNS)
        errors.append(RowError(1, None, f"不明な列があります: {', '.join(unknown)}（使える列: {allowed}）"))
    fields = [COLUMN_NAMES.get(name, name) for name in header]
    repeated = sorted({name for name in fields if name and fields.count(name) > 1})
    if repeated:
        errors.append(RowError(1, None, f"同じ列が 2 回以上あります: {', '.join(repeated)}"))
    missing = [f"{name}（{FIELD_LABELS[name]}）" for name in REQUIRED_COLUMNS if name not in fields]
    if missing:
        errors.append(RowError(1, None, f"必須の列がありません: {', '.join(missing)}"))
    return errors


def _row_entry(header: list[str], row: list[str], line: int, errors: list[Problem]) -> FaqEntryData | None:
    """Validate one row with the pack's rules; add its problems to ``errors`` (None when it has any)."""
    if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
        errors.append(RowError(line, None, f"列の数が見出し（{len(header)} 列）より多くなっています"))
        return None
    raw = _row_fields(header, row)
    label = str(raw.get("id") or f"entry #{line}")
    try:
        return FaqEntryData.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "answer"
            column = f"{name}（{FIELD_LABELS[name]}）" if name in FIELD_LABELS else name
            errors.append(RowError(line, label, f"{column}: {japanese_message(name, err)}"))
        return None


def _row_fields(header: list[str], row: list[str]) -> dict[str, Any]:
    """The row's non-empty cells as entry fields: lists split on new lines, Excel's dates made ISO."""
    fields: dict[str, Any] = {}
    for name, cell in zip(header, row, strict=False):
        value = restore_formula_text(cell.replace("\r\n", "\n").replace("\r", "\n").strip())
        if not value:
            continue  # an empty cell means the field's default
        if name in LIST_COLUMNS:
            fields[name] = [item for item in (part.strip() for part in value.split(LIST_SEPARATOR)) if item]
        elif name == "last_reviewed" and (match := _EXCEL_DATE.match(value)):
            fields[name] = "{}-{:0>2}-{:0>2}".format(*match.groups())
        else:
            fields[name] = value
    return fields
