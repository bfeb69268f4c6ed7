"""``tsunagu serve``: N web processes (uvicorn with the app factory) and, when asked, bot worker processes beside
them, restarted if they die, so that acknowledging LINE never shares a process with embedding.

The parent process prepares what the children would otherwise race for: the schema (development migrates, production
checks), the pack loaded into an empty database and, with several web processes, the embedding cache; and in
development one LINE channel secret for all of them (each would otherwise make up its own).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from core.db import make_engine
from core.logging_setup import configure_logging
from tsunagu.container import build_services, load_pack_if_empty, prepare_schema
from tsunagu.settings import Settings, get_settings, line_secret

logger = logging.getLogger(__name__)

APP_FACTORY = "tsunagu.app:create_app"
WORKER_COMMAND = (sys.executable, "-m", "tsunagu.cli", "worker")
READY_POLL_S = 1.0
RESTART_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0)  # after the 1st, 2nd, ... crash in a row; then the last again
STABLE_AFTER_S = 60.0  # a worker that ran this long before dying starts the backoff again from the first delay
STOP_GRACE_S = 15.0


class ServeError(ValueError):
    """Options that cannot work together (shown to the operator as one line)."""


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    workers: int = 1  # web processes
    bot_workers: int = 0  # bot worker processes beside them (0: the worker runs inside the web app, per settings)


def check_options(settings: Settings, options: ServeOptions) -> None:
    if options.workers > 1 and settings.emulator:
        raise ServeError("the LINE emulator keeps its chats in one process's memory: use --workers 1 with it")
    if options.bot_workers and options.port == 0:
        raise ServeError("--bot-workers needs a fixed --port (the worker starts once /readyz answers there)")


def share_development_secret(settings: Settings) -> None:
    """Without LINE_CHANNEL_SECRET, development makes one up per process: give the children this process's."""
    if "LINE_CHANNEL_SECRET" not in os.environ and settings.line_channel_secret is not None:
        os.environ["LINE_CHANNEL_SECRET"] = settings.line_channel_secret.get_secret_value()


def prepare_database(settings: Settings, *, warm_index: bool) -> None:
    """Schema and pack once, here, before any child starts; with ``warm_index`` also embed every entry once, so
    that several web processes find the embedding cache full instead of each embedding the whole pack."""
    if warm_index:
        build_services(settings).engine.dispose()  # prepares the schema and loads the pack first
        return
    prepare_schema(settings)
    engine = make_engine(settings.database_url)
    try:
        load_pack_if_empty(settings, engine)
    finally:
        engine.dispose()


def readiness_url(options: ServeOptions) -> str:
    host = "127.0.0.1" if options.host in ("0.0.0.0", "", "localhost") else options.host
    host = "[::1]" if host == "::" else (f"[{host}]" if ":" in host else host)
    return f"http://{host}:{options.port}/readyz"


def is_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


class WorkerSupervisor:
    """Starts ``count`` bot worker processes once the web app is ready, restarts any that exits (with a growing
    delay while it keeps dying), and stops them all at ``stop()``. They run in their own session, so Ctrl-C in the
    terminal reaches only the server, which then stops them here."""

    def __init__(self, count: int, ready_url: str, command: tuple[str, ...] = WORKER_COMMAND) -> None:
        self.count = count
        self.ready_url = ready_url
        self.command = command
        self.processes: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="tsunagu-worker-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(self.command, start_new_session=True)
        logger.warning("bot worker started (pid %d)", process.pid)
        return process

    def _run(self) -> None:
        while not is_ready(self.ready_url):
            if self._stopping.wait(READY_POLL_S):
                return
        crashes = [0] * self.count
        started = [0.0] * self.count
        with self._lock:
            if self._stopping.is_set():
                return
            for slot in range(self.count):
                self.processes.append(self._spawn())
                started[slot] = time.monotonic()
        while not self._stopping.wait(READY_POLL_S):
            for slot, process in enumerate(list(self.processes)):
                code = process.poll()
                if code is None:
                    continue
                crashes[slot] = 1 if time.monotonic() - started[slot] > STABLE_AFTER_S else crashes[slot] + 1
                delay = RESTART_DELAYS_S[min(crashes[slot], len(RESTART_DELAYS_S)) - 1]
                logger.warning("bot worker (pid %d) exited with %s; restarting in %.0f s", process.pid, code, delay)
                if self._stopping.wait(delay):
                    return
                with self._lock:
                    if self._stopping.is_set():
                        return
                    self.processes[slot] = self._spawn()
                    started[slot] = time.monotonic()

    def stop(self) -> None:
        """Stop supervising, ask every worker to stop (SIGTERM: it finishes its round), kill any that lingers."""
        with self._lock:
            self._stopping.set()
            processes = list(self.processes)
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._thread.join(timeout=STOP_GRACE_S)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def run_server(options: ServeOptions) -> None:
    """Run the web app in ``options.workers`` processes and ``options.bot_workers`` supervised worker processes."""
    import uvicorn

    settings = get_settings()
    # INFO: e.g. the first index build's progress
    log_config = configure_logging(settings, user_ref_secret=line_secret(settings))
    check_options(settings, options)
    share_development_secret(settings)
    if options.bot_workers:
        os.environ["TSUNAGU_RUN_WORKER_IN_PROCESS"] = "false"
    get_settings.cache_clear()  # the web app reads the settings again, with the above
    prepare_database(settings, warm_index=options.workers > 1)
    supervisor = WorkerSupervisor(options.bot_workers, readiness_url(options)) if options.bot_workers else None
    if supervisor is not None:
        # uvicorn re-raises the SIGTERM it stopped on once it is done: exit through ``finally`` (stopping the
        # workers) instead of dying there with them left running.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        supervisor.start()
    try:
        uvicorn.run(APP_FACTORY, factory=True, host=options.host, port=options.port, workers=options.workers,
                    log_config=log_config)  # every web process logs like this one
    finally:
        if supervisor is not None:
            supervisor.stop()
