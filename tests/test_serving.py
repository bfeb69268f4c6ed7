"""``tsunagu serve --workers N --bot-workers M`` (issue 10 §2): N web processes from the app factory, M bot worker
processes beside them, started once the app is ready, restarted when they die and stopped with the server."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from typer.testing import CliRunner

from tests.conftest import MINI_PACK
from tests.utils.waiting import wait_for
from tsunagu.cli import app as cli
from tsunagu.serving import ServeError, ServeOptions, check_options, readiness_url, share_development_secret
from tsunagu.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
PROCESS_WAIT_S = 120.0  # a process starting or stopping on a busy machine (bounded: a stuck one fails the test)


# -- options -----------------------------------------------------------------------------------------------------
def test_the_emulator_needs_a_single_web_process() -> None:
    with pytest.raises(ServeError, match="--workers 1"):
        check_options(Settings(emulator=True), ServeOptions(host="127.0.0.1", port=8000, workers=2))
    check_options(Settings(emulator=True), ServeOptions(host="127.0.0.1", port=8000, workers=1, bot_workers=1))


def test_cli_reports_options_that_cannot_work_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSUNAGU_EMULATOR", "true")
    result = runner.invoke(cli, ["serve", "--workers", "2"])
    assert result.exit_code == 1
    assert "emulator" in result.output


def test_children_share_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "environ", dict(os.environ))  # what the function sets stays in this test
    settings = Settings()  # no LINE channel: a made-up secret that the children must get too
    assert settings.line_channel_secret is not None
    share_development_secret(settings)
    assert os.environ["LINE_CHANNEL_SECRET"] == settings.line_channel_secret.get_secret_value()
    assert Settings().line_channel_secret == settings.line_channel_secret


@pytest.mark.parametrize(("host", "url"), [("0.0.0.0", "http://127.0.0.1:81/readyz"),
                                           ("::", "http://[::1]:81/readyz"),
                                           ("10.1.2.3", "http://10.1.2.3:81/readyz")])
def test_readiness_is_polled_where_the_server_listens(host: str, url: str) -> None:
    assert readiness_url(ServeOptions(host=host, port=81)) == url


def test_scripts_run_starts_a_worker_process_beside_the_web_app() -> None:
    line = next(line for line in (ROOT / "scripts" / "run").read_text(encoding="utf-8").splitlines()
                if line.startswith("exec "))
    words = [w for w in shlex.split(line)[1:] if not w.startswith("$")]
    assert words[0].endswith("tsunagu") and words[1] == "serve"
    assert int(words[words.index("--bot-workers") + 1]) >= 1
    assert runner.invoke(cli, [*[w for w in words[1:] if w != "--port"], "--help"]).exit_code == 0


@pytest.mark.parametrize(("workers", "bot_workers", "in_process"), [(1, 0, True), (2, 1, False), (1, 3, False)])
def test_web_processes_leave_the_bot_to_worker_processes(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, workers: int, bot_workers: int, in_process: bool
) -> None:
    """What each web process will read when uvicorn starts it, and what the supervisor is asked to run."""
    import uvicorn

    import tsunagu.serving as serving

    monkeypatch.setenv("TSUNAGU_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TSUNAGU_PACK_DIR", str(MINI_PACK))
    monkeypatch.delenv("TSUNAGU_RUN_WORKER_IN_PROCESS")  # the conftest's default for tests; serve decides here
    monkeypatch.setattr(serving, "prepare_database", lambda settings, *, warm_index: None)
    seen: dict[str, Any] = {}

    class FakeSupervisor:
        def __init__(self, count: int, ready_url: str) -> None:
            seen["supervised"] = count

        def start(self) -> None:
            seen["started"] = True

        def stop(self) -> None:
            seen["stopped"] = True

    def fake_run(app: str, **kwargs: Any) -> None:
        seen.update(app=app, in_process=get_settings().run_worker_in_process, **kwargs)

    monkeypatch.setattr(serving, "WorkerSupervisor", FakeSupervisor)
    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setattr(os, "environ", dict(os.environ))  # run_server's changes stay in this test
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # and so does its SIGTERM handler
    serving.run_server(ServeOptions(host="127.0.0.1", port=8000, workers=workers, bot_workers=bot_workers))
    assert (seen["app"], seen["factory"], seen["workers"]) == ("tsunagu.app:create_app", True, workers)
    assert seen["in_process"] is in_process
    assert seen.get("supervised", 0) == bot_workers
    assert seen.get("stopped", False) == (bot_workers > 0)


# -- real processes ----------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def children_running(server: psutil.Process, matches: Callable[[list[str]], bool]) -> list[psutil.Process]:
    """The server's live children whose command line ``matches`` (a killed child is a zombie until reaped)."""
    found = []
    for child in server.children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and matches(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def bot_workers(server: psutil.Process) -> list[psutil.Process]:
    return children_running(server, lambda cmdline: cmdline[-2:] == ["tsunagu.cli", "worker"])


def web_processes(server: psutil.Process) -> list[psutil.Process]:
    return children_running(server, lambda cmdline: "multiprocessing.spawn" in " ".join(cmdline))


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen[str], int]]]:
    """Start ``tsunagu serve`` with the mini pack on a fresh SQLite file; stopped (and its children) at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, emulator: bool = False) -> tuple[subprocess.Popen[str], int]:
        port = free_port()
        env = {**os.environ, "TSUNAGU_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
               "TSUNAGU_PACK_DIR": str(MINI_PACK)}
        if emulator:  # as scripts/run sets it up
            env |= {"TSUNAGU_EMULATOR": "true", "LINE_API_BASE": f"http://127.0.0.1:{port}/emulator/line-api"}
        env.pop("TSUNAGU_RUN_WORKER_IN_PROCESS", None)  # the conftest's; serve decides here
        command = [str(Path(sys.executable).parent / "tsunagu"), "serve", "--port", str(port), *args]
        server = subprocess.Popen(command, env=env, text=True, stdout=subprocess.DEVNULL,
                                  stderr=open(tmp_path / "serve.log", "w"))  # noqa: SIM115 - closed with the process
        started.append(server)
        wait_for(lambda: ready(port) or server.poll() is not None, timeout=PROCESS_WAIT_S, interval=0.1,
                 message="the server to be ready")
        assert server.poll() is None, (tmp_path / "serve.log").read_text()
        return server, port

    yield start
    for server in started:
        family = psutil.Process(server.pid).children(recursive=True) if server.poll() is None else []
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        for process in family:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                process.kill()


def test_a_killed_bot_worker_is_restarted_and_all_stop_with_the_server(start_server) -> None:  # type: ignore[no-untyped-def]
    server, _ = start_server("--bot-workers", "1")
    parent = psutil.Process(server.pid)
    wait_for(lambda: len(bot_workers(parent)) == 1, timeout=PROCESS_WAIT_S, interval=0.1,
             message="the bot worker to start")
    (first,) = bot_workers(parent)
    first.kill()
    wait_for(lambda: [w.pid for w in bot_workers(parent)] not in ([], [first.pid]), timeout=PROCESS_WAIT_S,
             interval=0.1, message="a new bot worker")
    (second,) = bot_workers(parent)

    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    wait_for(lambda: gone(second), timeout=PROCESS_WAIT_S, interval=0.1,
             message="the bot worker to stop with the server")


def test_workers_option_runs_several_web_processes(start_server) -> None:  # type: ignore[no-untyped-def]
    server, port = start_server("--workers", "2")
    parent = psutil.Process(server.pid)
    assert len(web_processes(parent)) == 2
    assert bot_workers(parent) == []  # none asked for: each web app runs its worker in-process, as configured
    assert all(ready(port) for _ in range(4))


def emulator_calls(port: int) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/emulator/messages", timeout=5) as response:
        calls: list[dict[str, Any]] = json.load(response)["calls"]
    return calls


def test_scripts_run_setup_answers_through_the_worker_process(start_server) -> None:  # type: ignore[no-untyped-def]
    """The emulator in the web process, the answer from the separate bot worker process (which shares the web
    app's development secret and sends to the emulator's fake LINE API)."""
    server, port = start_server("--bot-workers", "1", emulator=True)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/emulator/send", method="POST",
                                     data=json.dumps({"text": "保育園の申し込み"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["status"] == 200
    wait_for(lambda: bool(emulator_calls(port)), timeout=PROCESS_WAIT_S, interval=0.1,
             message="the bot's answer")
    (call,) = emulator_calls(port)
    assert call["kind"] == "reply" and "保育所" in json.dumps(call["messages"], ensure_ascii=False)
    assert len(bot_workers(psutil.Process(server.pid))) == 1
