"""The count-only interaction log (issue 11, improvement loop): what kind of thing happened, never what was said.

One row per countable bot event: a searched question and the decision taken, a tapped choice, 「どれも違う」,
a 👍/👎 on an answer, a declined or sent hand-off, and which reply a question the bot could not answer got:
the offer of staff (``staff_offered``) or the scope reply (``scope_reply``), so that refusals, offers and real
hand-offs (``handoff_sent``: a ticket was opened) are counted apart. The analytics pages count these rows; the
table holds no message text at all. ``line_user_id`` is kept only so that 「データ削除」 and the retention purge
can find a user's rows; it is never shown.

Rows are added to the session that handles the event (the caller commits), so a retried event whose
transaction rolled back leaves nothing behind, and a processed event is never processed again.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, Session, SQLModel, col, delete, or_

KINDS = ("question", "choice", "none_of_these", "feedback", "handoff_declined", "handoff_sent", "staff_offered",
         "scope_reply")
RATINGS = ("up", "down")


class Interaction(SQLModel, table=True):
    """One countable event of a conversation with the bot; no text."""

    __tablename__ = "bot_interaction"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)  # the LINE event time (bot.inbox.event_time), UTC
    line_user_id: str | None = Field(default=None, max_length=100, index=True)  # deletion/retention only
    kind: str = Field(max_length=20)  # one of KINDS
    decision: str | None = Field(default=None, max_length=20)  # DecisionKind value, for kind "question"
    faq_id: str | None = Field(default=None, max_length=120)  # entry answered, tapped or rated
    rating: str | None = Field(default=None, max_length=10)  # "up" | "down", for kind "feedback"
    language: str | None = Field(default=None, max_length=5)  # "ja" | "en", or the code of a language we don't speak


def record_interaction(
    session: Session, *, at: dt.datetime, line_user_id: str | None, kind: str, decision: str | None = None,
    faq_id: str | None = None, rating: str | None = None, language: str | None = None,
) -> Interaction:
    """Add one row to ``session`` (the caller commits with the rest of the event's work)."""
    if kind not in KINDS:
        raise ValueError(f"unknown interaction kind: {kind}")
    if rating is not None and rating not in RATINGS:
        raise ValueError(f"unknown rating: {rating}")
    row = Interaction(at=at, line_user_id=line_user_id, kind=kind, decision=decision, faq_id=faq_id,
                      rating=rating, language=language)
    session.add(row)
    return row


def delete_user_interactions(session: Session, user_id: str) -> int:
    """Delete every row of one LINE user (「データ削除」); the number deleted."""
    return int(session.exec(delete(Interaction).where(col(Interaction.line_user_id) == user_id)).rowcount or 0)


def purge_interactions(session: Session, cutoff: dt.datetime, user_ids: list[str]) -> int:
    """Delete rows older than ``cutoff`` and every row of the expired ``user_ids`` (retention); the number
    deleted."""
    expired = or_(col(Interaction.at) < cutoff, col(Interaction.line_user_id).in_(user_ids))
    return int(session.exec(delete(Interaction).where(expired)).rowcount or 0)
