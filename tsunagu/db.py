"""Schema migration (Alembic only; the app never calls ``create_all``); engines and sessions are ``core.db``.

Migrations are a deploy step (``tsunagu db upgrade``). On PostgreSQL an upgrade holds an advisory lock for its
whole run, so two deploys that upgrade at once take turns: the second finds the schema current and does nothing.
In production the server and workers only check the schema (``check_schema``) and refuse to start on an old one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.pool import NullPool
from sqlmodel import create_engine

from core.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# pg_advisory_lock key held while migrating ("tsunagu" in ASCII): one per database, shared by every schema.
MIGRATION_LOCK_KEY = 0x7473756E616775
UPGRADE_COMMAND = "tsunagu db upgrade"


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


@contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """Hold PostgreSQL's session advisory lock ``MIGRATION_LOCK_KEY`` (waiting for it if another upgrade has it);
    other databases need none (SQLite is the embedded single-host default)."""
    if not database_url.startswith("postgresql"):
        yield
        return
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("select pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("select pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                connection.commit()
    finally:
        engine.dispose()


def migrate(database_url: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Bring the database schema to the newest revision (under the migration lock on PostgreSQL); return the
    revisions before and after, read under the lock (the second of two upgrades at once finds nothing to do)."""
    with migration_lock(database_url):
        before = current_revisions(database_url)
        command.upgrade(alembic_config(database_url), "head")
        return before, current_revisions(database_url)


def current_revisions(database_url: str) -> tuple[str, ...]:
    """The database's Alembic revisions (empty for a database never migrated)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class SchemaStatus:
    """The revisions a database is at and those this code's migrations end in."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    known: bool  # every current revision is one of this code's migrations

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)


def schema_status(database_url: str) -> SchemaStatus:
    """Read the database's Alembic revision (empty for a database never migrated) without changing anything."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    current = current_revisions(database_url)
    known_revisions = {revision.revision for revision in script.walk_revisions()}
    return SchemaStatus(current, tuple(sorted(script.get_heads())), all(r in known_revisions for r in current))


class SchemaOutOfDateError(SystemExit):
    """The schema is not the one this code needs: the process must not start. A ``SystemExit`` so that the
    command line prints only the message (exit status 1), with no traceback and no local variables."""


def schema_problem(status: SchemaStatus) -> str | None:
    """A Japanese + English message naming the command to run, or None when the schema is current."""
    if status.up_to_date:
        return None
    current = ", ".join(status.current)
    needed = ", ".join(status.heads)
    if not status.known:
        return (f"データベースのスキーマ ({current}) はこの版のつなぐより新しいものです。新しい版を配備してください。"
                f" / The database schema ({current}) is newer than this version of Tsunagu (needs {needed}): "
                "deploy the newer version.")
    return (f"データベースのスキーマが古いままです（現在 {current or 'なし'}、必要 {needed}）。"
            f"配備の手順として `{UPGRADE_COMMAND}` を実行してから起動してください。"
            f" / The database schema is out of date (at {current or 'none'}, this version needs {needed}): "
            f"run `{UPGRADE_COMMAND}` before starting the server and workers.")


def check_schema(database_url: str) -> None:
    """Raise ``SchemaOutOfDateError`` unless the database is at this code's newest revision (production start)."""
    problem = schema_problem(schema_status(database_url))
    if problem is not None:
        raise SchemaOutOfDateError(problem)
