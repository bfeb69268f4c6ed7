"""Knowledge service functions: load a pack into the database and read entries back."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, delete, select

from knowledge.models import FaqAltQuestion, FaqEntry
from knowledge.packs import Pack
from knowledge.schema import FaqEntryData


def replace_entries(*, session: Session, pack: Pack) -> int:
    """Replace every FAQ entry with the pack's (one transaction); return how many were loaded."""
    session.exec(delete(FaqAltQuestion))
    session.exec(delete(FaqEntry))
    for entry in pack.entries:
        save_entry(session=session, entry=entry, commit=False)
    session.commit()
    return len(pack.entries)


def save_entry(*, session: Session, entry: FaqEntryData, commit: bool = True) -> FaqEntry:
    """Insert or update one entry together with its alternative questions."""
    row = session.get(FaqEntry, entry.id)
    fields = entry.model_dump(exclude={"alt_questions"})
    if row is None:
        row = FaqEntry(**fields)
    else:
        row.sqlmodel_update(fields)
        row.updated_at = dt.datetime.now(dt.UTC)
        session.exec(delete(FaqAltQuestion).where(col(FaqAltQuestion.faq_id) == entry.id))
    session.add(row)
    session.flush()
    for position, text in enumerate(entry.alt_questions):
        session.add(FaqAltQuestion(faq_id=entry.id, position=position, text=text))
    if commit:
        session.commit()
    return row


def count_entries(*, session: Session) -> int:
    """How many entries the database holds, whatever their status."""
    return len(session.exec(select(FaqEntry.id)).all())


def entry_data(session: Session, row: FaqEntry) -> FaqEntryData:
    """One stored entry with its alternative questions, as the pack schema."""
    query = select(FaqAltQuestion).where(col(FaqAltQuestion.faq_id) == row.id).order_by(col(FaqAltQuestion.position))
    alts = [alt.text for alt in session.exec(query)]
    return FaqEntryData.model_validate({**row.model_dump(exclude={"updated_at"}), "alt_questions": alts})


def list_entries(*, session: Session, status: str | None = "published") -> list[FaqEntryData]:
    """Entries (with alternative questions) ordered by id; ``status=None`` returns all of them."""
    query = select(FaqEntry).order_by(col(FaqEntry.id))
    if status is not None:
        query = query.where(FaqEntry.status == status)
    rows = session.exec(query).all()
    alts: dict[str, list[str]] = {}
    for alt in session.exec(select(FaqAltQuestion).order_by(col(FaqAltQuestion.position))).all():
        alts.setdefault(alt.faq_id, []).append(alt.text)
    return [
        FaqEntryData.model_validate(
            {**row.model_dump(exclude={"updated_at"}), "alt_questions": alts.get(row.id, [])}
        )
        for row in rows
    ]
