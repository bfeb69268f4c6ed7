"""The pack's eval sets: labelled questions with a fixed dev/test split.

Two sets per pack, both JSON Lines under ``eval/datasets/``:

* ``<pack>/`` (``inscope_*.jsonl``, ``oos.jsonl``): one object a line with ``id``, ``text``, ``faq_ids`` (empty
  for out-of-scope) and ``style``, written from each entry's question and answer.
* ``<pack>-blind/``: questions written blind (the writer saw only the domains' descriptions, never the entries)
  in ``questions_*.jsonl`` (``id``, ``text``, ``domain``, ``style``), labelled afterwards against the pack in
  ``labels_*.jsonl`` (``id``, ``label`` = answered | near_miss | out_of_scope, ``faq_ids``, ``closest``,
  ``contact_only``, ``multi``). A near miss is a question inside the city's domains that no entry answers: the
  pack cannot show such a gap in an eval written from its own entries.

The split is fixed by a hash of the question id, so it never changes when questions are added and nobody picks
it by hand. The question type, the split and the readers are product code in ``knowledge.eval_set`` (the publish
quality gate reads a set too); this module names the repository's sets and reads them by default.
"""

from __future__ import annotations

from pathlib import Path

from knowledge import eval_set
from knowledge.eval_set import BLIND_LABELS, SPLITS, EvalQuestion, split_of

__all__ = ["BLIND_DATASET", "BLIND_LABELS", "DATASETS", "DATASET_DIR", "DEFAULT_DATASET", "SPLITS", "EvalQuestion",
           "load_blind_questions", "load_questions", "split_of"]

DATASET_DIR = Path(__file__).resolve().parent / "datasets"
DEFAULT_DATASET = DATASET_DIR / "toyama"
BLIND_DATASET = DATASET_DIR / "toyama-blind"
DATASETS = {"pack": DEFAULT_DATASET, "blind": BLIND_DATASET}


def load_questions(dataset: Path = DEFAULT_DATASET, split: str | None = None) -> list[EvalQuestion]:
    """Questions of one split (or all when ``split`` is None), in file and line order; the pack's set by default."""
    return eval_set.load_questions(dataset, split)


def load_blind_questions(dataset: Path = BLIND_DATASET) -> list[EvalQuestion]:
    """The blind set: each question joined with its label; a question without a label is an error."""
    return eval_set.load_blind_questions(dataset)
