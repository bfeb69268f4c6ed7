"""Routing accuracy on the blind hand-off set: right team, 振り分け待ち (unrouted) or wrong team, per question.

Each question goes through the real pipeline: the bot's decision with the real retriever (``Conversation.bot_view``,
what a ticket stores), then the routing of a new ticket (``Routing.route``) with the routing table in the
database (the settings' routes seed it), and the topic classifier reading the query vector the retriever
computed. Targets (issue 17): right ≥ 0.90 and wrong ≤ 0.03 on questions nobody tuned on.

Sets: ``blind`` (``eval/datasets/routing-blind/``, round 1; now development data) and ``holdout``
(``eval/datasets/routing-holdout/``, round 2: run once, aggregates only), or any folder of the same format.
``cross_validate`` measures the classifier on the development data: each fold is routed by a classifier trained
without it (``eval.train_routing``), beside the routing table alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot.conversation import Conversation
from bot.postback import PostbackSigner
from core.db import make_engine
from eval.blind_sets import DATASET_DIR, ROUTING_SET_DIR, RoutingQuestion, Split, fold_of, load_routing
from eval.settings import EvalSettings, Migrate
from handoff.desk import routing_from
from handoff.routing import UNROUTED, RoutingDecision, TopicEvidence
from handoff.tickets import Routing
from handoff.topic_classifier import TopicClassifier
from retrieval.engine import Retriever
from retrieval.query_embedding import embedding_of

OUTCOMES = ("right", "unrouted", "wrong")
SETS = {"blind": ROUTING_SET_DIR, "holdout": DATASET_DIR / "routing-holdout"}


@dataclass(frozen=True)
class RoutedQuestion:
    """One question's routing: the expected team, the decision, and which of ``OUTCOMES`` it is."""

    question: RoutingQuestion
    decision: RoutingDecision

    @property
    def outcome(self) -> str:
        if self.decision.team == UNROUTED:
            return "unrouted"
        return "right" if self.decision.team == self.question.team else "wrong"


def route_questions(retriever: Retriever, routing: Routing, session: Session,
                    questions: Sequence[RoutingQuestion]) -> list[RoutedQuestion]:
    """Route each question as a hand-off of it would be (no choice made by the citizen)."""
    conversation = Conversation(retriever, PostbackSigner("routing-eval"))
    table = routing.table(session)
    routed = []
    for question in questions:
        candidates = conversation.bot_view(question.text)
        evidence = TopicEvidence.of(question.text, candidates, embedding=embedding_of(retriever, question.text))
        decision = routing.decide(table, evidence)
        routed.append(RoutedQuestion(question, decision))
    return routed


def _rates(rows: Sequence[RoutedQuestion]) -> dict[str, Any]:
    counts = Counter(row.outcome for row in rows)
    total = len(rows) or 1
    return {"questions": len(rows), **{name: round(counts[name] / total, 4) for name in OUTCOMES},
            "counts": {name: counts[name] for name in OUTCOMES}}


def summarize(rows: Sequence[RoutedQuestion], *, split: str, details: bool = False,
              set_name: str = "routing-blind") -> dict[str, Any]:
    """Overall rates, by expected team and by style; with ``details`` the unrouted and wrong questions' ids and
    teams (never their text: the test split stays unread)."""
    by_team: dict[str, list[RoutedQuestion]] = defaultdict(list)
    by_style: dict[str, list[RoutedQuestion]] = defaultdict(list)
    for row in rows:
        by_team[row.question.team].append(row)
        by_style[row.question.style].append(row)
    result: dict[str, Any] = {
        "set": set_name, "split": split, **_rates(rows),
        "targets": {"right": ">= 0.90", "wrong": "<= 0.03"},
        "by_team": {team: _rates(group) for team, group in sorted(by_team.items())},
        "by_style": {style: _rates(group) for style, group in sorted(by_style.items())},
    }
    if details:
        result["misses"] = [{"id": row.question.id, "team": row.question.team, "routed": row.decision.team,
                             "share": row.decision.share, "why": row.decision.why}
                            for row in rows if row.outcome != "right"]
    return result


def run_routing_eval(settings: EvalSettings, *, migrate: Migrate, split: Split = "dev", details: bool = False,
                     root: Path = ROUTING_SET_DIR) -> dict[str, Any]:
    """Build the real retriever (vectors cached in the settings' database, its schema prepared by ``migrate``)
    and route the split's questions of the set in ``root``."""
    from eval.scoring import build_pack_retriever  # heavy: loads the embedder

    questions = load_routing(split, root)
    retriever = build_pack_retriever(settings, migrate)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            rows = route_questions(retriever, routing_from(settings), session, questions)
    finally:
        engine.dispose()
    return summarize(rows, split=split, details=details, set_name=root.name)


# -- cross-validation on the development data ------------------------------------------------------------------
def with_classifier(routing: Routing, classifier: TopicClassifier | None) -> Routing:
    """``routing`` whose router asks ``classifier`` (None: the routing table alone)."""
    return replace(routing, router=replace(routing.router, classifier=classifier))


def cross_validate(settings: EvalSettings, folds: int = 5, *, migrate: Migrate) -> dict[str, Any]:
    """Route each development question (``eval.train_routing.development_questions``) with a classifier trained
    on the other folds and the pack; and with the routing table alone. Per source set too. ``migrate`` prepares
    the schema of the settings' database (the vector cache)."""
    from eval.scoring import build_pack_retriever  # heavy: loads the embedder
    from eval.train_routing import class_of_team, development_questions, entry_data, fit, question_data

    retriever = build_pack_retriever(settings, migrate)
    routing = routing_from(settings)
    classes = class_of_team(settings.handoff_routes, settings.handoff_default_team)
    questions = development_questions()
    entries = entry_data(retriever)
    with_model: list[RoutedQuestion] = []
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            for fold in range(folds):
                held = [q for q in questions if fold_of(q.id, folds) == fold]
                kept = [q for q in questions if fold_of(q.id, folds) != fold]
                model = fit(question_data(retriever, kept, classes) + entries, retriever.embedder_name)
                with_model += route_questions(retriever, with_classifier(routing, model), session, held)
            table_only = route_questions(retriever, with_classifier(routing, None), session, questions)
    finally:
        engine.dispose()
    return {"folds": folds, "questions": len(questions),
            "classifier": _by_source(with_model), "table_only": _by_source(table_only)}


def _by_source(rows: Sequence[RoutedQuestion]) -> dict[str, Any]:
    """Rates over all rows and per source (routing-blind ``route-…``, scope-blind city matters ``city-…``)."""
    sources = {"routing-blind": "route-", "city-matters": "city-"}
    result: dict[str, Any] = {"all": _rates(rows)}
    for name, prefix in sources.items():
        result[name] = _rates([row for row in rows if row.question.id.startswith(prefix)])
    return result
