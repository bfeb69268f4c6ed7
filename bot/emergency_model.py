"""The learned second opinion of the emergency check: a logistic regression over character n-grams.

The rules (``bot.emergency_rules``) read the situation a message describes; they are precise but miss phrasings
nobody wrote a rule for. This model scores the same three views of the message (the folded surface, its kana
reading and its lemmas) as character and word n-grams, so that a new noun next to a known verb, or a dialect
ending on a known stem, still leans towards its kind. It was trained by ``python -m eval.train_emergency`` on the
blind emergency set and hand-written examples; the weights are a JSON file in this package
(``emergency_model.json``): no download, no scikit-learn at run time, the same numbers on every machine.

Scoring is a multinomial logistic regression: binary n-gram features that the model knows, scaled to unit
length, a dot product per class and a softmax. The classes are ``none`` and the detected kinds.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.emergency_kinds import Emergency

MODEL_PATH = Path(__file__).resolve().parent / "emergency_model.json"
NONE = "none"
SURFACE_GRAMS = (1, 2, 3)
READING_GRAMS = (2, 3)


def _grams(prefix: str, text: str, sizes: Sequence[int]) -> Iterable[str]:
    padded = f"^{text}$"
    for size in sizes:
        for start in range(len(padded) - size + 1):
            yield prefix + padded[start:start + size]


def features(surface: str, reading: str, lemmas: Sequence[str], signals: Iterable[str] = ()) -> set[str]:
    """The n-grams of one message (surface 1-3 grams, reading 2-3 grams, lemmas and lemma pairs) and the rules'
    ``signals`` (``bot.emergency_rules.signals``)."""
    found = set(signals)
    found.update(_grams("s:", surface, SURFACE_GRAMS))
    found.update(_grams("r:", reading, READING_GRAMS))
    found.update("l:" + lemma for lemma in lemmas)
    found.update(f"p:{first}|{second}" for first, second in zip(lemmas, lemmas[1:], strict=False))
    return found


@dataclass(frozen=True)
class Scores:
    """The model's probabilities: that the message is an emergency at all, and of each kind."""

    emergency: float
    kinds: Mapping[Emergency, float]

    def top(self) -> Emergency | None:
        """The most probable kind (None when the model knows no kind)."""
        return max(self.kinds, key=lambda kind: self.kinds[kind]) if self.kinds else None


class EmergencyModel:
    """A multinomial logistic regression read from its JSON weights (see the module docstring)."""

    def __init__(self, classes: Sequence[str], intercepts: Sequence[float],
                 weights: Mapping[str, Sequence[float]]) -> None:
        if len(classes) != len(intercepts) or NONE not in classes:
            raise ValueError("a model needs one intercept per class and a 'none' class")
        self.classes = tuple(classes)
        self.intercepts = tuple(intercepts)
        self.weights = weights

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> EmergencyModel:
        classes = data["classes"]
        intercepts = data["intercepts"]
        weights = data["weights"]
        if not (isinstance(classes, list) and isinstance(intercepts, list) and isinstance(weights, dict)):
            raise ValueError("not an emergency model")
        return cls([str(c) for c in classes], [float(i) for i in intercepts], weights)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> EmergencyModel:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def score(self, grams: Iterable[str]) -> Scores:
        """The class probabilities of a message's n-grams (unknown n-grams are left out, as in training)."""
        known = [self.weights[gram] for gram in set(grams) if gram in self.weights]
        scale = 1 / math.sqrt(len(known)) if known else 0.0
        logits = list(self.intercepts)
        for row in known:
            for index, weight in enumerate(row):
                logits[index] += weight * scale
        top = max(logits)
        exps = [math.exp(logit - top) for logit in logits]
        total = sum(exps)
        probs = {name: value / total for name, value in zip(self.classes, exps, strict=True)}
        kinds = {Emergency(name): prob for name, prob in probs.items() if name != NONE}
        return Scores(emergency=1 - probs[NONE], kinds=kinds)


_lock = threading.Lock()
_model: EmergencyModel | None = None


def default_model() -> EmergencyModel:
    """The packaged model, read once (thread-safe) on first use."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = EmergencyModel.load()
    return _model
