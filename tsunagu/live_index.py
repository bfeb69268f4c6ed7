"""Live knowledge: every process serves the newest knowledge version without a restart.

Each process (web server, bot workers) polls the newest version number (one small query every
``KNOWLEDGE_POLL_S``); when it changed, it rebuilds its index from the published entries — embeddings come
from the shared cache, so only the changed entries' lexical indexes are really rebuilt — beside the index it is
serving, and swaps it in with one assignment (``Retriever.swap``): a question asked meanwhile is answered from
the old version, never from half of each.

The process that publishes prepares the new index *before* it commits, so the new texts' embeddings are in
the shared cache when the other processes look, and it swaps at once after the commit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from knowledge.publish import candidate_entries, publish_changes, rollback_entries, rollback_to, versions_between
from knowledge.schema import FaqEntryData
from knowledge.versions import KnowledgeVersion, latest_version_id
from retrieval.engine import BuildStats, IndexGeneration
from tsunagu.container import Services
from tsunagu.readiness import knowledge_version

logger = logging.getLogger(__name__)

KNOWLEDGE_POLL_S = 2.0  # a publish reaches every process within this plus one rebuild


@dataclass(frozen=True)
class PublishResult:
    version: KnowledgeVersion
    stats: BuildStats
    swapped_here: bool  # False: another publish came in between, so the watcher rebuilds from the database
    seconds: float


class LiveIndex:
    """Keeps one process's index on the newest knowledge version; publishes and rolls back for the editor."""

    def __init__(self, services: Services, *, poll_s: float = KNOWLEDGE_POLL_S) -> None:
        self.services = services
        self.poll_s = poll_s
        self._rebuild = threading.Lock()  # one build at a time in this process

    # -- following other processes ---------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Rebuild when the database holds a newer version than the one served; True when it rebuilt."""
        if not self.services.index.ready:
            return False  # the first build is still running; it reads the newest version itself
        with self._rebuild:
            with Session(self.services.engine) as session:
                newest = latest_version_id(session)
            if newest == self.services.index.snapshot().version_id:
                return False
            self.services.rebuild_index()
            logger.info("knowledge version %s is served now", self.services.index.snapshot().version_id)
            return True

    def follow(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; a failed rebuild is logged and tried again at the next poll (the old
        index keeps answering meanwhile)."""
        while not stop.wait(self.poll_s):
            try:
                self.refresh()
            except Exception:
                logger.exception("the new knowledge version could not be loaded; the previous one is served")

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.follow, args=(stop,), name="tsunagu-live-index", daemon=True)
        thread.start()
        return thread

    # -- publishing from this process ------------------------------------------------------------------------
    def prepare(self, entries: Sequence[FaqEntryData]) -> tuple[IndexGeneration, BuildStats]:
        """A candidate index for ``entries`` (embedding their new texts into the shared cache), not served."""
        return self.services.retriever.prepare(entries)

    def publish(
        self, session: Session, *, author: str, faq_ids: Sequence[str] | None = None, note: str = "",
        metrics: dict[str, Any] | None = None, gate_confirmed: bool = False,
    ) -> PublishResult:
        """Publish pending changes as a new version and serve it here at once (others follow within
        ``poll_s`` plus their rebuild)."""
        return self._commit_and_swap(
            session, candidate_entries(session, faq_ids),
            lambda: publish_changes(session, author=author, faq_ids=faq_ids, note=note, metrics=metrics,
                                    gate_confirmed=gate_confirmed))

    def rollback(self, session: Session, *, version_id: int, author: str) -> PublishResult:
        """Publish the entries of ``version_id`` again as a new version and serve it here at once."""
        return self._commit_and_swap(session, rollback_entries(session, version_id),
                                     lambda: rollback_to(session, version_id=version_id, author=author))

    def _commit_and_swap(
        self, session: Session, entries: list[FaqEntryData], commit: Any,
    ) -> PublishResult:
        started = time.perf_counter()
        with self._rebuild:
            served = self.services.index.snapshot().version_id
            before = latest_version_id(session)
            generation, stats = self.prepare(entries)
            version: KnowledgeVersion = commit()
            assert version.id is not None
            in_step = served == before and versions_between(session, before or 0, version.id) == 0
            if in_step:
                self.services.retriever.swap(generation)
                published = [e for e in entries if e.status == "published"]
                self.services.index.mark_ready(len(published), knowledge_version(published), version.id)
        if not in_step:
            self.refresh()
        return PublishResult(version, stats, in_step, time.perf_counter() - started)
