"""``tsunagu bench webhook``: the LINE webhook under a steady load of signed events, end to end on loopback.

What runs: the real app (``create_app`` from the settings: default embedder, the configured pack, a fresh
temporary SQLite database unless ``--database-url``) served by uvicorn in its own process, with the bot worker
inside it (or ``--workers N`` separate ``tsunagu worker`` processes), and a fake LINE Messaging API in this
process as ``LINE_API_BASE``. An open-loop generator (``eval/webhook_load.py``) sends one signed event per
request at a fixed rate, so a slow acknowledgement never delays the next request: eval questions from many
users, each user at most 10 a minute (under the bot's limit of 20, so every event deserves exactly one answer),
and a share of LINE-style redeliveries (same ``webhookEventId`` and reply token, ``isRedelivery: true``) that
must not be answered again.

* ack_p50_ms / ack_p99_ms: from sending a request to its HTTP response, as the client sees it;
  send_lag_p99_ms says how late the generator itself sent (it shares the machine with the app).
* events_per_s: distinct events answered / seconds from the first request to the last answer at the fake API.
* cpu_ms_per_answer: CPU time (user + system) of the app's processes (uvicorn and any workers: this process's
  children) during the measured load, divided by the events answered; null when the app runs inside this
  process (a test's launcher), where the load generator's CPU cannot be told apart.
* lost: events acknowledged with 200 and never answered; duplicated: answers beyond one per event. Replies are
  matched to events by reply token, pushes (sent once the reply-token window has passed) by user, in order.

Not measured: embedding the pack on a first start (the vectors are copied from ``cache_db``, by default the
eval's cache ``data/eval.db``, and new ones copied back) and a few warm-up events.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil
import uvicorn
from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from bot.models import InboxEvent
from core.db import make_engine
from eval.datasets import load_questions
from eval.metrics import percentile
from eval.paths import REPO_ROOT
from eval.settings import Migrate
from eval.webhook_load import (
    TARGETS,
    Accounting,
    Ack,
    FakeLine,
    LoadOptions,
    plan_requests,
    send_all,
    sent_events,
    wait_for_answers,
)
from retrieval.models import CachedEmbedding

DEFAULT_CACHE_DB = REPO_ROOT / "data" / "eval.db"
CLIENTS, CONNECTIONS_PER_CLIENT = 16, 32  # up to 512 requests in flight, as LINE opens connections as needed
APP_START_TIMEOUT_S = 900.0  # a first start embeds the whole pack (about 1½ minutes on an idle 2-core machine)


@dataclass(frozen=True)
class BenchOptions:
    """The load, and where and how the app runs (``workers`` 0: the worker runs inside the web app)."""

    load: LoadOptions = field(default_factory=LoadOptions)
    workers: int = 0
    worker_nice: int = 10  # separate workers yield the CPU to the web process, whose acks LINE is waiting for
    database_url: str | None = None
    cache_db: Path | None = DEFAULT_CACHE_DB
    warmup_events: int = 20


@dataclass(frozen=True)
class AppEnv:
    """The settings the app under test gets (as environment variables when it is a process)."""

    database_url: str
    line_api_base: str
    channel_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    workers: int = 0
    worker_nice: int = 10

    def environ(self) -> dict[str, str]:
        return {
            "TSUNAGU_DATABASE_URL": self.database_url, "LINE_API_BASE": self.line_api_base,
            "LINE_CHANNEL_SECRET": self.channel_secret, "LINE_CHANNEL_ACCESS_TOKEN": self.access_token,
            "TSUNAGU_RUN_WORKER_IN_PROCESS": "false" if self.workers else "true", "TSUNAGU_EMULATOR": "false",
        }


Launcher = Callable[[AppEnv], AbstractContextManager[str]]  # serves the app and yields its base URL


# -- the app's processes ---------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + APP_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with status {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the app was not ready (/readyz) within {APP_START_TIMEOUT_S:.0f} s:\n{_tail(log)}")


def _wait_started(processes: Sequence[subprocess.Popen[bytes]], timeout: float = 300.0) -> None:
    """Until every worker process has built its index: each under 20 % of a core over one second."""
    watched = [psutil.Process(process.pid) for process in processes]
    for process in watched:
        process.cpu_percent(None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)
        if all(process.cpu_percent(None) < 20 for process in watched):
            return


@contextmanager
def app_processes(
    env: AppEnv, log_dir: Path, extra_environ: dict[str, str] | None = None
) -> Iterator[str]:
    """uvicorn serving ``create_app`` (log level warning, so no access log) and ``env.workers`` worker
    processes at nice ``env.worker_nice`` (as one would run them beside the web process on a small machine);
    everything they print goes to ``log_dir/app.log``."""
    port, log_path = free_port(), log_dir / "app.log"
    environ = {**os.environ, **env.environ(), **(extra_environ or {})}
    server = [sys.executable, "-m", "uvicorn", "tsunagu.app:create_app", "--factory", "--host", "127.0.0.1",
              "--port", str(port), "--log-level", "warning"]
    processes: list[subprocess.Popen[bytes]] = []
    with log_path.open("wb") as log:
        try:
            processes.append(subprocess.Popen(server, env=environ, stdout=log, stderr=subprocess.STDOUT))
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, processes[0], log_path)
            workers = [subprocess.Popen([sys.executable, "-m", "tsunagu.cli", "worker"], env=environ, stdout=log,
                                        stderr=subprocess.STDOUT, preexec_fn=partial(os.nice, env.worker_nice))
                       for _ in range(env.workers)]
            processes.extend(workers)
            _wait_started(workers)
            yield url
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@asynccontextmanager
async def fake_line_server(fake: FakeLine) -> AsyncIterator[str]:
    """Serve the fake Messaging API on a free loopback port in this event loop."""
    port = free_port()
    config = uvicorn.Config(fake, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the fake LINE API did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


# -- databases -------------------------------------------------------------------------------------------------
def copy_embedding_cache(source_url: str, target_url: str) -> int:
    """Copy into ``target_url`` the cached vectors it lacks (both databases migrated); return how many."""
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        with Session(target) as session:
            have = set(session.exec(select(CachedEmbedding.model, CachedEmbedding.text_hash)).all())
        with Session(source) as session:
            rows = [{"model": r.model, "text_hash": r.text_hash, "dim": r.dim, "vector": r.vector}
                    for r in session.exec(select(CachedEmbedding)) if (r.model, r.text_hash) not in have]
        with Session(target) as session:
            for start in range(0, len(rows), 500):
                session.exec(insert(CachedEmbedding), params=rows[start : start + 500])
            session.commit()
        return len(rows)
    finally:
        source.dispose()
        target.dispose()


def inbox_statuses(database_url: str, since: dt.datetime) -> dict[str, int]:
    """How many events received since ``since`` end in each inbox status."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(InboxEvent.status, func.count()).where(col(InboxEvent.received_at) >= since)
                .group_by(col(InboxEvent.status))
            ).all()
        return {status: int(count) for status, count in rows}
    finally:
        engine.dispose()


