"""FAQ案 (``knowledge.drafts.FaqDraft``) taken over or turned down by an editor.

A draft waiting for an editor has status ``draft``; 「FAQにする」 followed by a save marks it ``adopted``,
「採用しない」 marks it ``rejected``. Either way the row stays (the audit log refers to it by number).
"""

from __future__ import annotations

from sqlmodel import Session

from console.accounts.deps import StaffPageError
from console.accounts.models import StaffUser
from core.db import get_row
from knowledge.drafts import FaqDraft

DRAFT_NOT_FOUND = "このFAQ案は見つかりません。FAQ案の一覧から選び直してください。"
DRAFT_DONE = "このFAQ案はすでに採用済みか、採用しないことになっています。FAQ案の一覧を開き直してください。"


def open_draft(session: Session, draft_id: int, editor: StaffUser) -> FaqDraft:
    """The draft if it still waits for an editor; 404 when unknown, 409 when already adopted or rejected."""
    draft = get_row(session, FaqDraft, draft_id)
    if draft is None:
        raise StaffPageError(404, DRAFT_NOT_FOUND, staff=editor)
    if draft.status != "draft":
        raise StaffPageError(409, DRAFT_DONE, staff=editor)
    return draft


def adopt_draft(session: Session, draft_id: int, editor: StaffUser) -> FaqDraft:
    """Mark the draft adopted (the caller stages the entry made from it and commits)."""
    draft = open_draft(session, draft_id, editor)
    draft.status = "adopted"
    session.add(draft)
    return draft


def reject_draft(session: Session, draft_id: int, editor: StaffUser) -> FaqDraft:
    """Mark the draft rejected (the caller commits)."""
    draft = open_draft(session, draft_id, editor)
    draft.status = "rejected"
    session.add(draft)
    return draft
