"""Migrations as a deploy step (issue 10 §2): ``tsunagu db upgrade`` under a PostgreSQL advisory lock, and
production processes that refuse to start on an old schema while development still upgrades by itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from tests.conftest import MINI_PACK
from tests.utils.waiting import wait_for
from tsunagu.cli import app as cli
from tsunagu.container import prepare_schema
from tsunagu.db import MIGRATION_LOCK_KEY, SchemaOutOfDateError, alembic_config, migrate, schema_status
from tsunagu.settings import Settings

runner = CliRunner()
PRODUCTION = {"environment": "production", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}
postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def head_revision(url: str) -> str:
    heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
    assert len(heads) == 1
    return heads[0]


def previous_revision(url: str) -> str:
    """The revision just before head: a database one deploy behind."""
    revision = ScriptDirectory.from_config(alembic_config(url)).get_revision(head_revision(url))
    assert isinstance(revision.down_revision, str)
    return revision.down_revision


def version_rows(url: str) -> list[str]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        rows = [row[0] for row in connection.execute(text("select version_num from alembic_version"))]
    engine.dispose()
    return rows


# -- the advisory lock -------------------------------------------------------------------------------------------
def waiting_for_migration_lock(admin_url: str) -> int:
    """Sessions waiting for the migration lock (a bigint key: classid is its high half, objid its low half)."""
    engine = create_engine(admin_url, poolclass=NullPool)
    with engine.connect() as connection:
        count = connection.execute(
            text("select count(*) from pg_locks where locktype = 'advisory' and not granted "
                 "and classid = :high and objid = :low and objsubid = 1"),
            {"high": MIGRATION_LOCK_KEY >> 32, "low": MIGRATION_LOCK_KEY & 0xFFFFFFFF},
        ).scalar_one()
    engine.dispose()
    return int(count)


def tsunagu_command(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    executable = Path(sys.executable).parent / "tsunagu"
    return subprocess.Popen([str(executable), *args], env={**os.environ, **env}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@postgresql_only
def test_two_upgrades_at_once_take_turns_and_both_succeed(database_url: str) -> None:
    """Two deploys run `tsunagu db upgrade` at once while a third holds the lock; released, they take turns.
    Without the lock they would create the same tables in two transactions and one would fail."""
    holder = create_engine(database_url, poolclass=NullPool)
    with holder.connect() as connection:
        connection.execute(text("select pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        upgrades = [tsunagu_command("db", "upgrade", env={"TSUNAGU_DATABASE_URL": database_url}) for _ in range(2)]
        wait_for(lambda: waiting_for_migration_lock(database_url) == 2 or any(p.poll() is not None for p in upgrades),
                 timeout=60, interval=0.1, message="both upgrades to wait for the lock (or one to end)")
        assert waiting_for_migration_lock(database_url) == 2
        assert schema_status(database_url).current == ()  # nothing migrated while the lock is held
        connection.execute(text("select pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
    holder.dispose()
    results = [process.communicate(timeout=300) for process in upgrades]
    assert [process.returncode for process in upgrades] == [0, 0], results
    outputs = [stdout for stdout, _ in results]
    # one migrated, the other found it done
    assert sorted("schema upgraded" in out for out in outputs) == [False, True]
    assert sorted("up to date" in out for out in outputs) == [False, True]
    assert version_rows(database_url) == [head_revision(database_url)]
    assert schema_status(database_url).up_to_date


# -- the command line --------------------------------------------------------------------------------------------
def test_db_upgrade_and_current(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", database_url)
    head = head_revision(database_url)
    before = runner.invoke(cli, ["db", "current", "--check"])
    assert before.exit_code == 1
    assert "current: none" in before.output and "tsunagu db upgrade" in before.output

    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"→ {head}" in upgraded.output
    again = runner.invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0 and "up to date" in again.output

    after = runner.invoke(cli, ["db", "current", "--check"])
    assert after.exit_code == 0
    assert f"current: {head}" in after.output


# -- start-up on an old schema -----------------------------------------------------------------------------------
def one_deploy_behind(url: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - guard: the fixture must start from an empty database
        version_rows(url)
    command.upgrade(alembic_config(url), previous_revision(url))


def assert_names_the_command(message: str, url: str) -> None:
    assert "tsunagu db upgrade" in message
    assert "スキーマが古い" in message  # Japanese
    assert "out of date" in message  # and English
    assert previous_revision(url) in message and head_revision(url) in message


def test_production_refuses_an_old_schema_and_development_upgrades_it(database_url: str) -> None:
    one_deploy_behind(database_url)
    production = Settings(database_url=database_url, pack_dir=MINI_PACK, **PRODUCTION)
    with pytest.raises(SchemaOutOfDateError) as refused:
        prepare_schema(production)
    assert_names_the_command(str(refused.value), database_url)
    assert version_rows(database_url) == [previous_revision(database_url)]  # production changed nothing

    prepare_schema(Settings(database_url=database_url, pack_dir=MINI_PACK))
    assert version_rows(database_url) == [head_revision(database_url)]
    prepare_schema(production)  # now current: no error


def test_production_worker_exits_with_the_message(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    one_deploy_behind(sqlite_url)
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TSUNAGU_ENVIRONMENT", "production")
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "t")
    result = runner.invoke(cli, ["worker"])
    assert result.exit_code == 1
    assert_names_the_command(result.output, sqlite_url)


SERVERS = {
    "tsunagu serve": [str(Path(sys.executable).parent / "tsunagu"), "serve", "--port", "0"],
    "uvicorn factory": [sys.executable, "-m", "uvicorn", "tsunagu.app:create_app", "--factory", "--port", "0"],
}


@pytest.mark.parametrize("server", SERVERS)
def test_production_server_does_not_start_on_an_old_schema(sqlite_url: str, server: str) -> None:
    """The real commands, as a deploy would run them: they exit with the message and never serve."""
    one_deploy_behind(sqlite_url)
    env = {**os.environ, "TSUNAGU_DATABASE_URL": sqlite_url, "TSUNAGU_ENVIRONMENT": "production",
           "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}
    refused = subprocess.run(SERVERS[server], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode != 0
    assert "Uvicorn running" not in refused.stderr
    assert_names_the_command(refused.stderr, sqlite_url)


def test_a_schema_newer_than_the_code_is_refused_too(sqlite_url: str) -> None:
    migrate(sqlite_url)
    engine = create_engine(sqlite_url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("update alembic_version set version_num = 'from_the_future'"))
    engine.dispose()
    with pytest.raises(SchemaOutOfDateError, match="newer than this version"):
        prepare_schema(Settings(database_url=sqlite_url, pack_dir=MINI_PACK, **PRODUCTION))
