"""``tsunagu bench publish``: how long a publish takes, how soon another process serves it, and whether any
question asked meanwhile fails.

What runs: the real app (``create_app``: the configured embedder and pack, a fresh temporary SQLite database
unless ``--database-url``) served by uvicorn in its own process with one separate bot worker process
(``bench webhook``'s launcher), while this process plays the editor: it stages edits and publishes them with
the same ``LiveIndex.publish`` the console uses. Meanwhile an open-loop client asks ``POST /api/ask`` ``rate``
questions a second (eval questions, round robin).

* publish_one_s: one entry edited (answer and one new alternative question) — prepare the new index (the new
  texts embedded into the shared cache), commit the version, swap it in here. publish_all_s: every entry's
  answer edited, so every answer passage is embedded again.
* gate_s: the quality gate (the pack's eval set on the candidate) for the one-entry edit, run before it as the
  console does, timed on the second edit; gate_first_s: the first check in a process, which also embeds the
  eval questions and measures the served knowledge once.
* propagation_one_s / propagation_all_s: from the end of the publish until the web server's ``/readyz`` reports
  the new version and the worker process has logged it (both poll every ``TSUNAGU_KNOWLEDGE_POLL_S``).
* failed_queries_during_swap: questions that got no 200 from the first publish until both processes serve the
  last one (a question may be answered from the old or the new version, never fail); queries counts them all.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from editor.quality_gate import QualityGate
from eval.bench_handoff import bench_database
from eval.bench_webhook import DEFAULT_CACHE_DB, AppEnv, app_processes, copy_embedding_cache
from eval.datasets import load_questions
from eval.metrics import percentile
from eval.settings import Migrate
from knowledge.changes import stage_change
from knowledge.schema import FaqEntryData
from knowledge.service import list_entries
from knowledge.versions import KnowledgeVersion
from retrieval.engine import Retriever

PROPAGATION_TIMEOUT_S = 120.0


class Published(Protocol):
    """What a publish reports (``tsunagu.live_index.PublishResult``): the version made and its seconds."""

    @property
    def version(self) -> KnowledgeVersion: ...

    @property
    def seconds(self) -> float: ...


class Publisher(Protocol):
    """What the bench does with this process's live index (``tsunagu.live_index.LiveIndex``), as the console
    does: stage, check the candidate with the quality gate, publish."""

    @property
    def served_retriever(self) -> Retriever: ...

    def served_version(self) -> int | None: ...

    def prepare_publish(self, session: Session) -> Any: ...

    def candidate_retriever(self, candidate: Any) -> Retriever: ...

    def publish(self, session: Session, *, author: str, note: str) -> Published: ...


@dataclass(frozen=True)
class PublishingApp:
    """This process's side of the app over the bench database: its engine and its live index (the pack loaded
    as version 1, the index built)."""

    engine: Engine
    live: Publisher


OpenApp = Callable[[str], PublishingApp]
"""The app's side in this process over the database at this URL (the composition root builds it: the CLI from
``tsunagu.container.build_services`` and ``tsunagu.live_index.LiveIndex``)."""


@dataclass
class AskLoad:
    """Open-loop questions at a fixed rate in a background thread, each outcome kept with its send time."""

    url: str
    rate: float
    texts: list[str]
    outcomes: list[tuple[float, int, float]] = field(default_factory=list)  # (sent at, status or 0, seconds)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="ask-load", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=64)) as client:
            tasks, started, number = [], time.monotonic(), 0
            while not self._stop.is_set():
                due = started + number / self.rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                tasks.append(asyncio.create_task(self._ask(client, self.texts[number % len(self.texts)])))
                number += 1
            await asyncio.gather(*tasks)

    async def _ask(self, client: httpx.AsyncClient, text: str) -> None:
        sent = time.monotonic()
        try:
            status = (await client.post(f"{self.url}/api/ask", json={"text": text})).status_code
        except httpx.HTTPError:
            status = 0
        self.outcomes.append((sent, status, time.monotonic() - sent))


def _served_everywhere(url: str, log: Path | None, version_id: int) -> bool:
    """The web server reports ``version_id`` and, with a separate worker process writing ``log``, the worker
    logged it (the web server, under uvicorn's warning level, logs no INFO line)."""
    ready = httpx.get(f"{url}/readyz", timeout=5).json()
    if ready["index"]["version_id"] != version_id:
        return False
    if log is None:
        return True
    text = log.read_text(encoding="utf-8", errors="replace")
    return f"knowledge version {version_id} is served" in text


def _wait_propagated(url: str, log: Path | None, version_id: int) -> float:
    started = time.monotonic()
    while time.monotonic() - started < PROPAGATION_TIMEOUT_S:
        if _served_everywhere(url, log, version_id):
            return time.monotonic() - started
        time.sleep(0.05)
    raise RuntimeError(f"version {version_id} was not served by every process within {PROPAGATION_TIMEOUT_S} s")


def _stage_all(engine: Engine, edit: Callable[[FaqEntryData], FaqEntryData], ids: list[str] | None) -> None:
    with Session(engine) as session:
        for entry in list_entries(session=session):
            if ids is None or entry.id in ids:
                stage_change(session, entry=edit(entry), author="bench")
        session.commit()


def _publish(app: PublishingApp) -> tuple[int, float]:
    with Session(app.engine) as session:
        result = app.live.publish(session, author="bench", note="tsunagu bench publish")
        assert result.version.id is not None
        return result.version.id, result.seconds


Launcher = Callable[[AppEnv, Path], AbstractContextManager[tuple[str, Path | None]]]


@contextmanager
def separate_processes(env: AppEnv, folder: Path) -> Iterator[tuple[str, Path | None]]:
    """The app under uvicorn and one ``tsunagu worker`` process (their log: ``folder/app.log``)."""
    with app_processes(env, folder, extra_environ={"TSUNAGU_API_RATE_LIMIT": "100000/minute"}) as url:
        yield url, folder / "app.log"


def run_publish_bench(
    open_app: OpenApp, *, migrate: Migrate, gate_folder: Path | None, rate: float = 50.0,
    database_url: str | None = None, cache_db: Path | None = DEFAULT_CACHE_DB, launcher: Launcher = separate_processes,
    settle_s: float = 3.0,
) -> dict[str, Any]:
    """Run the measurement on a fresh database: a temporary SQLite file, or a temporary PostgreSQL schema.

    The composition root passes the app's pieces: ``open_app`` (this process's side of the app), ``migrate``
    (the schema) and ``gate_folder`` (the quality gate's eval set, None: no gate). ``launcher`` serves the app
    (tests serve it in-process with the test embedder)."""
    with tempfile.TemporaryDirectory(prefix="tsunagu-bench-publish-") as tmp, bench_database(database_url) as url_db:
        folder = Path(tmp)
        migrate(url_db)
        if cache_db is not None and cache_db.exists():
            copy_embedding_cache(f"sqlite:///{cache_db}", url_db)
        app = open_app(url_db)  # loads the pack as version 1 and builds this process's index
        env = AppEnv(url_db, "http://127.0.0.1:9", secrets.token_hex(16), secrets.token_hex(16), workers=1)
        try:
            with launcher(env, folder) as (url, log):
                results = _measure(app, gate_folder, url, log, rate, settle_s)
        finally:
            app.engine.dispose()
        return {**results, "database": url_db.split(":", 1)[0].split("+", 1)[0]}


def _measure(
    app: PublishingApp, gate_folder: Path | None, url: str, log: Path | None, rate: float, settle_s: float
) -> dict[str, Any]:
    gate = QualityGate.from_dataset(gate_folder)
    live = app.live
    first = sorted(live.served_retriever.entries)[0]
    load = AskLoad(url, rate, [q.text for q in load_questions()])
    load.start()
    time.sleep(settle_s)  # a steady load before the first publish
    window_start = time.monotonic()
    gate_times: list[float] = []
    try:
        for round_number in (1, 2):  # the second round times the gate with its baseline known
            _stage_all(app.engine, lambda e, n=round_number: e.model_copy(update={  # type: ignore[misc]
                "answer": f"{e.answer}\n（ベンチマークによる編集 {n}）",
                "alt_questions": [*e.alt_questions, f"ベンチマークの言い方 {n}"]}), [first])
            if gate is not None:
                with Session(app.engine) as session:
                    candidate = live.prepare_publish(session)
                    started = time.perf_counter()
                    gate.check(live.served_retriever, live.served_version(), live.candidate_retriever(candidate))
                    gate_times.append(round(time.perf_counter() - started, 2))
            one_id, publish_one_s = _publish(app)
            propagation_one_s = _wait_propagated(url, log, one_id)
        _stage_all(app.engine, lambda e: e.model_copy(update={"answer": f"{e.answer}\n（全件の編集）"}), None)
        all_id, publish_all_s = _publish(app)
        propagation_all_s = _wait_propagated(url, log, all_id)
        window_end = time.monotonic()
        time.sleep(min(2.0, settle_s))
    finally:
        load.stop()
    during = [o for o in load.outcomes if window_start <= o[0] <= window_end]
    return {
        "rate_per_s": rate, "entries": len(live.served_retriever.entries),
        "publish_one_s": round(publish_one_s, 2), "gate_s": gate_times[-1] if gate_times else None,
        "gate_first_s": gate_times[0] if gate_times else None,
        "gate_questions": len(gate.questions) if gate else 0,
        "propagation_one_s": round(propagation_one_s, 2),
        "publish_all_s": round(publish_all_s, 2), "propagation_all_s": round(propagation_all_s, 2),
        "queries": len(load.outcomes), "queries_during_swap": len(during),
        "failed_queries_during_swap": sum(1 for o in during if o[1] != 200),
        "failed_queries": sum(1 for o in load.outcomes if o[1] != 200),
        "ask_p50_ms": round(percentile([o[2] * 1000 for o in load.outcomes], 50), 1),
        "ask_p99_ms": round(percentile([o[2] * 1000 for o in load.outcomes], 99), 1),
    }
