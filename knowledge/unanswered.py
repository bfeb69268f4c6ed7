"""Questions the bot could not answer, kept for editors (issue 11, improvement loop).

A row is written when the bot found nothing and offered staff (``no_answer``: a city matter the pack does not
answer, also in a language the bot does not speak), when a citizen declined that offer (the row becomes
``handoff_declined``), left a list of suggestions without choosing, said 「どれも違う」 to them, or rated an
answer 👎. The text is the citizen's question with personal data masked
(``knowledge.pii.mask_personal_data``) before it is stored; ``line_user_id`` is kept only so that 「データ削除」
and the retention purge can find the rows, and is never shown.

A suggestion list is only unanswered once the citizen had time to tap one: ``open_unanswered`` leaves
``suggest_not_chosen`` rows out until they are ``settle_minutes`` old, and the bot marks the row ``chosen``
when the same citizen taps a choice. Editors then mark rows ``added`` (the question became an entry or an
alternative question), ``drafted`` (a FAQ案 was made from it) or ``dismissed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import JSON, Column, ColumnElement, Text, and_, func
from sqlmodel import Field, Session, SQLModel, col, delete, or_, select

from core.clock import utcnow
from knowledge.pii import mask_personal_data

REASONS = ("no_answer", "handoff_declined", "suggest_not_chosen", "none_of_these", "feedback_down")
REASON_LABELS = {"no_answer": "答えが見つからず職員を案内した", "handoff_declined": "職員への引き継ぎを断った",
                 "suggest_not_chosen": "候補から選ばなかった", "none_of_these": "「どれも違う」を選んだ",
                 "feedback_down": "回答に👎"}  # how editors and analytics name each reason
STATUSES = ("open", "chosen", "added", "drafted", "dismissed")
MAX_TEXT = 2000

SETTLE_MINUTES = 10  # a list of suggestions counts as unanswered once this old (the citizen may still tap)


class UnansweredQuestion(SQLModel, table=True):
    """One question the bot did not answer to the citizen's satisfaction, masked."""

    __tablename__ = "knowledge_unanswered"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)  # the LINE event time of the question's outcome, UTC
    line_user_id: str | None = Field(default=None, max_length=100, index=True)  # deletion/retention only
    text: str = Field(sa_column=Column(Text, nullable=False))  # masked
    reason: str = Field(max_length=30)  # one of REASONS
    candidate_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    faq_id: str | None = Field(default=None, max_length=120)  # entry rated 👎, or the suggestion chosen later
    status: str = Field(default="open", max_length=20, index=True)  # one of STATUSES
    handled_by: str | None = Field(default=None, max_length=100)
    handled_at: dt.datetime | None = None


def record_unanswered(
    session: Session, *, at: dt.datetime, line_user_id: str | None, text: str, reason: str,
    candidate_ids: Iterable[str], faq_id: str | None = None,
) -> UnansweredQuestion:
    """Add one open row with ``text`` masked (the caller commits with the rest of the event's work)."""
    if reason not in REASONS:
        raise ValueError(f"unknown reason: {reason}")
    row = UnansweredQuestion(
        at=at, line_user_id=line_user_id, text=mask_personal_data(text)[:MAX_TEXT], reason=reason,
        candidate_ids=list(candidate_ids), faq_id=faq_id,
    )
    session.add(row)
    return row


def open_and_settled(now: dt.datetime, settle_minutes: int = SETTLE_MINUTES) -> ColumnElement[bool]:
    """Rows still open; a ``suggest_not_chosen`` row only once it is ``settle_minutes`` old, since the citizen
    may still tap one of the suggestions."""
    settled = now - dt.timedelta(minutes=settle_minutes)
    return and_(col(UnansweredQuestion.status) == "open",
                (col(UnansweredQuestion.reason) != "suggest_not_chosen") | (col(UnansweredQuestion.at) <= settled))


def open_unanswered(
    session: Session, *, now: dt.datetime, settle_minutes: int = SETTLE_MINUTES, limit: int = 1000
) -> list[UnansweredQuestion]:
    """Open rows (``open_and_settled``), newest first."""
    query = (
        select(UnansweredQuestion)
        .where(open_and_settled(now, settle_minutes))
        .order_by(col(UnansweredQuestion.at).desc(), col(UnansweredQuestion.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def count_open_by_reason(
    session: Session, *, now: dt.datetime, settle_minutes: int = SETTLE_MINUTES
) -> dict[str, int]:
    """How many rows ``open_unanswered`` would list, per reason (one counting query, no texts read)."""
    query = (select(UnansweredQuestion.reason, func.count()).where(open_and_settled(now, settle_minutes))
             .group_by(col(UnansweredQuestion.reason)))
    return {str(reason): int(count) for reason, count in session.exec(query)}


def mark_handled(session: Session, ids: Iterable[int], status: str, by: str) -> int:
    """Set ``status`` on the rows ``ids`` as handled by ``by`` now (the caller commits); returns the number of
    rows changed. ``open`` reopens a row and clears who handled it."""
    if status not in STATUSES:
        raise ValueError(f"unknown status: {status}")
    wanted = list(ids)
    if not wanted:
        return 0
    rows = session.exec(select(UnansweredQuestion).where(col(UnansweredQuestion.id).in_(wanted))).all()
    now = utcnow()
    for row in rows:
        row.status = status
        row.handled_by, row.handled_at = (None, None) if status == "open" else (by[:100], now)
        session.add(row)
    return len(rows)


def open_of_user(session: Session, line_user_id: str, reason: str, limit: int = 10) -> list[UnansweredQuestion]:
    """The user's newest open rows of ``reason``, newest first (a tap or 「どれも違う」 settles one of them)."""
    query = (
        select(UnansweredQuestion)
        .where(col(UnansweredQuestion.line_user_id) == line_user_id, col(UnansweredQuestion.reason) == reason,
               col(UnansweredQuestion.status) == "open")
        .order_by(col(UnansweredQuestion.at).desc(), col(UnansweredQuestion.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def delete_user_unanswered(session: Session, user_id: str) -> int:
    """Delete every row of one LINE user (「データ削除」); the number deleted."""
    statement = delete(UnansweredQuestion).where(col(UnansweredQuestion.line_user_id) == user_id)
    return int(session.exec(statement).rowcount or 0)


def purge_unanswered(session: Session, cutoff: dt.datetime, user_ids: list[str]) -> int:
    """Delete rows older than ``cutoff`` and every row of the expired ``user_ids`` (retention), whatever their
    status: the text is the citizen's; the number deleted."""
    expired = or_(col(UnansweredQuestion.at) < cutoff, col(UnansweredQuestion.line_user_id).in_(user_ids))
    return int(session.exec(delete(UnansweredQuestion).where(expired)).rowcount or 0)
