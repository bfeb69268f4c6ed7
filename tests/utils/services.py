"""Build the app's services for tests: migrated database, pack loaded, hashing embedder (fast, offline)."""

from __future__ import annotations

from core.db import make_engine
from retrieval.cache import MemoryVectorStore
from retrieval.factory import make_retriever
from tests.utils.embedders import HashingEmbedder
from tsunagu.container import Services, load_pack_if_empty
from tsunagu.db import migrate
from tsunagu.settings import Settings


def make_test_services(settings: Settings) -> Services:
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    load_pack_if_empty(settings, engine)
    retriever = make_retriever(settings, store=MemoryVectorStore(), embedder=HashingEmbedder())
    services = Services(settings, engine, retriever)
    services.rebuild_index()
    return services
