"""The staff console: the ticket queue, a ticket's page and its actions (server-rendered, Japanese UI).

Routes stay thin: they check the role and CSRF (dependencies), call ``handoff.staff_actions`` and redirect
(post/redirect/get). Messages shown after an action are fixed texts chosen by key, never echoed input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from console import audit
from console.accounts.deps import AdminStaff, EditorStaff, StaffPageError, TicketStaff, verify_csrf
from console.accounts.models import StaffUser
from console.web import render
from core.db import get_row
from core.deps import SessionDep
from handoff import canned, notes, staff_actions
from handoff.access import NO_TEAM, NOT_YOUR_TEAM, TeamScope, may_transfer
from handoff.deliveries import failed_deliveries
from handoff.desk import StaffDesk, get_staff_desk
from handoff.models import Ticket
from handoff.queue import STATUS_FILTERS, STATUS_LABELS, QueueFilter, list_tickets
from handoff.routing import UNROUTED
from handoff.ticket_view import can_reply, candidate_rows, canned_for, thread_context, ticket_gone
from knowledge.drafts import create_draft, list_drafts

Desk = Annotated[StaffDesk, Depends(get_staff_desk)]
FAQ_SEARCH_RESULTS = 5
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"  # added to the console's by the app

NOTICES = {
    "claimed": "担当しました。",
    "unclaimed": "担当を外し、受付待ちに戻しました。",
    "replied": "回答を送信しました（送信状況は、やり取りの中のその回答に表示されます）。",
    "resolved": "対応を終了しました。利用者に評価をお願いするメッセージを送りました。",
    "transferred": "担当課を変更しました。",
    "drafted": "FAQ案を作成しました。編集担当者が確認します。",
    "noted": "内部メモを追加しました（利用者には送られません）。",
}

router = APIRouter(prefix="/staff", tags=["staff console"])


TRANSFER_REFUSED = "担当者がいる問い合わせの転送は、担当者本人か管理者だけができます。"


def _scope(staff: StaffUser, desk: StaffDesk) -> TeamScope:
    return TeamScope.of(staff, shared_queue=desk.shared_queue)


def _queue_context(request: Request, session: Session, staff: StaffUser, desk: StaffDesk) -> dict[str, object]:
    params = request.query_params
    scope = _scope(staff, desk)
    teams = scope.visible(desk.routing.teams)
    queue = QueueFilter.parse(params.get("team"), params.get("status"), params.get("mine"), teams)
    return {"queue": queue, "tickets": list_tickets(session, queue, staff.id, teams=scope.teams), "teams": teams,
            "status_filters": STATUS_FILTERS, "status_labels": STATUS_LABELS,
            "scope_notice": NO_TEAM if scope.teams == frozenset() else "", "unrouted": UNROUTED}


@router.get("/", response_class=HTMLResponse)
def queue_page(request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    """The queue: urgent first, then oldest; refreshed by polling ``/staff/queue/rows``."""
    return render(request, "queue.html", _queue_context(request, session, staff, desk), staff=staff)


@router.get("/queue/rows", response_class=HTMLResponse)
def queue_rows(request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    """The queue's table rows alone (the page swaps them in every few seconds)."""
    return render(request, "_queue_rows.html", _queue_context(request, session, staff, desk), staff=staff)


def _load(session: Session, ticket_id: int) -> Ticket | None:
    """The ticket, or None when there is none (an id out of the column's range cannot exist either)."""
    return get_row(session, Ticket, ticket_id)


def _check_access(staff: StaffUser, desk: StaffDesk, ticket: Ticket) -> None:
    """403 with the reason when the ticket belongs to a team the staff member may not see."""
    if not _scope(staff, desk).allows(ticket):
        raise StaffPageError(403, NOT_YOUR_TEAM.format(team=staff.team or "未設定"), staff=staff)


def _visible(session: Session, staff: StaffUser, desk: StaffDesk, ticket_id: int) -> Ticket | None:
    """The ticket when it exists (None otherwise); 403 when it belongs to a team the staff member may not see."""
    ticket = _load(session, ticket_id)
    if ticket is not None:
        _check_access(staff, desk, ticket)
    return ticket


def _faq_results(desk: StaffDesk, query: str) -> list[dict[str, str]]:
    """The approved entries nearest to ``query``, with their answers (for 「回答を挿入」)."""
    if not query.strip():
        return []
    decision = desk.retriever.decide(query[:200])
    entries = desk.retriever.entries
    return [{"id": c.faq_id, "question": entries[c.faq_id].question, "answer": entries[c.faq_id].answer}
            for c in decision.candidates[:FAQ_SEARCH_RESULTS] if c.faq_id in entries]


