"""Shared rendering for the staff console: one Jinja2 environment for ``handoff/templates`` and its static files.

Templates are autoescaped (``.html``). Pages may not use inline scripts or ``style`` attributes: the
Content-Security-Policy (``tsunagu/security.py``) forbids them, so behaviour goes in ``/staff/static/*.js``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import FileSystemLoader

from handoff.accounts.models import ADMIN_ROLES, EDITOR_ROLES, ROLE_LABELS, TICKET_ROLES, StaffUser

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PATH = "/staff/static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals.update(
    ROLE_LABELS=ROLE_LABELS, TICKET_ROLES=TICKET_ROLES, EDITOR_ROLES=EDITOR_ROLES, ADMIN_ROLES=ADMIN_ROLES,
    STATIC_PATH=STATIC_PATH,
)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    staff: StaffUser | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a console template with ``staff`` (the logged-in user or None) and ``csrf_token`` added.

    ``csrf_token`` is the current session's token (set on ``request.state`` by the login dependencies), so
    every form can carry it as a hidden field; a ``csrf_token`` in ``context`` wins (the login page's own).
    """
    values: dict[str, Any] = {"staff": staff, "csrf_token": getattr(request.state, "csrf_token", "")}
    values.update(context or {})
    return templates.TemplateResponse(request, name, values, status_code=status_code, headers=dict(headers or {}))


def add_template_dir(directory: Path) -> None:
    """Let another package's console pages (the editor, analytics) extend ``base.html`` from their own folder;
    ``handoff/templates`` stays first, so a page name cannot shadow the console's own."""
    loader = templates.env.loader
    assert isinstance(loader, FileSystemLoader)
    if str(directory) not in loader.searchpath:
        loader.searchpath.append(str(directory))


def mount_static(app: FastAPI) -> None:
    """Serve ``handoff/static`` at ``/staff/static`` (call before routers with ``/staff/{param}`` paths)."""
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="staff-static")
