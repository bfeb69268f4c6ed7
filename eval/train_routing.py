"""Train the routing's topic classifier and write ``handoff/topic_classifier.json``.

    python -m eval.train_routing             # rebuild the packaged model (TSUNAGU_DATABASE_URL: a vector cache)

Training data (development data only, never ``eval/datasets/routing-holdout/``):

* every question of the first blind routing set (``eval/datasets/routing-blind/``, both splits) and the city
  matters of ``eval/datasets/scope-blind/city_matters.jsonl``, each labelled with its team; a team becomes a class
  through the settings' routes (the category routed to it), the default team becomes ``OTHER``;
* every search question of the pack's published entries, labelled with the entry's category, weighted
  ``ENTRY_WEIGHT`` (there are five times as many of them, and they are written unlike citizens' questions).

The features are the retriever's e5 query vectors (what the bot computes for its decision anyway). The fit
(multinomial logistic regression, lbfgs, fixed data order) is deterministic; weights are rounded to ``DIGITS``.
``C`` and ``ENTRY_WEIGHT`` were chosen by 5-fold cross-validation on the same data (``tsunagu eval routing --cv 5``).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.blind_sets import RoutingQuestion, load_city_matters, load_routing
from eval.settings import EvalSettings, Migrate
from handoff.topic_classifier import MODEL_PATH, OTHER, TopicClassifier
from retrieval.engine import Retriever

C = 256.0
ENTRY_WEIGHT = 0.25
DIGITS = 5


@dataclass(frozen=True)
class TrainingData:
    """Vectors, their class labels and sample weights."""

    vectors: np.ndarray
    labels: tuple[str, ...]
    weights: np.ndarray

    def __add__(self, other: TrainingData) -> TrainingData:
        return TrainingData(np.concatenate([self.vectors, other.vectors]), self.labels + other.labels,
                            np.concatenate([self.weights, other.weights]))


def development_questions() -> list[RoutingQuestion]:
    """The labelled development questions: the first routing set and the team-labelled city matters."""
    city = [RoutingQuestion(id=m.id, text=m.text, team=m.team, style=m.style, note=m.topic)
            for m in load_city_matters("all")]
    return load_routing("all") + city


def class_of_team(routes: Mapping[str, str], default_team: str) -> dict[str, str]:
    """team → class: the category the settings route to the team, ``OTHER`` for the default team."""
    classes = {team: category for category, team in sorted(routes.items())}
    classes[default_team] = OTHER
    return classes


def question_data(retriever: Retriever, questions: Sequence[RoutingQuestion], classes: Mapping[str, str],
                  ) -> TrainingData:
    """The questions' query vectors, labelled with their team's class."""
    vectors = np.stack([retriever.query_vector(q.text) for q in questions])
    return TrainingData(vectors, tuple(classes[q.team] for q in questions), np.ones(len(questions)))


def entry_data(retriever: Retriever) -> TrainingData:
    """Every search question of the published entries (one row each, as the dense index has them), labelled with
    the entry's category and weighted ``ENTRY_WEIGHT``."""
    texts: list[str] = []
    labels: list[str] = []
    for entry_id in sorted(retriever.entries):
        entry = retriever.entries[entry_id]
        for text in retriever.question_texts(entry):
            texts.append(text)
            labels.append(entry.category)
    vectors = np.asarray(retriever.embedder.embed(texts, is_query=True), dtype=np.float32)
    return TrainingData(vectors, tuple(labels), np.full(len(texts), ENTRY_WEIGHT))


def fit(data: TrainingData, model: str, c: float = C) -> TopicClassifier:
    """A multinomial logistic regression on ``data`` (deterministic), rounded to ``DIGITS``."""
    from sklearn.linear_model import LogisticRegression  # only for training

    regression = LogisticRegression(C=c, max_iter=5000)
    regression.fit(data.vectors.astype(np.float64), np.asarray(data.labels), sample_weight=data.weights)
    return TopicClassifier.fitted(model, [str(label) for label in regression.classes_],
                                  np.round(regression.coef_, DIGITS), np.round(regression.intercept_, DIGITS))


def train(settings: EvalSettings, migrate: Migrate, path: Path = MODEL_PATH) -> dict[str, object]:
    """Fit on all the development data and the pack, write ``path``; returns the file's ``meta``. ``migrate``
    prepares the schema of the settings' database (the vector cache)."""
    from eval.scoring import build_pack_retriever  # heavy: loads the embedder

    retriever = build_pack_retriever(settings, migrate)
    classes = class_of_team(settings.handoff_routes, settings.handoff_default_team)
    questions = development_questions()
    data = question_data(retriever, questions, classes) + entry_data(retriever)
    classifier = fit(data, retriever.embedder_name)
    meta: dict[str, object] = {"C": C, "entry_weight": ENTRY_WEIGHT, "questions": len(questions),
                               "rows": len(data.labels), "per_class": dict(sorted(Counter(data.labels).items())),
                               "built_by": "python -m eval.train_routing"}
    path.write_text(json.dumps(classifier.to_json(**meta), ensure_ascii=False) + "\n", encoding="utf-8")
    return meta


def main() -> None:
    from eval.schema import upgrade_with_cli

    sys.stdout.write(json.dumps(train(EvalSettings(), upgrade_with_cli), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
