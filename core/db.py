"""Database engines and sessions, shared by every package (schema migrations are the composition root's:
``tsunagu/db.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

MAX_ROW_ID = 2**31 - 1  # id columns are 32-bit integers on PostgreSQL
Row = TypeVar("Row")


def make_engine(database_url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys on and a busy timeout so several processes can share it.
    SQL parameters (citizens' text, LINE user ids) never appear in database errors or SQL logs."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 30},
                               hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(database_url, pool_pre_ping=True, hide_parameters=True)


def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield one session, closed afterwards (used by FastAPI dependencies)."""
    with Session(engine) as session:
        yield session


def get_row(session: Session, model: type[Row], row_id: int) -> Row | None:
    """The row of ``model`` with id ``row_id``, or None: an id out of the column's range cannot exist either (a
    typed URL with a huge number is a 404, not a database error)."""
    return session.get(model, row_id) if 1 <= row_id <= MAX_ROW_ID else None