# -- the run ---------------------------------------------------------------------------------------------------
async def _warm_up(clients: Sequence[httpx.AsyncClient], url: str, fake: FakeLine, texts: Sequence[str], count: int,
                   secret: str, rng: random.Random) -> None:
    """A few events at 10/s, all answered before measuring (first calls build lazily loaded parts), then
    forgotten."""
    if count <= 0:
        return
    warm = LoadOptions(rate=10.0, duration=count / 10, redelivery_share=0.0, drain_timeout=600, stall_timeout=300)
    acks = await send_all(clients, url, plan_requests(texts, warm, secret, rng))
    refused = sorted({ack.status for ack in acks if ack.status != 200})
    if refused:
        raise RuntimeError(f"the app refused warm-up events (HTTP status {refused})")
    if (await wait_for_answers(fake, sent_events(acks), warm)).lost:
        raise RuntimeError("the app did not answer every warm-up event; nothing was measured")
    fake.calls.clear()


async def _measure(
    options: BenchOptions, launcher: Launcher, database_url: str, texts: Sequence[str], count_cpu: bool
) -> dict[str, Any]:
    """``count_cpu``: the app runs in this process's children, whose CPU time is the app's."""
    secret, rng, fake = secrets.token_hex(16), random.Random(options.load.seed), FakeLine()
    async with AsyncExitStack() as stack:
        line_url = await stack.enter_async_context(fake_line_server(fake))
        app = launcher(AppEnv(database_url, line_url, secret, secrets.token_urlsafe(32), options.workers,
                              options.worker_nice))
        app_url = await asyncio.to_thread(app.__enter__)
        stack.push_async_callback(asyncio.to_thread, app.__exit__, None, None, None)
        limits = httpx.Limits(max_connections=CONNECTIONS_PER_CLIENT, max_keepalive_connections=CONNECTIONS_PER_CLIENT)
        clients = [await stack.enter_async_context(httpx.AsyncClient(timeout=30.0, limits=limits))
                   for _ in range(CLIENTS)]
        await _warm_up(clients, f"{app_url}/callback", fake, texts, options.warmup_events, secret, rng)
        cpu_before = app_cpu_seconds() if count_cpu else None
        since, load_before = dt.datetime.now(dt.UTC), os.getloadavg()
        acks = await send_all(clients, f"{app_url}/callback", plan_requests(texts, options.load, secret, rng))
        accounting = await wait_for_answers(fake, sent_events(acks), options.load)
        load_after, cpu_after = os.getloadavg(), app_cpu_seconds() if count_cpu else None
        inbox = await asyncio.to_thread(inbox_statuses, database_url, since)
    cpu_ms = cpu_ms_per_answer(cpu_before, cpu_after, accounting.answered)
    return {**summarize(options, acks, accounting), "cpu_ms_per_answer": cpu_ms, "inbox": inbox,
            "cores": os.cpu_count(),
            "load_avg_before": [round(x, 2) for x in load_before], "load_avg_after": [round(x, 2) for x in load_after]}


