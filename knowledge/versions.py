"""Knowledge versions: every publish, import, load or rollback is a numbered snapshot of all entries.

The newest version's number is what every process watches (``tsunagu.live_index``): when it changes, the
process rebuilds its index from the published entries and swaps it in. A snapshot holds every entry, archived
ones included, so any version can be shown, compared with another (``diff_versions``) and rolled back to.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, func
from sqlmodel import Field, Session, SQLModel, col, select

from core.clock import utcnow
from knowledge.schema import FaqEntryData
from knowledge.service import list_entries

KIND_LABELS = {"publish": "公開", "rollback": "巻き戻し", "import": "取り込み", "load": "パック読み込み"}
COMPARED_FIELDS = (
    "status", "category", "question", "alt_questions", "label", "short_answer", "answer", "answer_en",
    "label_en", "questions_en", "tags", "source_url", "department", "contact", "last_reviewed", "needs_review",
)


class KnowledgeVersion(SQLModel, table=True):
    """One published state of the knowledge: who made it, why, and every entry as it was then."""

    __tablename__ = "knowledge_version"

    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    author: str = Field(max_length=100)
    kind: str = Field(max_length=20)  # one of KIND_LABELS
    note: str = Field(default="", max_length=500)
    changed_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    entries: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    metrics: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    gate_confirmed: bool = False  # published although the quality gate showed a drop

    def entry_map(self) -> dict[str, FaqEntryData]:
        return {e["id"]: FaqEntryData.model_validate(e) for e in self.entries}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class EntryDiff:
    """How one entry differs between two states: added, removed, archived, restored or changed."""

    faq_id: str
    kind: str
    question: str
    fields: tuple[FieldChange, ...]
    category: str = ""  # the entry's category after the change (before it, for a removed entry)


def latest_version_id(session: Session) -> int | None:
    """The newest version's number (None before the first): the cheap query every process polls."""
    return session.exec(select(func.max(KnowledgeVersion.id))).one()


def latest_version(session: Session) -> KnowledgeVersion | None:
    return session.exec(select(KnowledgeVersion).order_by(col(KnowledgeVersion.id).desc()).limit(1)).first()


def list_versions(session: Session, *, limit: int = 100) -> list[KnowledgeVersion]:
    """Newest first."""
    return list(session.exec(select(KnowledgeVersion).order_by(col(KnowledgeVersion.id).desc()).limit(limit)))


def record_version(
    session: Session, *, author: str, kind: str, note: str = "", changed_ids: list[str] | None = None,
    metrics: dict[str, Any] | None = None, gate_confirmed: bool = False,
) -> KnowledgeVersion:
    """Snapshot every entry (flushed state of ``session``) as a new version; the caller commits. Without
    ``changed_ids`` they are computed against the previous version."""
    session.flush()
    entries = list_entries(session=session, status=None)
    if changed_ids is None:
        previous = latest_version(session)
        before = previous.entry_map() if previous else {}
        changed_ids = [d.faq_id for d in diff_entries(before, {e.id: e for e in entries})]
    version = KnowledgeVersion(
        author=author, kind=kind, note=note[:500], changed_ids=changed_ids,
        entries=[e.model_dump(mode="json") for e in entries], metrics=metrics, gate_confirmed=gate_confirmed,
    )
    session.add(version)
    session.flush()
    return version


def diff_entries(before: dict[str, FaqEntryData], after: dict[str, FaqEntryData]) -> list[EntryDiff]:
    """Entry-by-entry differences, in id order; unchanged entries are left out."""
    diffs = []
    for faq_id in sorted(before.keys() | after.keys()):
        old, new = before.get(faq_id), after.get(faq_id)
        if old is None and new is not None:
            diffs.append(EntryDiff(faq_id, "added", new.question, _field_changes(None, new), new.category))
        elif new is None and old is not None:
            diffs.append(EntryDiff(faq_id, "removed", old.question, (), old.category))
        elif old is not None and new is not None:
            fields = _field_changes(old, new)
            if fields:
                diffs.append(EntryDiff(faq_id, _change_kind(old, new), new.question, fields, new.category))
    return diffs


def count_kinds(diffs: list[EntryDiff]) -> dict[str, int]:
    """How many entries each kind of change touched (``added``, ``changed``, ``archived`` ...), for a summary."""
    return dict(Counter(diff.kind for diff in diffs))


def _change_kind(old: FaqEntryData, new: FaqEntryData) -> str:
    if old.status != "archived" and new.status == "archived":
        return "archived"
    if old.status == "archived" and new.status != "archived":
        return "restored"
    return "changed"


def _field_changes(old: FaqEntryData | None, new: FaqEntryData) -> tuple[FieldChange, ...]:
    changes = []
    for name in COMPARED_FIELDS:
        before = getattr(old, name) if old is not None else None
        after = getattr(new, name)
        if before != after and not (old is None and after in (None, [], False, "")):
            changes.append(FieldChange(name, before, after))
    return tuple(changes)
