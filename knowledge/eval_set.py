"""A pack's labelled eval questions (JSON Lines) with a fixed dev/test split: what the quality gate asks.

Two layouts, both a folder of JSON Lines files:

* a pack's set (``inscope_*.jsonl``, ``oos.jsonl``): one object a line with ``id``, ``text``, ``faq_ids`` (empty
  for out-of-scope) and ``style``, written from each entry's question and answer.
* a blind set: questions written blind (the writer saw only the domains' descriptions, never the entries) in
  ``questions_*.jsonl`` (``id``, ``text``, ``domain``, ``style``), labelled afterwards against the pack in
  ``labels_*.jsonl`` (``id``, ``label`` = answered | near_miss | out_of_scope, ``faq_ids``, ``closest``,
  ``contact_only``, ``multi``). A near miss is a question inside the city's domains that no entry answers.

The split is fixed by a hash of the question id, so it never changes when questions are added and nobody picks
it by hand. Product code (the publish quality gate reads a set named by ``TSUNAGU_QUALITY_GATE_SET``), so it
imports nothing of the project; ``eval.datasets`` adds the repository's own sets on top.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPLITS = ("dev", "test")
BLIND_LABELS = ("answered", "near_miss", "out_of_scope")


@dataclass(frozen=True)
class EvalQuestion:
    """One question; ``faq_ids`` is empty for out-of-scope questions."""

    id: str
    text: str
    faq_ids: tuple[str, ...]
    style: str
    near_miss: bool = False  # inside the city's domains, but no entry answers it (blind set only)
    contact_only: bool = False  # the gold entry only names the office to ask (blind set only)

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


def load_questions(dataset: Path, split: str | None = None) -> list[EvalQuestion]:
    """Questions of one split (or all when ``split`` is None), in file and line order."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    if any(dataset.glob("labels_*.jsonl")):
        return [q for q in load_blind_questions(dataset) if split is None or q.split == split]
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


def _read_jsonl(paths: list[Path]) -> list[dict[str, Any]]:
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def load_blind_questions(dataset: Path) -> list[EvalQuestion]:
    """A blind set: each question joined with its label; a question without a label is an error."""
    labels = {raw["id"]: raw for raw in _read_jsonl(sorted(dataset.glob("labels_*.jsonl")))}
    questions = []
    for raw in _read_jsonl(sorted(dataset.glob("questions_*.jsonl"))):
        label = labels.get(raw["id"])
        if label is None or label.get("label") not in BLIND_LABELS:
            raise ValueError(f"blind question {raw['id']} has no valid label in {dataset}/labels_*.jsonl")
        answered = label["label"] == "answered"
        questions.append(EvalQuestion(
            raw["id"], raw["text"], tuple(label.get("faq_ids") or ()) if answered else (), raw["style"],
            near_miss=label["label"] == "near_miss", contact_only=bool(label.get("contact_only")),
        ))
    return questions