def app_cpu_seconds() -> dict[int, float] | None:
    """CPU seconds (user + system) used so far by each process this one started (the app's uvicorn and
    workers), by pid; None when there are none (the app runs in this process)."""
    seconds: dict[int, float] = {}
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[child.pid] = times.user + times.system
    return seconds or None


def cpu_ms_per_answer(before: dict[int, float] | None, after: dict[int, float] | None, answered: int) -> float | None:
    """The app's CPU milliseconds between ``before`` and ``after`` (per process, so a process that started in
    between counts from zero) divided by ``answered``; None when not measurable."""
    if before is None or after is None or answered <= 0:
        return None
    used = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
    return round(1000.0 * used / answered, 2)


def summarize(options: BenchOptions, acks: Sequence[Ack], accounting: Accounting) -> dict[str, Any]:
    """The JSON result: the issue's numbers first, then what explains them."""
    answered_ms = [ack.latency_ms for ack in acks if ack.status]
    first = min(ack.started_at for ack in acks)
    sent_span = max(ack.started_at for ack in acks) - first
    span = (accounting.last_answer_at or first) - first
    events_per_s = _rate(accounting.answered, span)
    during = sum(at <= first + sent_span for at in accounting.answered_at)  # answered while still sending
    ack_p99 = percentile(answered_ms, 99)
    return {
        "offered_rate": options.load.rate, "duration_s": options.load.duration,
        "ack_p50_ms": round(percentile(answered_ms, 50), 1), "ack_p99_ms": round(ack_p99, 1),
        "events_per_s": round(events_per_s, 1), "lost": accounting.lost, "duplicated": accounting.duplicated,
        "ack_errors": sum(ack.status != 200 for ack in acks),
        "ack_max_ms": round(max(answered_ms, default=0.0), 1),
        "requests": len(acks), "redeliveries": sum(ack.planned.redelivery for ack in acks),
        "events": len({ack.planned.event_id for ack in acks}), "users": options.load.user_count(),
        "sent_rate": round(_rate(len(acks) - 1, sent_span), 1),
        "send_lag_p99_ms": round(percentile([ack.lag_ms for ack in acks], 99), 1),
        "answered": accounting.answered, "replied": accounting.replied, "pushed": accounting.pushed,
        "unmatched_calls": accounting.unmatched, "last_answer_after_s": round(span, 1),
        "events_per_s_while_sending": round(_rate(during, sent_span), 1),
        "events_per_s_after_sending": round(_rate(accounting.answered - during, span - sent_span), 1),
        "answer_latency_p50_s": round(percentile(accounting.latencies_s, 50), 2),
        "answer_latency_p99_s": round(percentile(accounting.latencies_s, 99), 2),
        "workers": options.workers or "in-process", "worker_nice": options.worker_nice if options.workers else None,
        "database": _dialect(options.database_url),
        "targets": {
            f"ack_p99_ms <= {TARGETS['ack_p99_ms']:g}": ack_p99 <= TARGETS["ack_p99_ms"],
            f"events_per_s >= {TARGETS['events_per_s']:g}": events_per_s >= TARGETS["events_per_s"],
            "lost == 0": accounting.lost == 0, "duplicated == 0": accounting.duplicated == 0,
        },
    }


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def _dialect(database_url: str | None) -> str:
    return (database_url or "sqlite (temporary)").split(":", 1)[0].split("+", 1)[0]


def run_webhook_bench(
    options: BenchOptions, *, migrate: Migrate, launcher: Launcher | None = None, texts: Sequence[str] | None = None,
    labels: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the benchmark and return its JSON result.

    Args:
        options: load, database and workers.
        migrate: brings a database to the newest schema (the CLI passes ``tsunagu.db.migrate``): the bench's
            fresh database and the embedding cache.
        launcher: serves the app for an ``AppEnv`` (default: uvicorn and worker processes; tests pass one
            that builds the app in-process with a test embedder and pack).
        texts: the messages to send (default: every eval question).
        labels: added to the result as they are (e.g. the embedder's name).
    """
    texts = list(texts or [question.text for question in load_questions()])
    cache = options.cache_db
    with tempfile.TemporaryDirectory(prefix="tsunagu-bench-") as tmp:
        database_url = options.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate(database_url)
        if cache is not None and cache.exists():
            copy_embedding_cache(f"sqlite:///{cache}", database_url)
        launch = launcher or (lambda env: app_processes(env, Path(tmp)))
        results = asyncio.run(_measure(options, launch, database_url, texts, count_cpu=launcher is None))
        if cache is not None:  # keep the vectors for the next run (and for the eval, which shares this cache)
            cache.parent.mkdir(parents=True, exist_ok=True)
            migrate(f"sqlite:///{cache}")
            copy_embedding_cache(database_url, f"sqlite:///{cache}")
    return {**results, **(labels or {})}

