"""``/staff/publish``: review the pending changes, run the quality gate, and publish them as a new version.

Publishing is what makes an edit reach citizens: this process serves the new version as soon as the request
ends, and every other process (bot workers, other web workers) within a few seconds. The pack's eval set is
asked of the candidate knowledge first; when accuracy@1 or answer precision would drop by more than 2 points,
the editor must confirm, and that confirmation is audited with the numbers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from console import audit
from console.accounts.deps import EditorStaff, verify_csrf
from console.accounts.models import StaffUser
from console.formatting import jst
from console.web import render
from core.deps import SessionDep
from editor.publishing import Publisher, by_id, diff_rows, gate_rows, get_gate, get_publisher
from editor.quality_gate import GATE_METRICS, GateResult, QualityGate
from knowledge.changes import pending_changes
from knowledge.publish import NothingToPublish
from knowledge.service import list_entries
from knowledge.versions import diff_entries

router = APIRouter(prefix="/staff", include_in_schema=False)
PublisherDep = Annotated[Publisher, Depends(get_publisher)]
GateDep = Annotated[QualityGate | None, Depends(get_gate)]
NOTE_MAX = 500


def _pending_rows(session: Session) -> list[dict[str, Any]]:
    """Each pending change with its author, time and differences from the published entry."""
    published = by_id(list_entries(session=session, status=None))
    rows = []
    for change in pending_changes(session):
        entry = change.entry()
        before = {entry.id: published[entry.id]} if entry.id in published else {}
        diffs = diff_rows(diff_entries(before, {entry.id: entry}))
        rows.append({"faq_id": change.faq_id, "question": entry.question, "author": change.author,
                     "updated": jst(change.updated_at), "source": change.source or "",
                     "diff": diffs[0] if diffs else None})
    return rows


def _page(
    request: Request, session: Session, editor: StaffUser, *, selected: list[str] | None = None, note: str = "",
    gate: GateResult | None = None, message: str = "", status_code: int = 200,
) -> HTMLResponse:
    rows = _pending_rows(session)
    chosen = set(selected) if selected is not None else {row["faq_id"] for row in rows}
    return render(request, "publish.html", {
        "rows": rows, "selected": chosen, "note": note, "gate": gate, "message": message,
        "gate_rows": gate_rows(gate.as_dict()) if gate else [],
    }, staff=editor, status_code=status_code)


@router.get("/publish", response_class=HTMLResponse)
def publish_page(
    request: Request, session: SessionDep, editor: EditorStaff, publisher: PublisherDep, gate: GateDep,
) -> Response:
    if gate is not None:  # the editor is about to publish: measure the served knowledge meanwhile
        gate.warm_in_background(publisher.served_retriever, publisher.served_version())
    return _page(request, session, editor)


@router.post("/publish", dependencies=[Depends(verify_csrf)])
def publish(
    request: Request, session: SessionDep, editor: EditorStaff, publisher: PublisherDep, gate: GateDep,
    faq_id: Annotated[list[str] | None, Form()] = None, note: Annotated[str, Form(max_length=NOTE_MAX)] = "",
    confirm_drop: Annotated[bool, Form()] = False,
) -> Response:
    """Check the selected changes against the eval set, then publish them (or ask to confirm a drop)."""
    selected = list(dict.fromkeys(faq_id or []))
    if not selected:
        return _page(request, session, editor, selected=[], note=note, status_code=400,
                     message="公開する変更を1つ以上選んでください。")
    candidate = publisher.prepare_publish(session, selected)
    result = check_gate(gate, publisher, candidate)
    if result is not None and result.needs_confirmation and not confirm_drop:
        return _page(request, session, editor, selected=selected, note=note, gate=result, status_code=409,
                     message="品質チェックで正解率が2ポイント以上下がりました。内容を確認し、それでも公開する場合は"
                             "「下がることを確認した」にチェックしてから、もう一度「公開する」を押してください。")
    confirmed = result is not None and result.needs_confirmation
    try:
        outcome = publisher.publish(session, author=editor.username, faq_ids=selected, note=note.strip(),
                                    metrics={"gate": result.as_dict()} if result else None,
                                    gate_confirmed=confirmed, candidate=candidate)
    except NothingToPublish as exc:
        return _page(request, session, editor, selected=[], note=note, message=str(exc), status_code=409)
    version_id = outcome.version.id
    audit.record(session, action="faq_published_despite_drop" if confirmed else "faq_published",
                 actor=editor.username, actor_staff_id=editor.id, detail=audit_detail(version_id, selected, result))
    session.commit()
    return RedirectResponse(f"/staff/versions/{version_id}?done=published", status_code=303)


def check_gate(gate: QualityGate | None, publisher: Publisher, candidate: Any) -> GateResult | None:
    """The gate's numbers for ``candidate`` against the served knowledge (None when the pack has no eval set);
    the same check for a publish and a console import."""
    if gate is None:
        return None
    return gate.check(publisher.served_retriever, publisher.served_version(),
                      publisher.candidate_retriever(candidate))


def audit_detail(version_id: int | None, faq_ids: list[str], result: GateResult | None) -> str:
    """``version=12 entries=3 accuracy_at_1=-2.5 answer_precision=+0.4``: ids and numbers only."""
    words = [f"version={version_id}", f"entries={len(faq_ids)}"]
    if result is not None:
        words += [f"{m}={result.change_points(m):+.1f}" for m in GATE_METRICS]
    return " ".join(words)
