"""The role policy, in one place, so the dependencies, the templates and the CLI agree on it: ``admin`` can do
everything, ``staff`` answers tickets, ``editor`` edits FAQ drafts."""

from __future__ import annotations

ROLES = ("staff", "editor", "admin")
TICKET_ROLES = ("staff", "admin")  # may see and answer hand-off tickets
EDITOR_ROLES = ("editor", "admin")  # may edit FAQ drafts
ADMIN_ROLES = ("admin",)  # may see the audit log and manage everything
ROLE_LABELS = {"staff": "職員", "editor": "FAQ編集者", "admin": "管理者"}
