"""The pack's eval set: labelled questions with a fixed dev/test split.

Questions live in JSON Lines files under ``eval/datasets/<pack>/`` (``inscope_*.jsonl``, ``oos.jsonl``), one
object a line: ``id``, ``text``, ``faq_ids`` (empty for out-of-scope) and ``style``. The split is fixed by a
hash of the question id, so it never changes when questions are added and nobody picks it by hand.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

DATASET_DIR = Path(__file__).resolve().parent / "datasets"
DEFAULT_DATASET = DATASET_DIR / "toyama"
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class EvalQuestion:
    """One question; ``faq_ids`` is empty for out-of-scope questions."""

    id: str
    text: str
    faq_ids: tuple[str, ...]
    style: str

    @property
    def in_scope(self) -> bool:
        return bool(self.faq_ids)

    @property
    def split(self) -> str:
        return split_of(self.id)


def split_of(question_id: str) -> str:
    """``dev`` or ``test``, half and half, from a hash of the id."""
    digest = hashlib.sha256(question_id.encode("utf-8")).digest()
    return SPLITS[digest[0] % 2]


def load_questions(dataset: Path = DEFAULT_DATASET, split: str | None = None) -> list[EvalQuestion]:
    """Questions of one split (or all when ``split`` is None), in file and line order."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    questions = []
    for path in sorted(dataset.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            question = EvalQuestion(raw["id"], raw["text"], tuple(raw["faq_ids"]), raw["style"])
            if split is None or question.split == split:
                questions.append(question)
    return questions
