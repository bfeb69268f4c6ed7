"""``/staff/faq``: the FAQ list, the edit form with its live LINE preview, archive and discard, for editors.

A save is validated with ``FaqEntryData`` and staged as a pending change (``knowledge.changes``); it reaches
citizens only when published on ``/staff/publish``. A refused save shows the form again (400) with every typed
value and the errors in Japanese. A FAQ案 opens the new-entry form prefilled (``?draft=ID``); saving it marks
the draft adopted, 「採用しない」 marks it rejected.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.categories import CATEGORIES
from console import audit
from console.accounts.deps import EditorStaff, StaffPageError, verify_csrf
from console.accounts.models import StaffUser
from console.web import render
from core.deps import SessionDep
from core.numbers import is_ascii_number
from editor.drafts import adopt_draft, open_draft, reject_draft
from editor.forms import (
    RESERVED_IDS,
    STATUS_LABELS,
    FormValues,
    empty_values,
    preview_entry,
    validate,
    values_from_entry,
    values_from_form,
)
from editor.listing import ATTENTION_FILTERS, STATUS_FILTERS, entry_rows, filter_rows, today_in_japan
from editor.preview import build_preview
from editor.unanswered import mark_drafted
from editor.warnings import entry_warnings
from knowledge.changes import discard_change, pending_change, stage_change, working_entry
from knowledge.messages import FIELD_LABELS
from knowledge.models import FaqEntry
from knowledge.schema import FaqEntryData

router = APIRouter(prefix="/staff", include_in_schema=False)
CSRF = [Depends(verify_csrf)]
NOT_FOUND = "このFAQは見つかりません。一覧から選び直してください。"
NOTICES = {
    "saved": "保存しました。まだ市民には届きません：公開ページで公開すると回答に反映されます。",
    "archived": "アーカイブする変更を保存しました。公開ページで公開すると、ボットはこのFAQを使わなくなります。",
    "discarded": "未公開の変更を取り消しました。公開中の内容はそのままです。",
}


async def posted_form(request: Request) -> dict[str, Any]:
    """The posted form fields (read once; ``verify_csrf`` has already read the same form)."""
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


PostedForm = Annotated[dict[str, Any], Depends(posted_form)]


def category_choices(values: FormValues) -> list[tuple[str, str]]:
    """The bot's categories, plus the entry's own when a pack uses another one."""
    choices = [(category.slug, category.label) for category in CATEGORIES]
    if values.get("category") and values["category"] not in {slug for slug, _ in choices}:
        choices.append((values["category"], values["category"]))
    return choices


@router.get("/faq", response_class=HTMLResponse)
def faq_list(request: Request, session: SessionDep, editor: EditorStaff, q: str = "", category: str = "",
             status: str = "", filter: str = "") -> Response:
    """Every entry with its state; search in questions and answers, filters by category, status and review."""
    rows = entry_rows(session, today_in_japan())
    shown = filter_rows(rows, query=q[:200], category=category, status=status, attention=filter)
    return render(request, "faq_list.html", {
        "rows": shown, "total": len(rows), "q": q[:200], "category": category, "status": status,
        "filter": filter, "categories": category_choices({}), "status_filters": STATUS_FILTERS,
        "attention_filters": ATTENTION_FILTERS,
    }, staff=editor)


def _form_page(request: Request, session: Session, editor: StaffUser, values: FormValues, *, faq_id: str | None,
               errors: dict[str, str] | None = None, draft_id: int | None = None, unanswered: str = "",
               status_code: int = 200) -> Response:
    """The edit form (``faq_id`` None: a new entry) with the preview of what is typed."""
    entry = preview_entry(values)
    change = pending_change(session, faq_id) if faq_id else None
    context = {
        "values": values, "faq_id": faq_id, "errors": errors or {}, "labels": FIELD_LABELS,
        "categories": category_choices(values), "status_labels": STATUS_LABELS, "draft_id": draft_id,
        "unanswered": unanswered, "unanswered_count": len([n for n in unanswered.split(",") if n]),
        "pending": change, "published": session.get(FaqEntry, faq_id) if faq_id else None,
        "notice": NOTICES.get(request.query_params.get("done", "")), "preview": build_preview(entry),
        "warnings": entry_warnings(entry),
    }
    return render(request, "faq_edit.html", context, staff=editor, status_code=status_code)


@router.get("/faq/new", response_class=HTMLResponse)
def new_entry(request: Request, session: SessionDep, editor: EditorStaff, draft: int | None = None,
              question: str = "", unanswered: str = "") -> Response:
    """A blank form, or one prefilled from FAQ案 ``draft`` (question, answer, category) or with ``question``
    (an unanswered question, from ``/staff/unanswered``)."""
    values = empty_values()
    values.update(question=question[:500])
    if draft is not None:
        found = open_draft(session, draft, editor)
        values.update(question=found.question, answer=found.answer, category=found.category or "")
    return _form_page(request, session, editor, values, faq_id=None, draft_id=draft,
                      unanswered=_numbers(unanswered))


@router.post("/faq/preview", response_class=HTMLResponse, dependencies=CSRF)
def preview(request: Request, editor: EditorStaff, form: PostedForm) -> Response:
    """The preview fragment for the form as typed (the edit page fetches it while the editor types)."""
    entry = preview_entry(values_from_form(form))
    return render(request, "_faq_preview.html", {"preview": build_preview(entry),
                                                 "warnings": entry_warnings(entry)}, staff=editor)


@router.post("/faq/new", response_class=HTMLResponse, dependencies=CSRF)
def create_entry(request: Request, session: SessionDep, editor: EditorStaff, form: PostedForm) -> Response:
    """Stage a new entry; its id must be new. From a FAQ案, the draft is marked adopted in the same commit."""
    values = values_from_form(form)
    draft_id = _draft_id(form.get("draft_id"))
    unanswered = _numbers(form.get("unanswered"))
    if draft_id is not None:
        open_draft(session, draft_id, editor)  # refuses a draft already adopted or rejected
    entry, errors = validate(values)
    if entry is not None and (entry.id in RESERVED_IDS or working_entry(session, entry.id) is not None):
        entry, errors = None, {"id": "このIDはすでに使われています。別のIDにしてください。"}
    if entry is None:
        return _form_page(request, session, editor, values, faq_id=None, errors=errors, draft_id=draft_id,
                          unanswered=unanswered, status_code=400)
    source = f"draft:{draft_id}" if draft_id is not None else None
    stage_change(session, entry=entry, author=editor.username, source=source)
    if draft_id is not None:
        adopt_draft(session, draft_id, editor)
    if unanswered:
        mark_drafted(session, editor, unanswered)  # the unanswered questions this entry was written for
    _record(session, editor, "faq_change_saved", entry.id, source)
    session.commit()
    return RedirectResponse(f"/staff/faq/{entry.id}?done=saved", status_code=303)


def _numbers(raw: Any) -> str:
    """``1,2,3``: the unanswered rows a new entry is written for (anything else dropped)."""
    if not isinstance(raw, str):
        return ""
    return ",".join(n for n in raw.split(",")[:1000] if is_ascii_number(n) and len(n) < 12)


def _draft_id(raw: Any) -> int | None:
    return int(raw) if isinstance(raw, str) and is_ascii_number(raw) and len(raw) < 10 else None


def _working(session: Session, faq_id: str, editor: StaffUser) -> FaqEntryData:
    entry = working_entry(session, faq_id) if len(faq_id) <= 120 else None
    if entry is None:
        raise StaffPageError(404, NOT_FOUND, staff=editor)
    return entry


@router.get("/faq/{faq_id}", response_class=HTMLResponse)
def edit_entry(faq_id: str, request: Request, session: SessionDep, editor: EditorStaff) -> Response:
    """The form filled with the entry's working version (its pending change, else the published entry)."""
    entry = _working(session, faq_id, editor)
    return _form_page(request, session, editor, values_from_entry(entry), faq_id=faq_id)


