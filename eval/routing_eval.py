"""Routing accuracy on the blind hand-off set: right team, 振り分け待ち (unrouted) or wrong team, per question.

Each question goes through the real pipeline: the bot's decision with the real retriever (``Conversation.bot_view``,
what a ticket stores), then the routing of a new ticket (``Routing.route``) with the routing table in the
database (the settings' routes seed it). Targets (issue 17): right ≥ 0.90 and wrong ≤ 0.03 on the test split.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.conversation import Conversation
from bot.postback import PostbackSigner
from eval.blind_sets import RoutingQuestion, Split, load_routing
from handoff.desk import routing_from
from handoff.routing import UNROUTED, RoutingDecision, TopicEvidence
from handoff.tickets import Routing
from retrieval.engine import Retriever
from tsunagu.db import make_engine
from tsunagu.settings import Settings

OUTCOMES = ("right", "unrouted", "wrong")


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
        candidates, _ = conversation.bot_view(question.text)
        decision = routing.decide(table, TopicEvidence.of(question.text, candidates))
        routed.append(RoutedQuestion(question, decision))
    return routed


def _rates(rows: Sequence[RoutedQuestion]) -> dict[str, Any]:
    counts = Counter(row.outcome for row in rows)
    total = len(rows) or 1
    return {"questions": len(rows), **{name: round(counts[name] / total, 4) for name in OUTCOMES},
            "counts": {name: counts[name] for name in OUTCOMES}}


def summarize(rows: Sequence[RoutedQuestion], *, split: str, details: bool = False) -> dict[str, Any]:
    """Overall rates, by expected team and by style; with ``details`` the unrouted and wrong questions' ids and
    teams (never their text: the test split stays unread)."""
    by_team: dict[str, list[RoutedQuestion]] = defaultdict(list)
    by_style: dict[str, list[RoutedQuestion]] = defaultdict(list)
    for row in rows:
        by_team[row.question.team].append(row)
        by_style[row.question.style].append(row)
    result: dict[str, Any] = {
        "set": "routing-blind", "split": split, **_rates(rows),
        "targets": {"right": ">= 0.90", "wrong": "<= 0.03"},
        "by_team": {team: _rates(group) for team, group in sorted(by_team.items())},
        "by_style": {style: _rates(group) for style, group in sorted(by_style.items())},
    }
    if details:
        result["misses"] = [{"id": row.question.id, "team": row.question.team, "routed": row.decision.team,
                             "share": row.decision.share, "why": row.decision.why}
                            for row in rows if row.outcome != "right"]
    return result


def run_routing_eval(settings: Settings, *, split: Split = "dev", details: bool = False) -> dict[str, Any]:
    """Build the real retriever (vectors cached in the settings' database) and route the split's questions."""
    from eval.runner import build_pack_retriever  # heavy: loads the embedder

    questions = load_routing(split)
    retriever = build_pack_retriever(settings)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            rows = route_questions(retriever, routing_from(settings), session, questions)
    finally:
        engine.dispose()
    return summarize(rows, split=split, details=details)
