"""Read and validate a knowledge pack: a folder of YAML files that editors can edit by hand.

Validation is all-or-nothing: ``read_pack`` collects every problem (with file and entry id) and raises one
``PackValidationError`` listing them, so a bad pack never half-loads. See ``knowledge/packs/FORMAT.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.schema import FaqEntryData

META_FILE = "pack.yaml"
SYNONYMS_FILE = "synonyms.yaml"
TRANSLATIONS_FILE = "translations_en.yaml"
ANSWERS_EN_FILE = "answers_en.yaml"
SPECIAL_FILES = (META_FILE, SYNONYMS_FILE, TRANSLATIONS_FILE, ANSWERS_EN_FILE)


@dataclass(frozen=True)
class PackError:
    """One problem found in a pack file."""

    file: str
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file} [{self.entry_id}]" if self.entry_id else self.file
        return f"{where}: {self.message}"


class PackValidationError(Exception):
    """A pack has one or more problems; ``errors`` lists all of them."""

    def __init__(self, errors: list[PackError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} error(s) in pack:\n" + "\n".join(str(e) for e in errors))


@dataclass
class Pack:
    """A validated pack: metadata, entries and the editors' synonym groups."""

    name: str
    title: str
    entries: list[FaqEntryData]
    synonyms: list[list[str]] = field(default_factory=list)


def read_pack(pack_dir: Path) -> Pack:
    """Read and validate every file of ``pack_dir``; raise ``PackValidationError`` listing all problems."""
    pack_dir = Path(pack_dir)
    if not pack_dir.is_dir():
        raise PackValidationError([PackError(str(pack_dir), None, "pack folder not found")])
    errors: list[PackError] = []
    meta = _read_meta(pack_dir, errors)
    synonyms = _read_synonyms(pack_dir / SYNONYMS_FILE, pack_dir, errors)
    entries: list[FaqEntryData] = []
    seen: dict[str, str] = {}
    entry_files = sorted(
        p for p in pack_dir.rglob("*.y*ml") if p.name not in SPECIAL_FILES and p.is_file()
    )
    for path in entry_files:
        for entry in _read_entry_file(path, pack_dir, errors):
            rel = _rel(path, pack_dir)
            if entry.id in seen:
                errors.append(PackError(rel, entry.id, f"duplicate id (also in {seen[entry.id]})"))
                continue
            seen[entry.id] = rel
            entries.append(entry)
    if not entries and not errors:
        errors.append(PackError(_rel(pack_dir, pack_dir), None, "the pack has no entries"))
    entries = _merge_translations(pack_dir, entries, errors)
    entries = _merge_english_answers(pack_dir, entries, errors)
    if errors:
        raise PackValidationError(errors)
    return Pack(
        name=str(meta.get("name") or pack_dir.name),
        title=str(meta.get("title") or pack_dir.name),
        entries=entries,
        synonyms=synonyms,
    )


def read_synonyms(pack_dir: Path) -> list[list[str]]:
    """Only the synonym groups of a pack (empty when it has no synonyms file)."""
    errors: list[PackError] = []
    groups = _read_synonyms(Path(pack_dir) / SYNONYMS_FILE, Path(pack_dir), errors)
    if errors:
        raise PackValidationError(errors)
    return groups


def _rel(path: Path, pack_dir: Path) -> str:
    try:
        return str(path.relative_to(pack_dir)) or "."
    except ValueError:
        return str(path)


