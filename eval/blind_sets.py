"""Blind sets for issue 17: city matters the pack misses, unrelated chat, routing by team, other languages.

The messages under ``eval/datasets/scope-blind/`` and ``eval/datasets/routing-blind/`` were written without
seeing the scope or routing rules (and before reading the pack), then labelled against the pack: see each
folder's README.md. The split is fixed by a hash of the id, so adding messages never moves an old one between
dev and test and nobody picks which is which. Rules may be tuned on ``dev`` only; ``test`` measures them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

DATASET_DIR = Path(__file__).resolve().parent / "datasets"
SCOPE_SET_DIR = DATASET_DIR / "scope-blind"
ROUTING_SET_DIR = DATASET_DIR / "routing-blind"
CITY_MATTERS_FILE = "city_matters.jsonl"
UNRELATED_FILE = "unrelated.jsonl"
OTHER_LANGUAGES_FILE = "other_languages.jsonl"
ROUTING_FILE = "questions.jsonl"

# The teams of the sample hand-off configuration: childcare, tourism, procedures, and everything else.
TEAMS = ("こども家庭部", "観光振興課", "市民課", "市民相談課")
LANGUAGES = ("zh", "ko", "vi", "pt", "es", "tl", "ne", "id", "th")

Split = Literal["dev", "test", "all"]
T = TypeVar("T")


def fold_of(example_id: str, folds: int) -> int:
    """The fold of an example: its id's sha256 modulo ``folds``, so folds do not depend on file order and nobody
    picks them."""
    return int(hashlib.sha256(example_id.encode()).hexdigest(), 16) % folds


def split_of(example_id: str) -> Literal["dev", "test"]:
    """``dev`` when the sha256 of the id is even (fold 0 of 2), else ``test``: stable, and independent of file
    order. The rule of every blind set of issue 17 (``eval.emergency_set`` uses it too)."""
    return "dev" if fold_of(example_id, 2) == 0 else "test"


@dataclass(frozen=True)
class CityMatter:
    """A Toyama city matter the pack does not answer; ``team`` is the team that should take it."""

    id: str
    text: str
    topic: str
    style: str
    team: str

    @property
    def split(self) -> Literal["dev", "test"]:
        return split_of(self.id)


@dataclass(frozen=True)
class UnrelatedMessage:
    """A message that is clearly no city matter (chat, shops, other cities' procedures...)."""

    id: str
    text: str
    topic: str
    style: str

    @property
    def split(self) -> Literal["dev", "test"]:
        return split_of(self.id)


@dataclass(frozen=True)
class RoutingQuestion:
    """A question to hand to city staff, labelled with the team that should answer it; ``note`` says why."""

    id: str
    text: str
    team: str
    style: str
    note: str

    @property
    def split(self) -> Literal["dev", "test"]:
        return split_of(self.id)


@dataclass(frozen=True)
class OtherLanguageMessage:
    """A message in a language the bot does not speak; ``city`` tells a city matter, ``note`` is an English gloss."""

    id: str
    text: str
    language: str
    city: bool
    note: str

    @property
    def split(self) -> Literal["dev", "test"]:
        return split_of(self.id)


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """The JSON objects of a ``.jsonl`` file, blank lines skipped; a line that is no object is an error."""
    rows: list[dict[str, object]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError(f"{path.name}:{number} is not a JSON object")
            rows.append(row)
    return rows


def _team(row: dict[str, object]) -> str:
    team = str(row["team"])
    if team not in TEAMS:
        raise ValueError(f"{row['id']}: unknown team {team!r}")
    return team


def _city_matter(row: dict[str, object]) -> CityMatter:
    return CityMatter(id=str(row["id"]), text=str(row["text"]), topic=str(row["topic"]), style=str(row["style"]),
                      team=_team(row))


def _unrelated(row: dict[str, object]) -> UnrelatedMessage:
    return UnrelatedMessage(id=str(row["id"]), text=str(row["text"]), topic=str(row["topic"]),
                            style=str(row["style"]))


def _routing(row: dict[str, object]) -> RoutingQuestion:
    return RoutingQuestion(id=str(row["id"]), text=str(row["text"]), team=_team(row), style=str(row["style"]),
                           note=str(row["note"]))


def _other_language(row: dict[str, object]) -> OtherLanguageMessage:
    language, city = str(row["language"]), row["city"]
    if language not in LANGUAGES:
        raise ValueError(f"{row['id']}: unknown language {language!r}")
    if not isinstance(city, bool):
        raise ValueError(f"{row['id']}: city must be true or false")
    return OtherLanguageMessage(id=str(row["id"]), text=str(row["text"]), language=language, city=city,
                                note=str(row["note"]))


def _load(path: Path, parse: Callable[[dict[str, object]], T], split: Split) -> list[T]:
    """Parse every row of ``path`` and keep those of ``split`` (every row has an ``id``), in file order."""
    if split not in ("dev", "test", "all"):
        raise ValueError(f"unknown split {split!r}")
    rows = [row for row in read_jsonl(path) if split == "all" or split_of(str(row["id"])) == split]
    return [parse(row) for row in rows]


def load_city_matters(split: Split = "all", root: Path = SCOPE_SET_DIR) -> list[CityMatter]:
    """City matters the pack does not answer: the bot must not refuse them without a way to a person."""
    return _load(root / CITY_MATTERS_FILE, _city_matter, split)


def load_unrelated(split: Split = "all", root: Path = SCOPE_SET_DIR) -> list[UnrelatedMessage]:
    """Messages that are no city matter: the bot may say politely that it cannot help with them."""
    return _load(root / UNRELATED_FILE, _unrelated, split)


def load_other_languages(split: Split = "all", root: Path = SCOPE_SET_DIR) -> list[OtherLanguageMessage]:
    """Messages in languages the bot does not speak, city matters and a few unrelated ones."""
    return _load(root / OTHER_LANGUAGES_FILE, _other_language, split)


def load_routing(split: Split = "all", root: Path = ROUTING_SET_DIR) -> list[RoutingQuestion]:
    """Questions for city staff, each labelled with the team that should answer it."""
    return _load(root / ROUTING_FILE, _routing, split)