def _prefill(request: Request, session: Session, desk: StaffDesk, ticket: Ticket) -> str:
    """The reply box's text from a no-script 「回答を挿入」 link: an approved FAQ answer or a team canned reply."""
    insert = request.query_params.get("insert", "")
    if insert in desk.retriever.entries:
        return desk.retriever.entries[insert].answer  # an approved answer, to send as it is or adapt
    reply = canned_for(session, ticket, request.query_params.get("canned", ""))
    return reply.text if reply is not None else ""


def _ticket_page(request: Request, session: Session, staff: StaffUser, desk: StaffDesk, ticket: Ticket, *,
                 error: str = "", draft_text: str = "", note_text: str = "", status_code: int = 200) -> Response:
    assert ticket.id is not None
    query = request.query_params.get("q", "")
    draft_text = draft_text or _prefill(request, session, desk, ticket)
    staff_actions.mark_read(session, staff, ticket)
    session.commit()
    context = {
        **thread_context(session, ticket, desk.transcribers), "status_labels": STATUS_LABELS, "note_text": note_text,
        "canned_replies": canned.replies_of(session, [ticket.team]), "max_note": notes.MAX_NOTE_CHARS,
        "candidates": candidate_rows(ticket, desk.retriever.entries), "can_reply": can_reply(ticket, staff),
        "teams": [team for team in desk.routing.teams if team != ticket.team], "faq_query": query,
        "faq_results": _faq_results(desk, query), "draft_text": draft_text, "error": error,
        "notice": NOTICES.get(request.query_params.get("done", ""), ""),
        "history": audit.recent(session, ticket_id=ticket.id, limit=50),
        "is_assignee": ticket.assignee_id == staff.id, "unrouted": UNROUTED,
    }
    return render(request, "ticket.html", context, staff=staff, status_code=status_code)


