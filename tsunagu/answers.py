"""Turn a retrieval decision into a result people and scripts can read (API and CLI share it)."""

from __future__ import annotations

from pydantic import BaseModel

from retrieval.engine import Retriever


class CandidateOut(BaseModel):
    faq_id: str
    question: str
    score: float
    dense: float
    lexical: float


class AskResult(BaseModel):
    decision: str
    reason: str
    confidence: float
    faq_id: str | None
    answer: str | None
    source_url: str | None
    contact: str | None
    candidates: list[CandidateOut]
    suggestions: list[str]


def ask(retriever: Retriever, text: str) -> AskResult:
    """Decide on ``text`` and attach the approved answer (ANSWER) and the top candidates."""
    decision = retriever.decide(text)
    entry = retriever.entries.get(decision.faq_id) if decision.faq_id else None
    return AskResult(
        decision=decision.kind.value,
        reason=decision.reason.value,
        confidence=round(decision.confidence, 4),
        faq_id=decision.faq_id,
        answer=entry.answer if entry else None,
        source_url=entry.source_url if entry else None,
        contact=entry.contact if entry else None,
        candidates=[
            CandidateOut(
                faq_id=c.faq_id, question=retriever.entries[c.faq_id].question,
                score=round(c.score, 4), dense=round(c.dense, 4), lexical=round(c.lexical, 4),
            )
            for c in decision.candidates
        ],
        suggestions=[c.faq_id for c in decision.suggestions],
    )
