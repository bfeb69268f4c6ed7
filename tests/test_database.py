"""Schema migration and the knowledge service on SQLite and, when reachable, PostgreSQL."""

from sqlalchemy import inspect
from sqlmodel import Session, select

from core.db import make_engine
from knowledge.packs import Pack
from knowledge.service import count_entries, list_entries, replace_entries, save_entry
from tsunagu.db import migrate


def test_migrate_creates_every_table(database_url: str) -> None:
    migrate(database_url)
    tables = set(inspect(make_engine(database_url)).get_table_names())
    assert {"faq_entry", "faq_alt_question", "embedding_cache", "bot_inbox_event", "alembic_version"} <= tables


def test_replace_and_list_entries_round_trip(database_url: str, mini_pack: Pack) -> None:
    migrate(database_url)
    with Session(make_engine(database_url)) as session:
        assert replace_entries(session=session, pack=mini_pack) == 6
        loaded = list_entries(session=session)
    assert [e.id for e in loaded] == sorted(e.id for e in mini_pack.entries)
    by_id = {e.id: e for e in loaded}
    for entry in mini_pack.entries:
        assert by_id[entry.id] == entry


def test_save_entry_updates_in_place(database_url: str, mini_pack: Pack) -> None:
    migrate(database_url)
    with Session(make_engine(database_url)) as session:
        replace_entries(session=session, pack=mini_pack)
        edited = mini_pack.entries[0].model_copy(update={"answer": "新しい答え", "alt_questions": ["一つだけ"]})
        save_entry(session=session, entry=edited)
        again = {e.id: e for e in list_entries(session=session)}[edited.id]
        assert count_entries(session=session) == 6
    assert again.answer == "新しい答え"
    assert again.alt_questions == ["一つだけ"]


def test_inbox_stores_each_event_once(database_url: str) -> None:
    from bot.line.inbox import store_events
    from bot.models import InboxEvent

    migrate(database_url)
    event = {"type": "message", "webhookEventId": "01ABC", "source": {"type": "user", "userId": "U1"},
             "deliveryContext": {"isRedelivery": False}, "message": {"type": "text", "text": "こんにちは"}}
    with Session(make_engine(database_url)) as session:
        first = store_events(session=session, events=[event, {**event, "deliveryContext": {"isRedelivery": True}}])
        session.commit()
        again = store_events(session=session, events=[event])
        session.commit()
        rows = session.exec(select(InboxEvent)).all()
    assert (first.stored, first.duplicates) == (1, 1)
    assert (again.stored, again.duplicates) == (0, 1)
    assert [(r.webhook_event_id, r.line_user_id, r.payload["message"]["text"]) for r in rows] == [
        ("01ABC", "U1", "こんにちは")
    ]
