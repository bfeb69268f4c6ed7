"""The FAQ list as editors see it: every entry in its working version (pending change or published), with
what needs attention, and the list's search and filters.

An entry is "stale" when its ``last_reviewed`` date is missing or more than ``REVIEW_AFTER_DAYS`` days old: the
city reviews its answers once a year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from core.clock import japan_date, utcnow
from knowledge.changes import pending_changes
from knowledge.schema import FaqEntryData
from knowledge.service import list_entries

REVIEW_AFTER_DAYS = 365
STATUS_FILTERS = {"": "すべて", "published": "公開中", "archived": "アーカイブ", "pending": "未公開の変更あり"}
# Archived entries are left out of the review filters: nobody has to review what citizens no longer get.
ATTENTION_FILTERS = {"": "指定なし", "review": "確認が必要（要確認・確認日切れ）", "needs_review": "要確認の印あり",
                     "stale": "確認日が1年以上前・未記入"}


@dataclass(frozen=True)
class EntryRow:
    """One entry in its working version; ``published`` is False for an entry that exists only as a change."""

    entry: FaqEntryData
    pending: bool
    published: bool
    stale: bool


def today_in_japan() -> dt.date:
    """The date in Japan, where review dates are written."""
    return japan_date(utcnow())


def is_stale(entry: FaqEntryData, today: dt.date) -> bool:
    """No review date, or one more than a year ago."""
    return entry.last_reviewed is None or (today - entry.last_reviewed).days > REVIEW_AFTER_DAYS


def needs_attention(row: EntryRow) -> bool:
    """Marked 要確認 or past its review date (archived entries are left alone)."""
    return row.entry.status != "archived" and (row.entry.needs_review or row.stale)


def entry_rows(session: Session, today: dt.date) -> list[EntryRow]:
    """Every entry, published or archived or only pending, in its working version, ordered by id."""
    published = {entry.id: entry for entry in list_entries(session=session, status=None)}
    changes = {change.faq_id: change.entry() for change in pending_changes(session)}
    rows = []
    for faq_id in sorted(published.keys() | changes.keys()):
        entry = changes.get(faq_id) or published[faq_id]
        rows.append(EntryRow(entry, faq_id in changes, faq_id in published, is_stale(entry, today)))
    return rows


def matches_text(entry: FaqEntryData, query: str) -> bool:
    """Whether ``query`` (case-insensitive) occurs in the question, an alternative question or the answer."""
    needle = query.strip().casefold()
    texts = [*entry.questions(), *entry.questions_en, entry.answer, entry.short_answer or ""]
    return not needle or any(needle in text.casefold() for text in texts)


def filter_rows(rows: list[EntryRow], *, query: str = "", category: str = "", status: str = "",
                attention: str = "") -> list[EntryRow]:
    """The rows matching the search text and every filter given (an empty filter matches everything)."""
    def keep(row: EntryRow) -> bool:
        entry = row.entry
        if category and entry.category != category:
            return False
        if status == "pending" and not row.pending:
            return False
        if status in ("published", "archived") and entry.status != status:
            return False
        if attention == "review" and not needs_attention(row):
            return False
        if attention == "needs_review" and not (entry.needs_review and entry.status != "archived"):
            return False
        if attention == "stale" and not (row.stale and entry.status != "archived"):
            return False
        return matches_text(entry, query)

    return [row for row in rows if keep(row)]