def _load_yaml(path: Path, pack_dir: Path, errors: list[PackError]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        errors.append(PackError(_rel(path, pack_dir), None, f"not valid YAML/UTF-8: {exc}".splitlines()[0]))
        return None


def _read_meta(pack_dir: Path, errors: list[PackError]) -> dict[str, Any]:
    path = pack_dir / META_FILE
    if not path.exists():
        return {}
    data = _load_yaml(path, pack_dir, errors)
    if data is None:
        return {}
    if not isinstance(data, dict):
        errors.append(PackError(META_FILE, None, "must be a mapping with name, title, description"))
        return {}
    return data


def _read_synonyms(path: Path, pack_dir: Path, errors: list[PackError]) -> list[list[str]]:
    if not path.exists():
        return []
    data = _load_yaml(path, pack_dir, errors)
    groups = data.get("synonyms") if isinstance(data, dict) else None
    if not isinstance(groups, list) or not all(
        isinstance(g, list) and len(g) >= 2 and all(isinstance(w, str) and w.strip() for w in g) for g in groups
    ):
        errors.append(
            PackError(SYNONYMS_FILE, None, "must be `synonyms:` followed by lists of 2 or more words")
        )
        return []
    return [[w.strip() for w in g] for g in groups]


def _read_id_table(
    pack_dir: Path, name: str, key: str, entries: list[FaqEntryData], errors: list[PackError],
    value_ok: Callable[[object], bool], value_rule: str,
) -> dict[str, Any] | None:
    """The ``key:`` mapping of entry ids in the optional file ``name``; None when it is absent or wrong (the
    problems are added to ``errors``)."""
    path = pack_dir / name
    if not path.exists():
        return None
    data = _load_yaml(path, pack_dir, errors)
    table = data.get(key) if isinstance(data, dict) else None
    if not isinstance(table, dict):
        errors.append(PackError(name, None, f"must be `{key}:` mapping entry ids to {value_rule}"))
        return None
    known = {e.id for e in entries}
    for entry_id, value in table.items():
        if entry_id not in known:
            errors.append(PackError(name, str(entry_id), "no entry has this id"))
        elif not value_ok(value):
            errors.append(PackError(name, str(entry_id), f"must be {value_rule}"))
    return None if errors else table


def _merge_translations(pack_dir: Path, entries: list[FaqEntryData], errors: list[PackError]) -> list[FaqEntryData]:
    """Add ``translations_en.yaml`` (entry id -> English phrasings) to the entries' ``questions_en``."""
    table = _read_id_table(
        pack_dir, TRANSLATIONS_FILE, "translations", entries, errors,
        lambda v: isinstance(v, list) and all(isinstance(p, str) and p.strip() for p in v),
        "a list of non-empty strings")
    if table is None:
        return entries
    return [
        e.model_copy(update={"questions_en": [*e.questions_en, *(p.strip() for p in table.get(e.id, []))]})
        for e in entries
    ]


def _merge_english_answers(
    pack_dir: Path, entries: list[FaqEntryData], errors: list[PackError]
) -> list[FaqEntryData]:
    """Add ``answers_en.yaml`` (entry id -> English answer, shown to users who write in English) as ``answer_en``."""
    table = _read_id_table(pack_dir, ANSWERS_EN_FILE, "answers", entries, errors,
                           lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty text")
    if table is None:
        return entries
    merged = []
    for entry in entries:
        try:
            merged.append(FaqEntryData.model_validate(
                {**entry.model_dump(), "answer_en": table[entry.id].strip()}) if entry.id in table else entry)
        except ValidationError as exc:
            errors.append(PackError(ANSWERS_EN_FILE, entry.id, exc.errors()[0]["msg"]))
            merged.append(entry)
    return merged


def _read_entry_file(path: Path, pack_dir: Path, errors: list[PackError]) -> list[FaqEntryData]:
    rel = _rel(path, pack_dir)
    data = _load_yaml(path, pack_dir, errors)
    if data is None:
        return []
    raw_entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(raw_entries, list):
        errors.append(PackError(rel, None, "must contain `entries:` with a list of entries"))
        return []
    entries = []
    for index, raw in enumerate(raw_entries, start=1):
        entry_id = raw.get("id") if isinstance(raw, dict) else None
        label = str(entry_id) if entry_id else f"entry #{index}"
        if not isinstance(raw, dict):
            errors.append(PackError(rel, label, "an entry must be a mapping of fields"))
            continue
        try:
            entries.append(FaqEntryData.model_validate(raw))
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"]) or "entry"
                errors.append(PackError(rel, label, f"{loc}: {err['msg']}"))
    return entries
