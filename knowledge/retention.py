"""Retention for FAQ drafts: a draft made from an expired ticket loses the citizen's question.

The draft keeps the staff answer (the city's own text, masked when the draft was made) and the editors' work, as
after a citizen's 「データ削除」 (``knowledge.drafts.forget_questions``), with a note that says why it is gone.
"""

from __future__ import annotations

from sqlmodel import Session, col, update

from knowledge.drafts import FaqDraft

EXPIRED_QUESTION = "（保存期間を過ぎたため、質問文を削除しました）"


def expire_questions(session: Session, ticket_ids: list[int]) -> dict[str, int]:
    """Replace the question of the drafts made from ``ticket_ids``; how many drafts changed."""
    if not ticket_ids:
        return {FaqDraft.__tablename__: 0}
    changed = session.exec(update(FaqDraft).where(
        col(FaqDraft.source_ticket_id).in_(ticket_ids), col(FaqDraft.question) != EXPIRED_QUESTION,
    ).values(question=EXPIRED_QUESTION)).rowcount
    return {FaqDraft.__tablename__: changed}
