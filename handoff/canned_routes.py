"""``/staff/canned``: staff manage their team's canned replies; administrators manage every team's.

Plain HTML forms with CSRF (post/redirect/get). A refused change re-renders the form with the Japanese reason
and status 400, keeping what was typed. Changes are audited by id and team (``handoff.canned``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from console.accounts.deps import StaffPageError, TicketStaff, verify_csrf
from console.accounts.models import StaffUser
from console.roles import ADMIN_ROLES
from console.web import render
from core.db import get_row
from core.deps import SessionDep
from handoff import canned
from handoff.canned import CannedReply
from handoff.desk import StaffDesk, get_staff_desk

CANNED_PATH = "/staff/canned"
CSRF = [Depends(verify_csrf)]
Desk = Annotated[StaffDesk, Depends(get_staff_desk)]
Text = Annotated[str, Form(max_length=20_000)]

NOTICES = {"created": "定型文を作成しました。", "updated": "定型文を変更しました。",
           "deleted": "定型文を削除しました。"}
NOT_FOUND = "この定型文は見つかりません。"
NOT_YOUR_TEAM = "この担当課の定型文は変更できません（変更できるのは自分の担当課の定型文だけです）。"
NO_TEAM = "担当課が設定されていないため、定型文を作成できません。管理者に担当課の設定を依頼してください。"

router = APIRouter(prefix=CANNED_PATH, tags=["staff console"], include_in_schema=False)


def manageable_teams(staff: StaffUser, desk: StaffDesk) -> list[str]:
    """Teams whose canned replies ``staff`` may change: their own; every routed team for administrators."""
    if staff.has_role(ADMIN_ROLES):
        return sorted({*desk.routing.teams, *([staff.team] if staff.team else [])})
    return [staff.team] if staff.team else []


def _list_page(request: Request, session: Session, staff: StaffUser, desk: StaffDesk, *,
               form: dict[str, str] | None = None, error: str = "", status_code: int = 200) -> Response:
    teams = manageable_teams(staff, desk)
    context = {"teams": teams, "replies": canned.replies_of(session, teams), "error": error,
               "notice": "" if error else NOTICES.get(request.query_params.get("done", ""), ""),
               "no_team": NO_TEAM if not teams else "", "form": form or {"team": teams[0] if teams else ""},
               "max_title": canned.MAX_TITLE_CHARS, "max_text": canned.MAX_TEXT_CHARS}
    return render(request, "canned.html", context, staff=staff, status_code=status_code)


def _load(session: Session, staff: StaffUser, desk: StaffDesk, reply_id: int) -> CannedReply:
    """The reply when ``staff`` may change it: 404 when there is none, 403 for another team's."""
    reply = get_row(session, CannedReply, reply_id)
    if reply is None:
        raise StaffPageError(404, NOT_FOUND, staff=staff)
    if reply.team not in manageable_teams(staff, desk):
        raise StaffPageError(403, NOT_YOUR_TEAM, staff=staff)
    return reply


def _edit_page(request: Request, staff: StaffUser, reply: CannedReply, *, form: dict[str, str] | None = None,
               error: str = "", status_code: int = 200) -> Response:
    context = {"reply": reply, "form": form or {"title": reply.title, "text": reply.text}, "error": error,
               "max_title": canned.MAX_TITLE_CHARS, "max_text": canned.MAX_TEXT_CHARS}
    return render(request, "canned_edit.html", context, staff=staff, status_code=status_code)


def _done(key: str) -> Response:
    return RedirectResponse(f"{CANNED_PATH}?done={key}", status_code=303)


@router.get("", response_class=HTMLResponse)
def canned_page(request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    """The canned replies of the teams the staff member manages, and the form to add one."""
    return _list_page(request, session, staff, desk)


@router.post("", dependencies=CSRF, response_class=HTMLResponse)
def create_reply(request: Request, session: SessionDep, staff: TicketStaff, desk: Desk,
                 team: Annotated[str, Form(max_length=100)] = "", title: Text = "", text: Text = "") -> Response:
    form = {"team": team, "title": title, "text": text}
    if team not in manageable_teams(staff, desk):
        return _list_page(request, session, staff, desk, form=form, status_code=400,
                          error=NO_TEAM if not manageable_teams(staff, desk) else NOT_YOUR_TEAM)
    try:
        canned.create(session, team=team, title=title, text=text, actor=staff.username, actor_id=staff.id)
    except canned.CannedError as refused:
        session.rollback()
        return _list_page(request, session, staff, desk, form=form, error=str(refused), status_code=400)
    session.commit()
    return _done("created")


@router.get("/{reply_id}", response_class=HTMLResponse)
def edit_page(reply_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    return _edit_page(request, staff, _load(session, staff, desk, reply_id))


@router.post("/{reply_id}", dependencies=CSRF, response_class=HTMLResponse)
def update_reply(reply_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk,
                 title: Text = "", text: Text = "") -> Response:
    reply = _load(session, staff, desk, reply_id)
    try:
        canned.update(session, reply, title=title, text=text, actor=staff.username, actor_id=staff.id)
    except canned.CannedError as refused:
        session.rollback()
        reply = _load(session, staff, desk, reply_id)
        return _edit_page(request, staff, reply, form={"title": title, "text": text}, error=str(refused),
                          status_code=400)
    session.commit()
    return _done("updated")


@router.post("/{reply_id}/delete", dependencies=CSRF, response_class=HTMLResponse)
def delete_reply(reply_id: int, request: Request, session: SessionDep, staff: TicketStaff, desk: Desk) -> Response:
    canned.delete(session, _load(session, staff, desk, reply_id), actor=staff.username, actor_id=staff.id)
    session.commit()
    return _done("deleted")