def _missing(request: Request, staff: StaffUser) -> Response:
    return render(request, "error.html", {"message": "この問い合わせは見つかりません。"}, staff=staff, status_code=404)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(ticket_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    ticket = _visible(session, staff, desk, ticket_id)
    if ticket is None:
        return _missing(request, staff)
    return _ticket_page(request, session, staff, desk, ticket)


@router.get("/tickets/{ticket_id}/thread", response_class=HTMLResponse)
def ticket_thread(ticket_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    """The thread alone (polled by the ticket page so new citizen messages appear without reload)."""
    ticket = _visible(session, staff, desk, ticket_id)
    if ticket is None or ticket.id is None:
        return _missing(request, staff)
    return render(request, "_thread.html", thread_context(session, ticket, desk.transcribers), staff=staff)


@router.get("/tickets/{ticket_id}/faq", response_class=HTMLResponse)
def faq_search(ticket_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    """FAQ search results alone (the ticket page's script swaps them in, so the reply being typed stays)."""
    ticket = _visible(session, staff, desk, ticket_id)
    if ticket is None or ticket.id is None:
        return _missing(request, staff)
    query = request.query_params.get("q", "")[:200]
    context = {"ticket": ticket, "faq_query": query, "faq_results": _faq_results(desk, query),
               "can_reply": can_reply(ticket, staff)}
    return render(request, "_faq_results.html", context, staff=staff)


def _gone(request: Request, session: Session, staff: StaffUser, ticket_id: int, draft_text: str) -> Response:
    """A missing ticket; for a reply (deleted by the citizen while it was typed) say why and keep the text."""
    return ticket_gone(request, session, staff, ticket_id, draft_text) if draft_text else _missing(request, staff)


def _act(request: Request, session: Session, staff: StaffUser, desk: StaffDesk, ticket_id: int, done: str,
         action: staff_actions.Action, draft_text: str = "", note_text: str = "") -> Response:
    """Run one action on a ticket the staff member may see; on success commit and redirect, on a refused action
    show the page with the reason."""
    if _visible(session, staff, desk, ticket_id) is None:
        return _gone(request, session, staff, ticket_id, draft_text)
    try:
        action()
    except staff_actions.TicketActionError as refused:
        session.rollback()
        ticket = _load(session, ticket_id)
        if ticket is None:
            return _gone(request, session, staff, ticket_id, draft_text)
        return _ticket_page(request, session, staff, desk, ticket, error=str(refused), draft_text=draft_text,
                            note_text=note_text, status_code=409)
    session.commit()
    return RedirectResponse(f"/staff/tickets/{ticket_id}?done={done}", status_code=303)


CSRF = [Depends(verify_csrf)]


@router.post("/tickets/{ticket_id}/claim", dependencies=CSRF)
def claim(ticket_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    return _act(request, session, staff, desk, ticket_id, "claimed",
                lambda: staff_actions.claim(session, staff, ticket_id, desk.routing))


@router.post("/tickets/{ticket_id}/unclaim", dependencies=CSRF)
def unclaim(ticket_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    return _act(request, session, staff, desk, ticket_id, "unclaimed",
                lambda: staff_actions.unclaim(session, staff, ticket_id))


@router.post("/tickets/{ticket_id}/reply", dependencies=CSRF)
def reply(ticket_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk,
          text: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    return _act(request, session, staff, desk, ticket_id, "replied",
                lambda: staff_actions.reply(session, staff, ticket_id, text, replies=desk.replies,
                                            calendar=desk.calendar, renderers=desk.renderers), draft_text=text)


@router.post("/tickets/{ticket_id}/resolve", dependencies=CSRF)
def resolve(ticket_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    return _act(request, session, staff, desk, ticket_id, "resolved",
                lambda: staff_actions.resolve(session, staff, ticket_id, replies=desk.replies,
                                              renderers=desk.renderers))


@router.post("/tickets/{ticket_id}/transfer", dependencies=CSRF)
def transfer(ticket_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk,
             team: Annotated[str, Form(max_length=100)] = "") -> Response:
    def transfer_ticket() -> None:
        ticket = _load(session, ticket_id)
        if ticket is not None and not may_transfer(staff, ticket):
            raise staff_actions.TicketActionError(TRANSFER_REFUSED)
        staff_actions.transfer(session, staff, ticket_id, team, desk.routing)

    response = _act(request, session, staff, desk, ticket_id, "transferred", transfer_ticket)
    if response.status_code != status.HTTP_303_SEE_OTHER:
        return response  # refused: the ticket page with the reason
    # The ticket now belongs to another team, which the transferring staff member may no longer see: back to the
    # queue, which says 「転送しました」.
    return RedirectResponse(f"/staff/?done=transferred&ticket={ticket_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/tickets/{ticket_id}/notes", dependencies=CSRF)
def add_note(ticket_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk,
             text: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    """「内部メモ」: a note for staff who may see the ticket; never sent to the citizen."""

    def note() -> None:
        try:
            notes.add_note(session, ticket_id=ticket_id, staff_id=staff.id, actor=staff.username, text=text)
        except notes.NoteError as refused:
            raise staff_actions.TicketActionError(str(refused)) from refused

    return _act(request, session, staff, desk, ticket_id, "noted", note, note_text=text)


@router.post("/tickets/{ticket_id}/draft", dependencies=CSRF)
def make_draft(ticket_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    """「この回答をFAQ案にする」: the question and the latest staff answer become a draft for editors."""

    def draft() -> None:
        ticket = _load(session, ticket_id)
        answer = staff_actions.latest_staff_answer(session, ticket_id)
        if ticket is None or answer is None:
            raise staff_actions.TicketActionError("FAQ案にする職員の回答がまだありません。")
        created = create_draft(session, question=ticket.question, answer=answer, category=ticket.category,
                               source_ticket_id=ticket_id, created_by=staff.username)
        session.flush()
        audit.record(session, action="faq_draft_created", actor=staff.username, actor_staff_id=staff.id,
                     ticket_id=ticket_id, detail=f"draft={created.id}")

    return _act(request, session, staff, desk, ticket_id, "drafted", draft)


@router.get("/drafts", response_class=HTMLResponse)
def drafts_page(request: Request, session: SessionDep, editor: EditorStaff) -> Response:
    """FAQ drafts made from staff answers, for editors."""
    return render(request, "drafts.html", {"drafts": list_drafts(session)}, staff=editor)


@router.get("/deliveries", response_class=HTMLResponse)
def deliveries_page(request: Request, session: SessionDep, admin: AdminStaff) -> Response:
    """Replies to citizens that LINE never accepted after every attempt (administrators only)."""
    return render(request, "deliveries.html", {"failures": failed_deliveries(session, limit=500)}, staff=admin)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, admin: AdminStaff) -> Response:
    """The newest audit events (administrators only)."""
    return render(request, "audit.html", {"events": audit.recent(session, limit=500)}, staff=admin)