@router.post("/faq/{faq_id}", response_class=HTMLResponse, dependencies=CSRF)
def save_entry(faq_id: str, request: Request, session: SessionDep, editor: EditorStaff,
               form: PostedForm) -> Response:
    """Stage the edited entry (its id cannot change here)."""
    _working(session, faq_id, editor)
    values = values_from_form(form)
    values["id"] = faq_id
    entry, errors = validate(values)
    if entry is None:
        return _form_page(request, session, editor, values, faq_id=faq_id, errors=errors, status_code=400)
    stage_change(session, entry=entry, author=editor.username)
    _record(session, editor, "faq_change_saved", faq_id)
    session.commit()
    return RedirectResponse(f"/staff/faq/{faq_id}?done=saved", status_code=303)


@router.post("/faq/{faq_id}/archive", dependencies=CSRF)
def archive_entry(faq_id: str, session: SessionDep, editor: EditorStaff) -> Response:
    """「アーカイブ」: a pending change with status archived (entries are never deleted)."""
    entry = _working(session, faq_id, editor)
    stage_change(session, entry=entry.model_copy(update={"status": "archived"}), author=editor.username)
    _record(session, editor, "faq_change_archived", faq_id)
    session.commit()
    return RedirectResponse(f"/staff/faq/{faq_id}?done=archived", status_code=303)


@router.post("/faq/{faq_id}/discard", dependencies=CSRF)
def discard_entry(faq_id: str, session: SessionDep, editor: EditorStaff) -> Response:
    """「変更を取り消す」: drop the pending change; back to the published entry (or the list for a new one)."""
    _working(session, faq_id, editor)
    if discard_change(session, faq_id):
        _record(session, editor, "faq_change_discarded", faq_id)
        session.commit()
    if session.get(FaqEntry, faq_id) is None:
        return RedirectResponse("/staff/faq", status_code=303)
    return RedirectResponse(f"/staff/faq/{faq_id}?done=discarded", status_code=303)


@router.post("/drafts/{draft_id}/reject", dependencies=CSRF)
def reject(draft_id: int, session: SessionDep, editor: EditorStaff) -> Response:
    """「採用しない」: the FAQ案 leaves the list (kept, marked rejected)."""
    reject_draft(session, draft_id, editor)
    audit.record(session, action="faq_draft_rejected", actor=editor.username, actor_staff_id=editor.id,
                 detail=f"draft={draft_id}")
    session.commit()
    return RedirectResponse("/staff/drafts", status_code=303)


def _record(session: Session, editor: StaffUser, action: str, faq_id: str, source: str | None = None) -> None:
    """An audit event naming the entry (an id, never answer text) and where the change came from."""
    detail = f"faq={faq_id}" + (f" source={source}" if source else "")
    audit.record(session, action=action, actor=editor.username, actor_staff_id=editor.id, detail=detail)
