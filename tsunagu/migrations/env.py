"""Alembic environment: the metadata of every package's tables, the URL from the caller's config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

import bot.interactions  # noqa: F401  (registers tables on SQLModel.metadata)
import bot.models  # noqa: F401
import console.accounts.models  # noqa: F401
import handoff.canned  # noqa: F401
import handoff.models  # noqa: F401
import handoff.notes  # noqa: F401
import handoff.routing_models  # noqa: F401
import knowledge.changes  # noqa: F401
import knowledge.drafts  # noqa: F401
import knowledge.models  # noqa: F401
import knowledge.unanswered  # noqa: F401
import knowledge.versions  # noqa: F401
import retrieval.models  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, compare_type=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
