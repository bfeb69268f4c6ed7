"""Canned replies: a team's ready-made answers, offered beside the FAQ search on its tickets' pages.

A reply belongs to one team. Staff manage their own team's; admins manage every team's. Every change is audited
by id and team only (the text is staff-written, but the audit log keeps no message text).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, Session, SQLModel, col, select

from console import audit
from console.text import normalize_newlines
from core.clock import utcnow

MAX_TITLE_CHARS = 100
MAX_TEXT_CHARS = 4000  # a staff reply's limit (handoff.staff_actions.MAX_REPLY_CHARS)
MAX_PER_TEAM = 200


class CannedReply(SQLModel, table=True):
    """One ready-made answer of a team."""

    __tablename__ = "handoff_canned_reply"

    id: int | None = Field(default=None, primary_key=True)
    team: str = Field(max_length=100, index=True)
    title: str = Field(max_length=MAX_TITLE_CHARS)
    text: str = Field(max_length=MAX_TEXT_CHARS)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class CannedError(ValueError):
    """A canned reply that cannot be stored; the message is Japanese and shown to staff as it is."""


def _clean(title: str, text: str) -> tuple[str, str]:
    title, text = " ".join(title.split()), normalize_newlines(text).strip()
    if not title or not text:
        raise CannedError("題名と本文を入力してください。")
    if len(title) > MAX_TITLE_CHARS:
        raise CannedError(f"題名は{MAX_TITLE_CHARS}文字以内にしてください（現在{len(title)}文字）。")
    if len(text) > MAX_TEXT_CHARS:
        raise CannedError(f"本文は{MAX_TEXT_CHARS}文字以内にしてください（現在{len(text)}文字）。")
    return title, text


def replies_of(session: Session, teams: list[str]) -> list[CannedReply]:
    """The canned replies of ``teams``, by team then title."""
    query = (select(CannedReply).where(col(CannedReply.team).in_(teams))
             .order_by(col(CannedReply.team), col(CannedReply.title), col(CannedReply.id)))
    return list(session.exec(query))


def _record(session: Session, action: str, reply: CannedReply, actor: str, actor_id: int | None) -> None:
    audit.record(session, action=action, actor=actor, actor_staff_id=actor_id,
                 detail=f"canned={reply.id} team={reply.team}")


def create(session: Session, *, team: str, title: str, text: str, actor: str, actor_id: int | None) -> CannedReply:
    """A new canned reply of ``team``; the caller commits."""
    title, text = _clean(title, text)
    if len(replies_of(session, [team])) >= MAX_PER_TEAM:
        raise CannedError(f"定型文は1つの担当課につき{MAX_PER_TEAM}件までです。")
    reply = CannedReply(team=team, title=title, text=text)
    session.add(reply)
    session.flush()
    _record(session, "canned_reply_created", reply, actor, actor_id)
    return reply


def update(session: Session, reply: CannedReply, *, title: str, text: str, actor: str,
           actor_id: int | None) -> None:
    """Change the title and text; the caller commits."""
    reply.title, reply.text = _clean(title, text)
    reply.updated_at = utcnow()
    session.add(reply)
    _record(session, "canned_reply_updated", reply, actor, actor_id)


def delete(session: Session, reply: CannedReply, *, actor: str, actor_id: int | None) -> None:
    """Remove the reply; the caller commits."""
    _record(session, "canned_reply_deleted", reply, actor, actor_id)
    session.delete(reply)
