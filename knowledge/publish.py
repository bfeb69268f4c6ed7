"""Publishing: pending changes become the published knowledge, as one new version; rolling back to a version.

Nothing here touches the search index: the caller (``tsunagu.live_index``) prepares the new index from
``candidate_entries`` before committing, and every process swaps it in once it sees the new version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from knowledge.changes import PendingChange, pending_changes
from knowledge.models import FaqEntry
from knowledge.schema import FaqEntryData
from knowledge.service import list_entries, save_entry
from knowledge.versions import KnowledgeVersion, latest_version, record_version


class NothingToPublish(ValueError):
    """No pending change matched what was asked to publish."""


def selected_changes(session: Session, faq_ids: Sequence[str] | None = None) -> list[PendingChange]:
    """The pending changes to publish: all of them, or those of ``faq_ids``."""
    changes = pending_changes(session)
    return changes if faq_ids is None else [c for c in changes if c.faq_id in set(faq_ids)]


def candidate_entries(session: Session, faq_ids: Sequence[str] | None = None) -> list[FaqEntryData]:
    """Every entry as it would be after publishing (all statuses), without writing anything."""
    entries = {e.id: e for e in list_entries(session=session, status=None)}
    for change in selected_changes(session, faq_ids):
        entries[change.faq_id] = change.entry()
    return [entries[faq_id] for faq_id in sorted(entries)]


def publish_changes(
    session: Session, *, author: str, faq_ids: Sequence[str] | None = None, note: str = "",
    metrics: dict[str, Any] | None = None, gate_confirmed: bool = False,
) -> KnowledgeVersion:
    """Apply the selected pending changes to the published entries and record one version; commits."""
    changes = selected_changes(session, faq_ids)
    if not changes:
        raise NothingToPublish("公開する変更がありません。")
    for change in changes:
        save_entry(session=session, entry=change.entry(), commit=False)
        session.delete(change)
    version = record_version(session, author=author, kind="publish", note=note,
                             changed_ids=[c.faq_id for c in changes], metrics=metrics,
                             gate_confirmed=gate_confirmed)
    session.commit()
    return version


def rollback_entries(session: Session, version_id: int) -> list[FaqEntryData]:
    """The entries as they would be after rolling back to ``version_id``: its snapshot, and every entry made
    since archived (never deleted). Raises KeyError for an unknown version."""
    version = session.get(KnowledgeVersion, version_id)
    if version is None:
        raise KeyError(version_id)
    restored = version.entry_map()
    for entry in list_entries(session=session, status=None):
        if entry.id not in restored:
            restored[entry.id] = entry.model_copy(update={"status": "archived"})
    return [restored[faq_id] for faq_id in sorted(restored)]


def rollback_to(session: Session, *, version_id: int, author: str) -> KnowledgeVersion:
    """Make the entries of ``version_id`` published again, as a new version (the history is kept); pending
    changes stay pending. Commits."""
    for entry in rollback_entries(session, version_id):
        save_entry(session=session, entry=entry, commit=False)
    version = record_version(session, author=author, kind="rollback", note=f"版 {version_id} に戻しました")
    session.commit()
    return version


def replaced_entries(session: Session, entries: Sequence[FaqEntryData]) -> list[FaqEntryData]:
    """Every entry as ``replace_published`` would leave them, without writing anything."""
    result = {e.id: e.model_copy(update={"status": "archived"}) for e in list_entries(session=session, status=None)}
    result.update({e.id: e for e in entries})
    return [result[faq_id] for faq_id in sorted(result)]


def replace_published(
    session: Session, *, entries: Sequence[FaqEntryData], author: str, kind: str, note: str = "",
    metrics: dict[str, Any] | None = None, gate_confirmed: bool = False,
) -> KnowledgeVersion:
    """Make ``entries`` the knowledge (``faq load``, ``faq import``, a console import) as one new version, all
    or nothing: entries missing from ``entries`` are archived, not deleted, so a rollback can bring them back.
    ``metrics``/``gate_confirmed``: the quality gate's result of a console import, kept with the version.
    Commits."""
    given = {e.id for e in entries}
    for entry in list_entries(session=session, status=None):
        if entry.id not in given and entry.status != "archived":
            save_entry(session=session, entry=entry.model_copy(update={"status": "archived"}), commit=False)
    for entry in entries:
        save_entry(session=session, entry=entry, commit=False)
    return record_current(session, author=author, kind=kind, note=note, metrics=metrics,
                          gate_confirmed=gate_confirmed)


def record_current(
    session: Session, *, author: str, kind: str, note: str = "", metrics: dict[str, Any] | None = None,
    gate_confirmed: bool = False,
) -> KnowledgeVersion:
    """Record the entries as they are now as a version (after ``faq load``/``faq import`` or a first start);
    commits."""
    version = record_version(session, author=author, kind=kind, note=note, metrics=metrics,
                             gate_confirmed=gate_confirmed)
    session.commit()
    return version


def ensure_first_version(session: Session, *, author: str = "system") -> KnowledgeVersion | None:
    """A database with entries but no version yet (made before versions existed) gets one, so the history
    and rollback start from what citizens are answered with."""
    if latest_version(session) is not None:
        return None
    if session.exec(select(FaqEntry.id).limit(1)).first() is None:
        return None
    return record_current(session, author=author, kind="load", note="公開中のFAQを最初の版として記録")


def versions_between(session: Session, after_id: int, before_id: int) -> int:
    """How many versions were recorded with ids strictly between the two (another publish in between)."""
    query = select(KnowledgeVersion.id).where(col(KnowledgeVersion.id) > after_id,
                                              col(KnowledgeVersion.id) < before_id)
    return len(session.exec(query).all())
