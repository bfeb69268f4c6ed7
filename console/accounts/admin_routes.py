"""``/staff/accounts``: administrators manage staff accounts from the console (issue 11).

Create an account, change its role, team and display name, reset its password, disable and re-enable it. Every
change is written to the audit log in the same transaction, never with a password. The rules users rely on
live in ``console.accounts.service`` (shared with ``tsunagu users``): nobody disables themselves or drops their
own admin role, and the last active admin is never disabled or demoted.

Plain HTML forms, no JavaScript. A refused change re-renders the form with the Japanese reason and status 400,
keeping what was typed except passwords; a done change redirects (post/redirect/get) to a fixed notice.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console import audit
from console.accounts.deps import AdminStaff, StaffPageError, verify_csrf
from console.accounts.models import StaffUser
from console.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PasswordPolicyError
from console.accounts.service import (
    AccountError,
    create_user,
    list_users,
    normalize_username,
    set_active,
    set_password,
    update_user,
)
from console.roles import ROLE_LABELS, ROLES
from console.teams import KnownTeams
from console.web import render
from core.db import get_row
from core.deps import SessionDep

ACCOUNTS_PATH = "/staff/accounts"
CSRF = [Depends(verify_csrf)]
Text = Annotated[str, Form()]

NOTICES = {
    "created": "アカウントを作成しました。仮のパスワードは本人に直接伝えてください。",
    "created_no_team": "アカウントを作成しました。担当課が未設定のため、共有キューの設定でない限り"
                       "この職員には問い合わせが表示されません。",
    "updated": "アカウントの設定を変更しました。",
    "unchanged": "変更はありませんでした。",
    "password": "パスワードを再設定しました。このアカウントはすべての画面でログアウトされました。",
    "disabled": "アカウントを無効にしました。ログインできなくなり、ログイン中の画面もログアウトされました。",
    "enabled": "アカウントを有効に戻しました。",
}
PASSWORD_MISMATCH = "2回入力したパスワードが一致しません。"
NOT_FOUND = "このアカウントは見つかりません。"
NAME_TAKEN = "ユーザー名「{name}」は既に使われています。"
UNKNOWN_TEAM = "担当課「{team}」は登録されていません。一覧から選んでください。"

router = APIRouter(prefix=ACCOUNTS_PATH, tags=["staff console"], include_in_schema=False)


def unknown_team(teams: list[str], team: str, *, current: str | None = None) -> str:
    """The Japanese refusal when ``team`` is neither empty, a known team (``Routing.teams``) nor the account's
    current team (kept when only the role or name changes); "" when it is fine."""
    team = team.strip()
    if not team or team in teams or team == (current or ""):
        return ""
    return UNKNOWN_TEAM.format(team=team)


def _context(request: Request, session: Session, teams: list[str], error: str) -> dict[str, object]:
    notice = "" if error else NOTICES.get(request.query_params.get("done", ""), "")
    return {"users": list_users(session), "teams": list(teams), "roles": ROLES, "error": error,
            "notice": notice, "min_password": MIN_PASSWORD_LENGTH, "max_password": MAX_PASSWORD_LENGTH}


def _list_page(request: Request, session: Session, admin: StaffUser, teams: list[str], *,
               form: dict[str, str] | None = None, error: str = "", status_code: int = 200) -> Response:
    context = _context(request, session, teams, error)
    context["form"] = form or {"role": "staff"}
    return render(request, "accounts.html", context, staff=admin, status_code=status_code)


def _edit_page(request: Request, session: Session, admin: StaffUser, teams: list[str], account: StaffUser, *,
               form: dict[str, str] | None = None, error: str = "", status_code: int = 200) -> Response:
    context = _context(request, session, teams, error)
    context.update(account=account, is_self=account.id == admin.id, form=form or {
        "role": account.role, "display_name": account.display_name, "team": account.team or ""})
    return render(request, "account_edit.html", context, staff=admin, status_code=status_code)


def _load(session: Session, admin: StaffUser, user_id: int) -> StaffUser:
    """The account, or a 404 page (an id out of the column's range cannot exist either)."""
    account = get_row(session, StaffUser, user_id)
    if account is None:
        raise StaffPageError(404, NOT_FOUND, staff=admin)
    return account


def _done(account: StaffUser, key: str) -> Response:
    return RedirectResponse(f"{ACCOUNTS_PATH}/{account.id}?done={key}", status_code=303)


def _audit(session: Session, admin: StaffUser, action: str, detail: str) -> None:
    """Add the audit event to the unit of work the service call commits (or the refusal rolls back)."""
    audit.record(session, action=action, actor=admin.username, actor_staff_id=admin.id, detail=detail)


@router.get("", response_class=HTMLResponse)
def accounts_page(request: Request, session: SessionDep, admin: AdminStaff, teams: KnownTeams) -> Response:
    """Every account (active or not) and the form to create one."""
    return _list_page(request, session, admin, teams)


@router.post("", dependencies=CSRF, response_class=HTMLResponse)
def create_account(
    request: Request, session: SessionDep, admin: AdminStaff, teams: KnownTeams, username: Text = "",
    display_name: Text = "", role: Text = "staff", team: Text = "", password: Text = "", password_confirm: Text = "",
) -> Response:
    """Create an active account with a temporary password typed twice by the admin."""
    form = {"username": username, "display_name": display_name, "role": role, "team": team}
    if password != password_confirm:
        return _list_page(request, session, admin, teams, form=form, error=PASSWORD_MISMATCH, status_code=400)
    if refusal := unknown_team(teams, team):
        return _list_page(request, session, admin, teams, form=form, error=refusal, status_code=400)
    name = normalize_username(username)
    _audit(session, admin, "account_created",
           f"ユーザー：{name}、役割：{ROLE_LABELS.get(role, role)}、担当課：{team.strip() or '未設定'}")
    try:
        account = create_user(session, username=username, password=password, role=role,
                              display_name=display_name, team=team)
    except (AccountError, PasswordPolicyError, IntegrityError) as exc:
        session.rollback()
        message = NAME_TAKEN.format(name=name) if isinstance(exc, IntegrityError) else str(exc)
        return _list_page(request, session, admin, teams, form=form, error=message, status_code=400)
    return _done(account, "created_no_team" if account.role == "staff" and not account.team else "created")


@router.get("/{user_id}", response_class=HTMLResponse)
def account_page(user_id: int, request: Request, session: SessionDep, admin: AdminStaff, teams: KnownTeams) -> Response:
    """One account: its profile form, the password reset and the disable/enable button."""
    return _edit_page(request, session, admin, teams, _load(session, admin, user_id))


def _changes(account: StaffUser, role: str, display_name: str, team: str | None) -> list[str]:
    """What a profile change changes, in Japanese (for the audit log)."""
    pairs = [("役割", ROLE_LABELS.get(account.role, account.role), ROLE_LABELS.get(role, role)),
             ("表示名", account.display_name, display_name), ("担当課", account.team or "未設定", team or "未設定")]
    return [f"{label}：{old} → {new}" for label, old, new in pairs if old != new]


@router.post("/{user_id}/profile", dependencies=CSRF, response_class=HTMLResponse)
def update_account(
    user_id: int, request: Request, session: SessionDep, admin: AdminStaff, teams: KnownTeams,
    role: Text = "", display_name: Text = "", team: Text = "",
) -> Response:
    """Change role, display name and team (not for one's own admin role, never for the last admin)."""
    account = _load(session, admin, user_id)
    if refusal := unknown_team(teams, team, current=account.team):
        form = {"role": role, "display_name": display_name, "team": team}
        return _edit_page(request, session, admin, teams, account, form=form, error=refusal, status_code=400)
    changes = _changes(account, role, display_name.strip() or account.username, team.strip() or None)
    if not changes:
        return _done(account, "unchanged")
    _audit(session, admin, "account_updated", f"ユーザー：{account.username}、" + "、".join(changes))
    try:
        update_user(session, account, role=role, display_name=display_name, team=team, actor=admin)
    except AccountError as exc:
        session.rollback()
        form = {"role": role, "display_name": display_name, "team": team}
        return _edit_page(request, session, admin, teams, account, form=form, error=str(exc), status_code=400)
    return _done(account, "updated")


@router.post("/{user_id}/password", dependencies=CSRF, response_class=HTMLResponse)
def reset_password(
    user_id: int, request: Request, session: SessionDep, admin: AdminStaff, teams: KnownTeams,
    password: Text = "", password_confirm: Text = "",
) -> Response:
    """Set a temporary password typed twice; the account's sessions end (it logs in again)."""
    account = _load(session, admin, user_id)
    if password != password_confirm:
        return _edit_page(request, session, admin, teams, account, error=PASSWORD_MISMATCH, status_code=400)
    _audit(session, admin, "account_password_reset", f"ユーザー：{account.username}")
    try:
        set_password(session, account, password)
    except PasswordPolicyError as exc:
        session.rollback()
        return _edit_page(request, session, admin, teams, account, error=str(exc), status_code=400)
    return _done(account, "password")


def _set_active(request: Request, session: Session, admin: StaffUser, teams: list[str], user_id: int,
                active: bool) -> Response:
    account = _load(session, admin, user_id)
    if account.active == active:
        return _done(account, "unchanged")
    _audit(session, admin, "account_enabled" if active else "account_disabled", f"ユーザー：{account.username}")
    try:
        set_active(session, account, active, actor=admin)
    except AccountError as exc:
        session.rollback()
        return _edit_page(request, session, admin, teams, account, error=str(exc), status_code=400)
    return _done(account, "enabled" if active else "disabled")


@router.post("/{user_id}/disable", dependencies=CSRF, response_class=HTMLResponse)
def disable_account(user_id: int, request: Request, session: SessionDep, admin: AdminStaff,
                    teams: KnownTeams) -> Response:
    """Disable (not for oneself, never the last admin): no login, sessions end, the history stays."""
    return _set_active(request, session, admin, teams, user_id, False)


@router.post("/{user_id}/enable", dependencies=CSRF, response_class=HTMLResponse)
def enable_account(user_id: int, request: Request, session: SessionDep, admin: AdminStaff,
                   teams: KnownTeams) -> Response:
    """Let a disabled account log in again with its current password."""
    return _set_active(request, session, admin, teams, user_id, True)
