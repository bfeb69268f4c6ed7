"""``/staff/editor``: the editor's home, where an editor lands after logging in.

It lists what needs attention, each as a count with a link to the page that deals with it: changes saved but
not yet published, FAQ案 waiting, entries to review (marked 要確認 or past their yearly review date), and the
questions the bot could not answer (👎 answers and unanswered themes).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from console.accounts.deps import EditorStaff
from console.web import render
from core.clock import utcnow
from core.deps import SessionDep
from editor.listing import entry_rows, needs_attention, today_in_japan
from knowledge.changes import pending_changes
from knowledge.drafts import FaqDraft
from knowledge.unanswered import count_open_by_reason

router = APIRouter(prefix="/staff", include_in_schema=False)


@dataclass(frozen=True)
class Attention:
    """One thing to look at: a count, what it is, where to deal with it, and the counts inside it."""

    title: str
    count: int
    url: str
    action: str
    parts: tuple[tuple[str, int, str], ...] = ()  # (label, count, url)


def attention_items(session: Session) -> list[Attention]:
    """The editor's to-do list, in the order an editor works through it."""
    rows = [row for row in entry_rows(session, today_in_japan()) if needs_attention(row)]
    drafts = session.exec(select(func.count()).select_from(FaqDraft).where(col(FaqDraft.status) == "draft")).one()
    unanswered = count_open_by_reason(session, now=utcnow())
    open_count, down = sum(unanswered.values()), unanswered.get("feedback_down", 0)
    return [
        Attention("未公開の変更", len(pending_changes(session)), "/staff/publish", "確認して公開する"),
        Attention("FAQ案（職員の回答から）", int(drafts), "/staff/drafts", "FAQにするか決める"),
        Attention("確認が必要なFAQ", len(rows), "/staff/faq?filter=review", "内容を確認する", (
            ("要確認の印あり", sum(1 for row in rows if row.entry.needs_review), "/staff/faq?filter=needs_review"),
            ("確認日が1年以上前・未記入", sum(1 for row in rows if row.stale), "/staff/faq?filter=stale"),
        )),
        Attention("答えられなかった質問", open_count, "/staff/unanswered", "FAQに生かす", (
            ("👎がついた回答", down, "/staff/unanswered"),
            ("回答できなかった質問", open_count - down, "/staff/unanswered"),
        )),
    ]


@router.get("/editor", response_class=HTMLResponse)
def editor_home(request: Request, session: SessionDep, editor: EditorStaff) -> Response:
    """The counts of what needs attention, each with its link."""
    return render(request, "editor_home.html", {"items": attention_items(session)}, staff=editor)
