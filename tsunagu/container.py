"""Start-up wiring: database, knowledge pack and retriever, built once and shared by the app and the CLI."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from knowledge.packs import read_pack, read_synonyms
from knowledge.service import count_entries, list_entries, replace_entries
from retrieval.cache import SqlVectorStore
from retrieval.engine import Retriever
from retrieval.factory import make_retriever
from tsunagu.db import make_engine, migrate
from tsunagu.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """Long-lived objects of one process."""

    settings: Settings
    engine: Engine
    retriever: Retriever

    def rebuild_index(self) -> None:
        """Rebuild the search index from the database (only changed text is embedded)."""
        with Session(self.engine) as session:
            self.retriever.build(list_entries(session=session))


def load_pack_if_empty(settings: Settings, engine: Engine) -> None:
    """Embedded default: a fresh database gets the configured sample pack."""
    with Session(engine) as session:
        if count_entries(session=session) == 0 and settings.load_pack_on_start:
            loaded = replace_entries(session=session, pack=read_pack(settings.pack_dir))
            logger.info("loaded %d entries from %s into an empty database", loaded, settings.pack_dir)


def build_services(settings: Settings) -> Services:
    """Migrate the database, load the pack into an empty one, and build the retriever."""
    engine = make_engine(settings.database_url)
    migrate(settings.database_url)
    load_pack_if_empty(settings, engine)
    retriever = make_retriever(
        settings, synonyms=read_synonyms(settings.pack_dir), store=SqlVectorStore(engine)
    )
    services = Services(settings, engine, retriever)
    services.rebuild_index()
    return services
