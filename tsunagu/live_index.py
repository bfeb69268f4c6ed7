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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from knowledge.publish import (
    candidate_entries,
    publish_changes,
    replace_published,
    replaced_entries,
    rollback_entries,
    rollback_to,
    versions_between,
)
from knowledge.schema import FaqEntryData
from knowledge.versions import KnowledgeVersion, latest_version_id
from retrieval.engine import BuildStats, IndexGeneration, Retriever
from tsunagu.container import Services

logger = logging.getLogger(__name__)

KNOWLEDGE_POLL_S = 2.0  # a publish reaches every process within this plus one rebuild


@dataclass(frozen=True)
class Candidate:
    """The knowledge a publish or rollback would make, with its index built but not served yet."""

    entries: list[FaqEntryData]
    generation: IndexGeneration
    stats: BuildStats
    base_version_id: int | None  # the newest version when the entries were read


@dataclass(frozen=True)
class PublishResult:
    version: KnowledgeVersion
    stats: BuildStats
    swapped_here: bool  # False: another publish came in between, so this process rebuilt from the database
    seconds: float


class LiveIndex:
    """Keeps one process's index on the newest knowledge version; publishes and rolls back for the editor."""

    def __init__(self, services: Services, *, poll_s: float = KNOWLEDGE_POLL_S) -> None:
        self.services = services
        self.poll_s = poll_s
        self._rebuild = threading.Lock()  # one build at a time in this process

    def served_version(self) -> int | None:
        """The knowledge version this process answers from."""
        return self.services.index.snapshot().version_id

    @property
    def served_retriever(self) -> Retriever:
        return self.services.retriever

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
    def prepare_publish(self, session: Session, faq_ids: Sequence[str] | None = None) -> Candidate:
        """The candidate knowledge of publishing the pending changes (all, or those of ``faq_ids``)."""
        return self._prepare(session, lambda: candidate_entries(session, faq_ids))

    def prepare_rollback(self, session: Session, version_id: int) -> Candidate:
        """The candidate knowledge of rolling back to ``version_id`` (KeyError when there is none)."""
        return self._prepare(session, lambda: rollback_entries(session, version_id))

    def prepare_replace(self, session: Session, entries: Sequence[FaqEntryData]) -> Candidate:
        """The candidate knowledge of making ``entries`` the knowledge (a console import, for its gate)."""
        return self._prepare(session, lambda: replaced_entries(session, entries))

    def replace_all(
        self, session: Session, *, entries: Sequence[FaqEntryData], author: str, kind: str, note: str = "",
        metrics: dict[str, Any] | None = None, gate_confirmed: bool = False, candidate: Candidate | None = None,
    ) -> PublishResult:
        """Make ``entries`` the knowledge (a console import) as one version, served here at once; entries
        missing from them are archived. ``candidate``: from ``prepare_replace`` (the gate checked it)."""
        started = time.perf_counter()
        candidate = candidate or self.prepare_replace(session, entries)
        return self._commit_and_swap(session, candidate, started, lambda: replace_published(
            session, entries=entries, author=author, kind=kind, note=note, metrics=metrics,
            gate_confirmed=gate_confirmed))

    def _prepare(self, session: Session, read: Callable[[], list[FaqEntryData]]) -> Candidate:
        base = latest_version_id(session)  # before the entries: see Services.rebuild_index
        entries = read()
        generation, stats = self.services.retriever.prepare(entries)
        return Candidate(entries, generation, stats, base)

    def candidate_retriever(self, candidate: Candidate) -> Retriever:
        """A retriever answering from ``candidate`` (for the quality gate), citizens still get the served one."""
        return self.services.retriever.serving(candidate.generation)

    def publish(
        self, session: Session, *, author: str, faq_ids: Sequence[str] | None = None, note: str = "",
        metrics: dict[str, Any] | None = None, gate_confirmed: bool = False, candidate: Candidate | None = None,
    ) -> PublishResult:
        """Publish pending changes as a new version and serve it here at once (other processes follow within
        ``poll_s`` plus their rebuild). ``candidate``: from ``prepare_publish`` (the gate checked it)."""
        started = time.perf_counter()
        candidate = candidate or self.prepare_publish(session, faq_ids)
        return self._commit_and_swap(session, candidate, started, lambda: publish_changes(
            session, author=author, faq_ids=faq_ids, note=note, metrics=metrics, gate_confirmed=gate_confirmed))

    def rollback(self, session: Session, *, version_id: int, author: str) -> PublishResult:
        """Publish the entries of ``version_id`` again as a new version and serve it here at once."""
        started = time.perf_counter()
        candidate = self.prepare_rollback(session, version_id)
        return self._commit_and_swap(session, candidate, started,
                                     lambda: rollback_to(session, version_id=version_id, author=author))

    def _commit_and_swap(
        self, session: Session, candidate: Candidate, started: float, commit: Callable[[], KnowledgeVersion],
    ) -> PublishResult:
        """Commit, then serve the candidate here if nothing else was published since it was read and this
        process served exactly that base; otherwise rebuild from the database."""
        with self._rebuild:
            base = candidate.base_version_id
            unchanged = latest_version_id(session) == base == self.services.index.snapshot().version_id
            version = commit()
            assert version.id is not None
            in_step = unchanged and versions_between(session, base or 0, version.id) == 0
            if in_step:
                self.services.serve(candidate.generation, candidate.entries, version.id)
        if not in_step:
            self.refresh()
        return PublishResult(version, candidate.stats, in_step, time.perf_counter() - started)
