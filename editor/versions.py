"""``/staff/versions``: every knowledge version (publish, import, load, rollback), what it changed, and rolling
back to one — which publishes that version's entries again as a new version, so nothing of the history is lost.

A version's page starts with what an editor decides on: a summary (how many entries were added, changed and
archived, who, when and why) and the rollback button; each entry's differences follow, collapsed
(``<details>``, no script under the console's CSP), so a first version of 400 entries is a list of 400 lines
rather than a page hundreds of thousands of pixels long.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from console import audit
from console.accounts.deps import EditorStaff, StaffPageError, verify_csrf
from console.formatting import jst
from console.web import render
from core.db import get_row
from core.deps import SessionDep
from editor.publish import PublisherDep
from editor.publishing import KIND_OF_CHANGE, diff_rows, gate_rows
from knowledge.versions import (
    KIND_LABELS,
    KnowledgeVersion,
    count_kinds,
    diff_entries,
    latest_version_id,
    list_versions,
)

router = APIRouter(prefix="/staff", include_in_schema=False)
DONE_MESSAGES = {
    "published": "公開しました。この版の回答は、いま開いている画面のサーバーではすぐに、ほかのサーバーやボットでも"
                 "数秒以内に使われます（再起動は不要です）。",
    "imported": "取り込んだFAQを新しい版として公開しました。数秒以内にすべてのボットに反映されます。",
    "rolled_back": "以前の版に戻しました（新しい版として記録しました）。数秒以内にすべてのボットに反映されます。",
}
NOT_FOUND = "この版は見つかりませんでした。"
SUMMARY_ORDER = ("added", "changed", "archived", "restored", "removed")  # kinds of change, as the summary lists them


def _previous(session: Session, version: KnowledgeVersion) -> KnowledgeVersion | None:
    query = (select(KnowledgeVersion).where(col(KnowledgeVersion.id) < version.id)
             .order_by(col(KnowledgeVersion.id).desc()).limit(1))
    return session.exec(query).first()


def _gate_rows(version: KnowledgeVersion) -> list[dict[str, Any]]:
    return gate_rows((version.metrics or {}).get("gate"))


@router.get("/versions", response_class=HTMLResponse)
def versions_page(request: Request, session: SessionDep, editor: EditorStaff) -> Response:
    rows = [{"id": v.id, "at": jst(v.created_at), "author": v.author, "kind": KIND_LABELS.get(v.kind, v.kind),
             "note": v.note, "changed": len(v.changed_ids), "gate": _gate_rows(v),
             "confirmed": v.gate_confirmed} for v in list_versions(session)]
    return render(request, "versions.html", {"rows": rows}, staff=editor)


@router.get("/versions/{version_id}", response_class=HTMLResponse)
def version_page(version_id: int, request: Request, session: SessionDep, editor: EditorStaff,
                 publisher: PublisherDep, done: str | None = None) -> Response:
    version = get_row(session, KnowledgeVersion, version_id)
    if version is None:
        raise StaffPageError(404, NOT_FOUND, staff=editor)
    previous = _previous(session, version)
    changes = diff_entries(previous.entry_map() if previous else {}, version.entry_map())
    return render(request, "version.html", {
        "version": version, "at": jst(version.created_at), "kind": KIND_LABELS.get(version.kind, version.kind),
        "previous_id": previous.id if previous else None, "diffs": diff_rows(changes), "gate": _gate_rows(version),
        "summary": summary_counts(count_kinds(changes)),
        "served": publisher.served_version() == version.id, "message": DONE_MESSAGES.get(done or "", ""),
        "entries": sum(1 for e in version.entries if e.get("status") == "published"),
        "latest": latest_version_id(session) == version.id,
    }, staff=editor)


def summary_counts(counts: dict[str, int]) -> list[tuple[str, int]]:
    """(label, count) of each kind of change in the summary's order: added, changed and archived always shown
    (「アーカイブ 0 件」 is news too), restored and removed only when there are any."""
    always = SUMMARY_ORDER[:3]
    return [(KIND_OF_CHANGE[kind], counts.get(kind, 0)) for kind in SUMMARY_ORDER
            if kind in always or counts.get(kind)]


@router.post("/versions/{version_id}/rollback", dependencies=[Depends(verify_csrf)])
def rollback(version_id: int, request: Request, session: SessionDep, editor: EditorStaff,
             publisher: PublisherDep, confirm: Annotated[bool, Form()] = False) -> Response:
    """Publish ``version_id``'s entries again; entries made since are archived, never deleted."""
    if get_row(session, KnowledgeVersion, version_id) is None:
        raise StaffPageError(404, NOT_FOUND, staff=editor)
    if not confirm:
        raise StaffPageError(400, "「この版に戻すことを確認した」にチェックしてから押してください。", staff=editor)
    outcome = publisher.rollback(session, version_id=version_id, author=editor.username)
    audit.record(session, action="faq_rolled_back", actor=editor.username, actor_staff_id=editor.id,
                 detail=f"version={outcome.version.id} restored={version_id}")
    session.commit()
    return RedirectResponse(f"/staff/versions/{outcome.version.id}?done=rolled_back", status_code=303)
