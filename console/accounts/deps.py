"""FastAPI dependencies of the staff console: the logged-in user, role checks and CSRF checks.

- ``CurrentStaff``: the active user of the session cookie. Without one, a page GET is redirected (303) to
  ``/staff/login?next=<path>``; any other request (POST, or a script's fetch with ``X-Requested-With``)
  gets 401.
- ``require_roles(*roles)``: the user if their role is allowed (admin always is), else a 403 page.
- ``verify_csrf``: for every state-changing request; the session's token must come back in the form field
  ``csrf_token`` or the header ``X-CSRF-Token``, and the request must not come from another site.

Call ``add_auth_exception_handlers(app)`` once so these refusals become Japanese pages.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from console.accounts.models import StaffSession, StaffUser
from console.accounts.service import lookup_session
from console.roles import ADMIN_ROLES, EDITOR_ROLES, ROLES, TICKET_ROLES
from console.web import render
from core.deps import SessionDep

__all__ = [
    "ADMIN_ROLES", "EDITOR_ROLES", "TICKET_ROLES", "SESSION_COOKIE", "CSRF_FIELD", "CSRF_HEADER",
    "is_production", "session_cookie_name",
    "CurrentStaff", "CurrentLogin", "TicketStaff", "EditorStaff", "AdminStaff", "StaffPageError",
    "require_roles", "verify_csrf", "reject_cross_site", "add_auth_exception_handlers",
]

SESSION_COOKIE = "tsunagu_staff"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PATH = "/staff/login"

CSRF_MESSAGE = "送信内容を確認できませんでした。ページを開き直してから、もう一度操作してください。"
FORBIDDEN_MESSAGE = "このページを開く権限がありません。"
LOGIN_REQUIRED_MESSAGE = "ログインの有効期限が切れたか、ログインしていません。もう一度ログインしてください。"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_production(request: Request) -> bool:
    """Production serves HTTPS only: cookies are Secure and carry the ``__Host-`` prefix."""
    return bool(request.app.state.services.settings.environment == "production")


def session_cookie_name(request: Request) -> str:
    """``__Host-tsunagu_staff`` in production (Secure, Path=/, no Domain: a sibling subdomain cannot plant or
    overwrite it); the plain name in development, where the console is served over plain HTTP."""
    return f"__Host-{SESSION_COOKIE}" if is_production(request) else SESSION_COOKIE


class StaffPageError(Exception):
    """Answer with ``error.html``: a Japanese ``message`` and the given status. Raise it from console code too."""

    def __init__(self, status_code: int, message: str, *, staff: StaffUser | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.staff = staff


class StaffLoginRequired(Exception):
    """No live session: page GETs go to the login page, everything else gets 401."""


def current_login(request: Request, session: SessionDep) -> tuple[StaffSession, StaffUser]:
    """The session row and active user of the cookie; stores the CSRF token on ``request.state`` for render."""
    found = lookup_session(session, request.cookies.get(session_cookie_name(request)))
    if found is None:
        raise StaffLoginRequired()
    login, user = found
    request.state.csrf_token = login.csrf_token
    request.state.staff = user
    return login, user


CurrentLogin = Annotated[tuple[StaffSession, StaffUser], Depends(current_login)]


def current_staff(login: CurrentLogin) -> StaffUser:
    """The logged-in active staff user."""
    return login[1]


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]


def require_roles(*roles: str) -> Callable[[StaffUser], StaffUser]:
    """A dependency returning the user when their role is in ``roles`` (admin always passes), else 403."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles: {sorted(unknown)}" if unknown else "require_roles needs a role")

    def dependency(staff: CurrentStaff) -> StaffUser:
        if staff.has_role(roles) or staff.has_role(ADMIN_ROLES):
            return staff
        raise StaffPageError(403, FORBIDDEN_MESSAGE, staff=staff)

    return dependency


TicketStaff = Annotated[StaffUser, Depends(require_roles(*TICKET_ROLES))]
EditorStaff = Annotated[StaffUser, Depends(require_roles(*EDITOR_ROLES))]
AdminStaff = Annotated[StaffUser, Depends(require_roles(*ADMIN_ROLES))]


def reject_cross_site(request: Request, *, staff: StaffUser | None = None) -> None:
    """403 when the browser says the request comes from another site (``Sec-Fetch-Site``; defence in depth)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise StaffPageError(403, CSRF_MESSAGE, staff=staff)


async def verify_csrf(request: Request, login: CurrentLogin) -> None:
    """403 unless the request carries the session's CSRF token (form field or header) and is same-origin."""
    staff = login[1]
    reject_cross_site(request, staff=staff)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected: str = request.state.csrf_token
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise StaffPageError(403, CSRF_MESSAGE, staff=staff)


def _wants_page(request: Request) -> bool:
    """A browser navigation GET, not a script's fetch (``Sec-Fetch-Mode`` other than navigate, or an
    ``X-Requested-With`` header), which should get a 401 it can act on instead of the login page."""
    mode = request.headers.get("sec-fetch-mode")
    scripted = "x-requested-with" in request.headers
    return request.method in ("GET", "HEAD") and mode in (None, "navigate") and not scripted


def login_redirect(request: Request) -> RedirectResponse:
    """303 to the login page, remembering the requested console path."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PATH}?{urlencode({'next': target})}", status_code=303)


async def _on_login_required(request: Request, exc: Exception) -> Response:
    if _wants_page(request):
        return login_redirect(request)
    return render(request, "error.html", {"message": LOGIN_REQUIRED_MESSAGE, "back_url": LOGIN_PATH,
                                          "back_label": "ログイン画面へ"}, status_code=401)


async def _on_page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StaffPageError)
    return render(request, "error.html", {"message": exc.message}, staff=exc.staff, status_code=exc.status_code)


def add_auth_exception_handlers(app: FastAPI) -> None:
    """Turn StaffLoginRequired and StaffPageError into the login redirect and Japanese error pages."""
    app.add_exception_handler(StaffLoginRequired, _on_login_required)
    app.add_exception_handler(StaffPageError, _on_page_error)
