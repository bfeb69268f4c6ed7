"""Whether this process's search index is built, shared by the index build, the worker and ``/readyz``.

The web server listens before the first index build ends (it takes minutes on a small machine with the real
embedder), so every part that needs the index asks ``IndexState`` first: the worker waits for it, ``/api/ask`` and
the console's FAQ search answer 503, ``/readyz`` reports "indexing". The build runs in another thread, so the
state is guarded by a lock and read as an immutable snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from knowledge.schema import FaqEntryData

IndexStatus = Literal["indexing", "ready", "failed"]
WAIT_POLL_S = 0.2  # how often a waiting worker looks again (its stop event wakes it at once)


@dataclass(frozen=True)
class IndexSnapshot:
    """The index as last reported: texts embedded so far while building; entries and version once built."""

    status: IndexStatus = "indexing"
    texts_done: int = 0
    texts_total: int = 0
    entries: int = 0
    knowledge_version: str | None = None
    version_id: int | None = None  # the knowledge version (knowledge.versions) this index was built from


def knowledge_version(entries: Sequence[FaqEntryData]) -> str:
    """A short digest of the indexed entries' content: equal on every process serving the same knowledge, so an
    operator can see that a deploy or an edit reached all of them (no entry text is revealed)."""
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: e.id):
        digest.update(entry.model_dump_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


class IndexState:
    """Thread-safe readiness of one process's index: "indexing" until the first build ends, then "ready" (or
    "failed" when that build raised; a later successful rebuild makes it ready)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot = IndexSnapshot()
        self._ready = threading.Event()

    def snapshot(self) -> IndexSnapshot:
        with self._lock:
            return self._snapshot

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def progress(self, done: int, total: int) -> None:
        """Texts embedded so far by the build in progress (the retriever's progress callback)."""
        with self._lock:
            self._snapshot = replace(self._snapshot, texts_done=done, texts_total=total)

    def mark_ready(self, entries: int, version: str, version_id: int | None = None) -> None:
        with self._lock:
            self._snapshot = IndexSnapshot("ready", self._snapshot.texts_done, self._snapshot.texts_total,
                                           entries, version, version_id)
        self._ready.set()

    def mark_failed(self) -> None:
        """The build raised: only the first build's failure matters (a rebuild's failure keeps the old index)."""
        with self._lock:
            if not self._ready.is_set():
                self._snapshot = replace(self._snapshot, status="failed")

    async def wait_ready(self, stop: asyncio.Event) -> bool:
        """Wait until the index is ready (True) or ``stop`` is set (False), without blocking the event loop."""
        while not self._ready.is_set() and not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=WAIT_POLL_S)
        return self._ready.is_set()
