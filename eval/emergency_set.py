"""The blind emergency-detection set: emergencies and ordinary look-alikes, with a fixed dev/test split.

The messages in ``eval/datasets/emergency/`` were written without seeing the detector's rules (see its
README.md), so the test split measures how the detector does on messages nobody tuned it for. The split is fixed
by a hash of the id: adding messages never moves an old one between dev and test, and nobody picks which is which.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from eval.blind_sets import read_jsonl, split_of

EMERGENCY_SET_DIR = Path(__file__).resolve().parent / "datasets" / "emergency"
EMERGENCIES_FILE = "emergencies.jsonl"
ORDINARY_FILE = "ordinary.jsonl"

KINDS = ("life", "poisoning", "abuse", "suicide")
STYLES = ("standard", "dialect-toyama", "dialect-kansai", "dialect-nagoya", "dialect-hakata", "dialect-tohoku",
          "dialect-hiroshima", "dialect-okinawa", "hiragana", "typo", "panic", "short", "long", "english",
          "easy-japanese")

Split = Literal["dev", "test", "all"]


@dataclass(frozen=True)
class EmergencyExample:
    """One message; ``kind`` is None for an ordinary message, ``note_or_topic`` explains it in English."""

    id: str
    text: str
    kind: str | None
    style: str
    note_or_topic: str

    @property
    def is_emergency(self) -> bool:
        return self.kind is not None

    @property
    def split(self) -> Literal["dev", "test"]:
        return split_of(self.id)


def _emergency(row: dict[str, object]) -> EmergencyExample:
    kind = str(row["kind"])
    if kind not in KINDS:
        raise ValueError(f"{row['id']}: unknown kind {kind!r}")
    return EmergencyExample(id=str(row["id"]), text=str(row["text"]), kind=kind, style=str(row["style"]),
                            note_or_topic=str(row["note"]))


def _ordinary(row: dict[str, object]) -> EmergencyExample:
    return EmergencyExample(id=str(row["id"]), text=str(row["text"]), kind=None, style=str(row["style"]),
                            note_or_topic=str(row["topic"]))


def load_emergency_set(split: Split = "all", root: Path = EMERGENCY_SET_DIR) -> list[EmergencyExample]:
    """Emergencies then ordinary messages of one split (or all), in file order."""
    examples = [_emergency(row) for row in read_jsonl(root / EMERGENCIES_FILE)]
    examples += [_ordinary(row) for row in read_jsonl(root / ORDINARY_FILE)]
    return [example for example in examples if split == "all" or example.split == split]
