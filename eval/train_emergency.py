"""Train the emergency check's learned second opinion and write ``bot/emergency_model.json``.

    python -m eval.train_emergency            # rebuild the packaged model
    python -m eval.train_emergency --check    # exit 1 when the packaged file differs from a fresh build

Training data: the three development sets, each by another writer: the first blind emergency set
(``eval/datasets/emergency/``), round 2's held-out set (``eval/datasets/emergency-holdout/``, measured once at
e20d733 and spent since) and the hand-written examples in ``eval/datasets/emergency-train/``. Never a held-out set
still unmeasured (``emergency-holdout-2``).

The features are those of ``bot.emergency_model.features`` over the views the rules read; n-grams seen in fewer
than ``MIN_DF`` messages are dropped; each message's vector is binary and scaled to unit length (what
``EmergencyModel.score`` does at run time). The fit (lbfgs, fixed data order) is deterministic, and weights are
rounded so that the file is byte-for-byte the same on every run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.emergency_model import MODEL_PATH, NONE, EmergencyModel, features
from bot.emergency_rules import signals, views_of
from eval.emergency_set import EMERGENCY_SET_DIR, EmergencyExample, load_emergency_set

EXTRA_DIR = Path(__file__).resolve().parent / "datasets" / "emergency-train"
CLASSES = (NONE, "life", "poisoning", "abuse", "suicide")
MIN_DF = 2
C = 8.0
BALANCED = True
DIGITS = 4


SPENT_HOLDOUT_DIR = Path(__file__).resolve().parent / "datasets" / "emergency-holdout"
WRITERS = {"first": EMERGENCY_SET_DIR, "holdout": SPENT_HOLDOUT_DIR, "train": EXTRA_DIR}
"""The development sets, one per writer (leave-one-writer-out cross-validation holds one out at a time)."""


def writer_sets() -> dict[str, list[EmergencyExample]]:
    """Each development set's messages (all of it), by writer."""
    return {name: load_emergency_set("all", folder) for name, folder in WRITERS.items()}


def training_examples() -> list[EmergencyExample]:
    """The three development sets (all of them; see the module docstring)."""
    return [example for examples in writer_sets().values() for example in examples]


def grams_of(text: str) -> set[str]:
    """The model's features of one message (one parse)."""
    views = views_of(text)
    return features(views.surface, views.reading, views.lemmas, signals(views))


def fit(examples: Sequence[EmergencyExample], c: float = C,
        balanced: bool = BALANCED) -> tuple[Any, list[str], Any]:
    """The fitted scikit-learn model, its vocabulary and the training matrix (rows scaled as at run time)."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    grams = [sorted(grams_of(example.text)) for example in examples]
    counts = Counter(gram for row in grams for gram in row)
    vocab = sorted(gram for gram, count in counts.items() if count >= MIN_DF)
    index = {gram: number for number, gram in enumerate(vocab)}
    rows, cols, values = [], [], []
    for row_number, row in enumerate(grams):
        known = [index[gram] for gram in row if gram in index]
        for col in known:
            rows.append(row_number)
            cols.append(col)
            values.append(1 / len(known) ** 0.5)
    matrix = csr_matrix((values, (rows, cols)), shape=(len(examples), len(vocab)), dtype=np.float64)
    labels = [CLASSES.index(example.kind or NONE) for example in examples]
    weighting = "balanced" if balanced else None
    model = LogisticRegression(C=c, max_iter=5000, class_weight=weighting).fit(matrix, labels)
    return model, vocab, matrix


def train(examples: Sequence[EmergencyExample], c: float = C, balanced: bool = BALANCED) -> dict[str, Any]:
    """The model's JSON data fitted on ``examples`` (see the module docstring)."""
    model, vocab, _ = fit(examples, c, balanced)
    order = [list(model.classes_).index(number) for number in range(len(CLASSES))]
    coef = model.coef_[order]
    weights = {gram: [round(float(w), DIGITS) for w in coef[:, number]] for number, gram in enumerate(vocab)}
    weights = {gram: row for gram, row in weights.items() if any(row)}
    return {"classes": list(CLASSES), "intercepts": [round(float(model.intercept_[n]), DIGITS) for n in order],
            "weights": weights, "trained_on": len(examples), "min_df": MIN_DF, "c": c, "balanced": balanced}


def dumps(data: dict[str, Any]) -> str:
    """The model file's text: sorted keys, one weight row per line, so diffs stay readable."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).replace('],"', '],\n"') + "\n"


def fitted_model(examples: Sequence[EmergencyExample], c: float = C, balanced: bool = BALANCED) -> EmergencyModel:
    """A model trained on ``examples`` (for cross-validation)."""
    return EmergencyModel.from_dict(json.loads(dumps(train(examples, c, balanced))))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the packaged file instead of writing")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    text = dumps(train(training_examples()))
    if args.check:
        same = args.out.read_text(encoding="utf-8") == text
        sys.stdout.write("up to date\n" if same else "the packaged model differs from a fresh build\n")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {args.out} ({len(text) // 1024} KiB)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
