"""``/staff/login`` and ``/staff/logout``: plain HTML forms that work without JavaScript.

Login CSRF (before any session exists) uses a double-submit token: the login page sets a random token in a
short-lived HttpOnly, SameSite=Strict cookie and repeats it in a hidden field; the POST must bring both and
they must match. Another site can neither read the cookie nor set it; in production the cookie carries the
``__Host-`` prefix (Secure, Path=/, no Domain), so a sibling subdomain cannot plant one either. Requests a
browser marks as cross-site (``Sec-Fetch-Site``) are refused as well.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.accounts.deps import LOGIN_PATH, is_production, reject_cross_site, session_cookie_name, verify_csrf
from console.accounts.models import StaffUser
from console.accounts.service import (
    SESSION_LIFETIME,
    LoginError,
    authenticate,
    create_session,
    delete_session,
    lookup_session,
)
from console.roles import TICKET_ROLES
from console.web import render
from core.deps import SessionDep

LOGOUT_PATH = "/staff/logout"
DEFAULT_NEXT = "/staff/"
EDITOR_HOME = "/staff/editor"  # where users who do not answer tickets (editors) land by default
LOGIN_CSRF_COOKIE = "tsunagu_login_csrf"
LOGIN_CSRF_MAX_AGE = 60 * 60
EXPIRED_FORM = "ログイン画面の有効期限が切れました。もう一度ユーザー名とパスワードを入力してください。"

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None) -> str:
    """``value`` when it is a same-site console path (``/staff`` or ``/staff/...``), else ``/staff/``.

    Refuses absolute and scheme-relative URLs, backslashes, control characters, dot segments and the
    login/logout pages themselves, so ``next`` can never redirect to another site.
    """
    if not value or len(value) > 2000 or "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return DEFAULT_NEXT
    if not value.startswith("/") or value.startswith("//"):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    if not (parts.path == "/staff" or parts.path.startswith("/staff/")):
        return DEFAULT_NEXT
    if parts.path.rstrip("/") in (LOGIN_PATH, LOGOUT_PATH) or ".." in unquote(parts.path).split("/"):
        return DEFAULT_NEXT
    return value


def landing(next_url: str, user: StaffUser) -> str:
    """``next_url``, except that the default landing (the ticket queue) becomes the editor's home for a user who
    does not answer tickets: an editor would otherwise land on 「権限がありません」."""
    return EDITOR_HOME if next_url == DEFAULT_NEXT and not user.has_role(TICKET_ROLES) else next_url


def _login_csrf_cookie(request: Request) -> str:
    return f"__Host-{LOGIN_CSRF_COOKIE}" if is_production(request) else LOGIN_CSRF_COOKIE


def _login_page(
    request: Request, *, next_url: str, error: str | None = None, username: str = "", status_code: int = 200
) -> HTMLResponse:
    """The login form with a fresh double-submit token (cookie + hidden field)."""
    token = secrets.token_urlsafe(32)
    context = {"csrf_token": token, "next": next_url, "error": error, "username": username}
    response = render(request, "login.html", context, status_code=status_code)
    response.set_cookie(_login_csrf_cookie(request), token, max_age=LOGIN_CSRF_MAX_AGE, path="/",
                        secure=is_production(request), httponly=True, samesite="strict")
    return response


def _login_token_ok(request: Request, sent: str) -> bool:
    expected = request.cookies.get(_login_csrf_cookie(request), "")
    return bool(sent and expected) and hmac.compare_digest(sent.encode(), expected.encode())


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_form(request: Request, session: SessionDep, next: str | None = None) -> Response:
    """The login page; someone already logged in goes straight on to ``next``."""
    found = lookup_session(session, request.cookies.get(session_cookie_name(request)))
    if found is not None:
        return RedirectResponse(landing(safe_next(next), found[1]), status_code=303)
    return _login_page(request, next_url=safe_next(next))


@router.post(LOGIN_PATH, response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the form token, then the password (throttled); on success start a new session and go to ``next``."""
    reject_cross_site(request)
    next_url = safe_next(next)
    username = username.strip()[:64]
    if not _login_token_ok(request, csrf_token):
        return _login_page(request, next_url=next_url, error=EXPIRED_FORM, username=username, status_code=403)
    client_ip = request.client.host if request.client else None
    try:
        user = authenticate(session, username, password, client_ip)
    except LoginError as exc:
        status_code = 429 if exc.throttled else 401
        return _login_page(request, next_url=next_url, error=exc.message, username=username, status_code=status_code)
    delete_session(session, request.cookies.get(session_cookie_name(request)))  # never reuse an earlier session id
    token, _ = create_session(session, user)
    response = RedirectResponse(landing(next_url, user), status_code=303)
    response.set_cookie(session_cookie_name(request), token, max_age=int(SESSION_LIFETIME.total_seconds()),
                        path="/", secure=is_production(request), httponly=True, samesite="lax")
    response.delete_cookie(_login_csrf_cookie(request), path="/", secure=is_production(request), httponly=True,
                           samesite="strict")
    return response


@router.post(LOGOUT_PATH, dependencies=[Depends(verify_csrf)])
def logout(request: Request, session: SessionDep) -> Response:
    """End the session (the row is deleted) and clear the cookie."""
    delete_session(session, request.cookies.get(session_cookie_name(request)))
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(session_cookie_name(request), path="/", secure=is_production(request), httponly=True,
                           samesite="lax")
    return response
