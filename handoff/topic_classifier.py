"""A second opinion on what a question is about, from the query vector the retriever already computed.

A multinomial logistic regression over the e5 query vector, trained by ``python -m eval.train_routing`` on the
labelled development questions and the pack's entry questions; shipped as ``topic_classifier.json``. Its classes
are the pack's categories plus ``OTHER`` (a city matter no category covers). A class becomes a team through the
routing table (a category's rule; ``OTHER`` goes where uncovered matters go), so editors who move a category to
another team move the classifier's votes with it.

At run time it is one 4 x 384 matrix product per ticket: no embedding of its own (``QueryEmbedding`` carries the
vector the retriever computed for its decision), no scikit-learn import.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.query_embedding import QueryEmbedding

MODEL_PATH = Path(__file__).resolve().parent / "topic_classifier.json"
OTHER = "(other)"  # class of the city matters no category of the pack covers


@dataclass(frozen=True)
class TeamGuess:
    """The classifier's team (``team``) and the probability it gives it (classes of one team summed)."""

    team: str
    probability: float


@dataclass(frozen=True)
class TopicClassifier:
    """Class probabilities of a query vector: softmax(``weights`` · v + ``bias``).

    Args:
        model: the embedder whose vectors it was trained on (``Embedder.name``).
        classes: category slugs and ``OTHER``.
        weights: one row of ``dim`` floats per class.
        bias: one float per class.
    """

    model: str
    classes: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray

    def probabilities(self, embedding: QueryEmbedding) -> dict[str, float] | None:
        """Probability per class; None for a vector of another embedder or size."""
        vector = embedding.vector
        if embedding.model != self.model or vector.shape != (self.weights.shape[1],):
            return None
        logits = self.weights @ vector.astype(np.float64) + self.bias
        exp = np.exp(logits - logits.max())
        shares = exp / exp.sum()
        return {label: float(share) for label, share in zip(self.classes, shares, strict=True)}

    def team_guess(self, embedding: QueryEmbedding, categories: Mapping[str, str], uncovered: str,
                   ) -> TeamGuess | None:
        """The most probable team: each category class counts for the team the routing table gives it, ``OTHER``
        for ``uncovered``; a class the table does not know counts for nobody. None when not applicable."""
        shares = self.probabilities(embedding)
        if shares is None:
            return None
        by_team: dict[str, float] = defaultdict(float)
        for label, share in shares.items():
            team = uncovered if label == OTHER else categories.get(label)
            if team:
                by_team[team] += share
        if not by_team:
            return None
        team = max(sorted(by_team), key=lambda t: by_team[t])
        return TeamGuess(team, round(by_team[team], 4))

    def to_json(self, **meta: Any) -> dict[str, Any]:
        """The file's data; ``meta`` (training counts and settings) is kept for readers, unused at run time."""
        return {"model": self.model, "classes": list(self.classes), "bias": self.bias.tolist(),
                "weights": self.weights.tolist(), "meta": meta}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TopicClassifier:
        classes = tuple(str(c) for c in data["classes"])
        weights = np.asarray(data["weights"], dtype=np.float64)
        bias = np.asarray(data["bias"], dtype=np.float64)
        if weights.ndim != 2 or weights.shape[0] != len(classes) or bias.shape != (len(classes),):
            raise ValueError("topic classifier: weights, bias and classes do not match")
        return cls(str(data["model"]), classes, weights, bias)

    @classmethod
    def fitted(cls, model: str, classes: Sequence[str], weights: np.ndarray, bias: np.ndarray) -> TopicClassifier:
        return cls(model, tuple(classes), np.asarray(weights, dtype=np.float64), np.asarray(bias, dtype=np.float64))


@cache
def shipped_classifier(path: Path = MODEL_PATH) -> TopicClassifier | None:
    """The packaged classifier, read once per process; None when the file is missing (the table alone routes)."""
    if not path.exists():
        return None
    return TopicClassifier.from_json(json.loads(path.read_text(encoding="utf-8")))
