"""Shared rendering for the staff console: one Jinja2 environment for ``console/templates`` (the page frame, sign-in,
accounts, errors) and the folders the composition root adds for the pages of handoff, the editor and analytics; and
the console's static files.

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

from console.audit import ACTION_LABELS, ACTOR_LABELS
from console.formatting import SCORE_EXPLANATION, audit_detail, category_label, jst, score_label
from console.roles import ADMIN_ROLES, EDITOR_ROLES, ROLE_LABELS, TICKET_ROLES

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PATH = "/staff/static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals.update(
    ROLE_LABELS=ROLE_LABELS, TICKET_ROLES=TICKET_ROLES, EDITOR_ROLES=EDITOR_ROLES, ADMIN_ROLES=ADMIN_ROLES,
    STATIC_PATH=STATIC_PATH, ACTION_LABELS=ACTION_LABELS, ACTOR_LABELS=ACTOR_LABELS,
    SCORE_EXPLANATION=SCORE_EXPLANATION,
)
templates.env.filters.update(jst=jst, category_label=category_label, score_label=score_label, audit_detail=audit_detail)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    staff: object | None = None,
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
    """Let another package's console pages (handoff, the editor, analytics) extend ``base.html`` from their own
    folder (the composition root adds them); ``console/templates`` stays first, so a page name cannot shadow the
    console's own."""
    loader = templates.env.loader
    assert isinstance(loader, FileSystemLoader)
    if str(directory) not in loader.searchpath:
        loader.searchpath.append(str(directory))


def mount_static(app: FastAPI) -> None:
    """Serve ``console/static`` at ``/staff/static`` (call before routers with ``/staff/{param}`` paths)."""
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="staff-static")
