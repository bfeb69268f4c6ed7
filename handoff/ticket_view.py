"""What the ticket page shows besides the ticket itself: the whole conversation with names, the bot's candidates
with their approved answers, the team's canned replies, who may type a reply, and the page shown when a reply's
ticket was deleted while staff were typing it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from bot.channel import Transcriber
from console import audit
from console.accounts.models import StaffUser
from console.web import render
from core.numbers import is_ascii_number
from handoff import staff_actions
from handoff.canned import CannedReply
from handoff.models import HELD_STATUSES, Ticket
from handoff.notes import notes_of
from handoff.queue import thread
from handoff.timeline import conversation, staff_names
from knowledge.schema import FaqEntryData


def can_reply(ticket: Ticket, staff: StaffUser) -> bool:
    """Only the assignee of an open, claimed ticket types replies (and so gets 「回答を挿入」)."""
    return ticket.assignee_id == staff.id and ticket.status in HELD_STATUSES


def candidate_rows(ticket: Ticket, entries: Mapping[str, FaqEntryData]) -> list[dict[str, Any]]:
    """The bot's candidates as stored on the ticket, each with its approved answer when the pack still has it."""
    rows = []
    for candidate in ticket.candidates:
        entry = entries.get(str(candidate.get("faq_id", "")))
        rows.append({**candidate, "answer": entry.answer if entry is not None else ""})
    return rows


def ticket_gone(request: Request, session: Session, staff: StaffUser, ticket_id: int,
                draft_text: str) -> HTMLResponse:
    """The reply could not be sent because the ticket no longer exists: say why, and keep the typed text.

    Tickets disappear only through the citizen's 「データ削除」; the audit log (which outlives it) tells a
    deleted ticket from a number that never existed.
    """
    deleted = bool(audit.recent(session, ticket_id=ticket_id, limit=1))
    context = {"ticket_id": ticket_id, "deleted": deleted, "draft_text": draft_text}
    return render(request, "ticket_gone.html", context, staff=staff, status_code=410 if deleted else 404)


def thread_context(session: Session, ticket: Ticket, transcribers: Mapping[str, Transcriber]) -> dict[str, Any]:
    """What ``_thread.html`` needs: the whole conversation, staff named, and the assignee's name
    (``transcribers``: the wired channels', which read the citizen's chat back)."""
    assert ticket.id is not None
    messages, notes = thread(session, ticket.id), notes_of(session, ticket.id)
    names = staff_names(session, [ticket.assignee_id, *(m.staff_user_id for m in messages),
                                  *(n.staff_user_id for n in notes)])
    lines = conversation(session, ticket, messages=messages, notes=notes, names=names,
                         deliveries=staff_actions.delivery_states(session, ticket.id), transcribers=transcribers)
    return {"ticket": ticket, "lines": lines, "assignee_name": names.get(ticket.assignee_id or 0, ""),
            "emergency_count": sum(1 for line in lines if line.emergency)}


def canned_for(session: Session, ticket: Ticket, canned_id: str) -> CannedReply | None:
    """The canned reply ``canned_id`` when it belongs to the ticket's team (for the no-script 「挿入」 link)."""
    reply = session.get(CannedReply, int(canned_id)) if is_ascii_number(canned_id) and len(canned_id) < 10 else None
    return reply if reply is not None and reply.team == ticket.team else None
