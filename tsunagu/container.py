"""Start-up wiring: database, knowledge pack and retriever, built once and shared by the app and the CLI.

The CLI builds the index before it goes on (``build_services``); the web app listens first and builds it in a
background thread (``start_index_build``), reporting progress and readiness through ``Services.index``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session

from bot.channel import Renderer, Transcriber
from bot.line.channel import LineRenderer
from bot.postback import PostbackSigner
from core.db import make_engine
from knowledge.packs import read_pack, read_synonyms
from knowledge.publish import ensure_first_version, record_current
from knowledge.schema import FaqEntryData
from knowledge.service import count_entries, list_entries, replace_entries
from knowledge.versions import latest_version_id
from retrieval.cache import ProgressCallback, SqlVectorStore
from retrieval.engine import IndexGeneration, Retriever
from retrieval.factory import make_retriever
from tsunagu.db import check_schema, migrate
from tsunagu.readiness import IndexState, knowledge_version
from tsunagu.settings import Settings

logger = logging.getLogger(__name__)

PROGRESS_LOG_STEPS = 10  # the background build logs its progress at every tenth of the texts


@dataclass
class Services:
    """Long-lived objects of one process; ``index`` says whether ``retriever`` is built yet."""

    settings: Settings
    engine: Engine
    retriever: Retriever
    index: IndexState = field(default_factory=IndexState)

    @property
    def signer(self) -> PostbackSigner:
        """Signs and checks the citizens' buttons (the LINE channel secret's key; the settings always hold one)."""
        assert self.settings.line_channel_secret is not None
        return PostbackSigner(self.settings.line_channel_secret.get_secret_value())

    @property
    def renderers(self) -> Mapping[str, Renderer]:
        """The renderers of the channels this deployment answers on (LINE), for replies stored outside the
        worker (staff answers); the worker wires the same channels (``tsunagu.bot_runtime.make_worker``)."""
        return {renderer.name: renderer for renderer in (LineRenderer(),)}

    @property
    def transcribers(self) -> Mapping[str, Transcriber]:
        """The same channels' readers of their stored rows, for the console's view of a ticket's chat."""
        return {transcriber.name: transcriber for transcriber in (LineRenderer(),)}

    def rebuild_index(self, progress: ProgressCallback | None = None) -> None:
        """Rebuild the search index from the database (only changed text is embedded), then mark it ready
        with the knowledge version it was built from: read before the entries, so a publish in between makes
        the next check rebuild again rather than leave this process behind."""
        with Session(self.engine) as session:
            version_id = latest_version_id(session)
            entries = list_entries(session=session)
        generation, _ = self.retriever.prepare(entries, progress=progress)
        self.serve(generation, entries, version_id)

    def serve(self, generation: IndexGeneration, entries: Sequence[FaqEntryData], version_id: int | None) -> None:
        """Answer from ``generation`` (built from ``entries``) from now on, and report it ready with the knowledge
        version it holds."""
        published = [e for e in entries if e.status == "published"]
        self.retriever.swap(generation)
        self.index.mark_ready(len(published), knowledge_version(published), version_id)


def load_pack_if_empty(settings: Settings, engine: Engine) -> None:
    """Embedded default: a fresh database gets the configured sample pack (as its first knowledge version).
    A database filled before versions existed gets its first version from what it holds."""
    with Session(engine) as session:
        if count_entries(session=session) == 0 and settings.load_pack_on_start:
            loaded = replace_entries(session=session, pack=read_pack(settings.pack_dir))
            record_current(session, author="system", kind="load", note=f"{settings.pack_dir.name} を読み込み")
            logger.info("loaded %d entries from %s into an empty database", loaded, settings.pack_dir)
        else:
            ensure_first_version(session)


def prepare_schema(settings: Settings) -> None:
    """Development migrates by itself; production only checks, since migrating is a deploy step
    (``tsunagu db upgrade``), and refuses to start on an old schema (``SchemaOutOfDateError``)."""
    if settings.environment == "production":
        check_schema(settings.database_url)
    else:
        migrate(settings.database_url)


def build_services(settings: Settings, *, build_index: bool = True) -> Services:
    """Prepare the schema (``prepare_schema``), load the pack into an empty database, and make the retriever;
    build its index now unless ``build_index`` is False (the web app builds it in the background:
    ``start_index_build``)."""
    prepare_schema(settings)
    engine = make_engine(settings.database_url)
    load_pack_if_empty(settings, engine)
    retriever = make_retriever(
        settings, synonyms=read_synonyms(settings.pack_dir), store=SqlVectorStore(engine)
    )
    services = Services(settings, engine, retriever)
    if build_index:
        services.rebuild_index()
    return services


def _logged_progress(index: IndexState) -> ProgressCallback:
    """Record progress in ``index`` (for ``/readyz``) and log it at every tenth, so the terminal shows it too."""
    logged = -1

    def report(done: int, total: int) -> None:
        nonlocal logged
        index.progress(done, total)
        step = done * PROGRESS_LOG_STEPS // total if total else PROGRESS_LOG_STEPS
        if step > logged:
            logged = step
            logger.info("building the search index: %d/%d texts embedded", done, total)

    return report


def build_index_logged(services: Services) -> None:
    """The first build, as the background thread runs it: a failure is logged and reported, never raised."""
    logger.info("building the search index in the background; /readyz answers 503 \"indexing\" until it is done")
    try:
        services.rebuild_index(progress=_logged_progress(services.index))
    except Exception:
        services.index.mark_failed()
        logger.exception("the search index could not be built; /readyz answers 503 \"index_failed\"")


def start_index_build(services: Services) -> threading.Thread:
    """Build the index in a daemon thread (Ctrl-C during a first build must not wait for it) and return it."""
    thread = threading.Thread(target=build_index_logged, args=(services,), name="tsunagu-index", daemon=True)
    thread.start()
    return thread
