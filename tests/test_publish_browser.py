"""Publishing reaches the bot without a restart, and a bad import changes nothing (Playwright + Debian chromium).

The web app (emulator on, no worker inside it) and a separate bot worker process — ``tsunagu worker`` itself, on
the test services (mini pack, hashing embedder) — share one SQLite database. The worker learns of a new knowledge
version only by polling that database (every 0.2 s here), so the citizen's second answer proves the cross-process
pickup. A citizen at phone size asks in the emulator; an editor at a desk screen fixes the answer and publishes;
the same question then gets the new answer. An import with one bad row lists that row with its spreadsheet row and
changes nothing, and a dry run of a valid file changes nothing either. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import csv
import io
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlmodel import Session

from console.accounts.service import create_user
from tests.conftest import MINI_PACK
from tests.test_emulator import ARTIFACTS
from tests.test_handoff_browser import PASSWORD
from tests.test_richmenu_browser import open_phone_page
from tests.utils.servers import free_port, serve
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.container import Services
from tsunagu.settings import Settings

REPO = Path(__file__).resolve().parent.parent
QUESTION = "粗大ごみの出し方を教えて"
FAQ = "procedures-garbage-bulky"
OLD = "粗大ごみは事前の申込みが必要です。"
NEW = "粗大ごみは粗大ごみ受付センターに電話で申し込み、収集日に指定の場所へ出してください。"
SECRET = "0123456789abcdef0123456789abcdef"  # the web app signs the emulator's events, the worker its postbacks
SERVING = "serving knowledge version"
WORKER_CODE = "from tests.test_publish_browser import run_worker_process; run_worker_process()"
DESK = {"width": 1366, "height": 900}

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed")


def stack_settings(sqlite_url: str, port: int) -> Settings:
    """The web app's settings: the emulator on, the bot worker left to its own process."""
    line: dict[str, Any] = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": "dev",
                            "LINE_API_BASE": f"http://127.0.0.1:{port}/emulator/line-api"}  # LINE's own names
    return Settings(database_url=sqlite_url, pack_dir=MINI_PACK, emulator=True, run_worker_in_process=False,
                    knowledge_poll_s=0.2, answer_min_score=0.35, suggest_min_score=0.2, **line)


def worker_env(settings: Settings) -> dict[str, str]:
    """The same settings as the environment of ``tsunagu worker``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TSUNAGU_", "PROMETHEUS_"))}
    env.update(
        TSUNAGU_DATABASE_URL=settings.database_url, TSUNAGU_PACK_DIR=str(settings.pack_dir),
        TSUNAGU_KNOWLEDGE_POLL_S=str(settings.knowledge_poll_s), TSUNAGU_RUN_WORKER_IN_PROCESS="false",
        TSUNAGU_ANSWER_MIN_SCORE=str(settings.answer_min_score),
        TSUNAGU_SUGGEST_MIN_SCORE=str(settings.suggest_min_score),
        LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN="dev", LINE_API_BASE=settings.line_api_base,
    )
    return env


def run_worker_process() -> None:
    """``tsunagu worker`` (tsunagu/cli.py) with the test services instead of the real embedding model; it also
    prints each knowledge version it serves, so the test knows when it picked up a publish."""
    from tsunagu.cli import worker

    def test_services(settings: Settings, **_: object) -> Services:
        services = make_test_services(settings)
        threading.Thread(target=report_versions, args=(services,), daemon=True).start()
        return services

    with mock.patch("tsunagu.container.build_services", test_services):
        worker()


def report_versions(services: Services) -> None:
    """Print the served knowledge version whenever it changes (runs in the worker process)."""
    served: object = object()
    while True:
        version = services.index.snapshot().version_id
        if version != served:
            sys.stdout.write(f"{SERVING} {version}\n")
            sys.stdout.flush()
            served = version
        time.sleep(0.05)


class WorkerProcess:
    """A bot worker process beside the test server; its stdout says which knowledge version it serves."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("w") as stderr:
            self.process = subprocess.Popen([sys.executable, "-c", WORKER_CODE], cwd=REPO, env=env, text=True,
                                            stdout=subprocess.PIPE, stderr=stderr)
        self.versions: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(SERVING):
                self.versions.put(line.split()[-1])

    def wait_for_version(self, wanted: str | None = None, timeout: float = 90) -> str:
        """Block until the worker serves ``wanted`` (any version when None); fail with its log otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                version = self.versions.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the worker never served version {wanted}:\n{self.log.read_text()}") from None
            if version == wanted or (wanted is None and version != "None"):
                return version

    def stop(self) -> None:
        self.process.terminate()  # SIGTERM: the worker finishes its loop
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Stack:
    base_url: str
    worker: WorkerProcess


@pytest.fixture
def stack(sqlite_url: str, tmp_path: Path) -> Iterator[Stack]:
    port = free_port()
    settings = stack_settings(sqlite_url, port)
    app = create_app(settings, make_test_services(settings))
    with serve(app, port=port) as base_url:
        with Session(app.state.services.engine) as session:
            create_user(session, username="henshu", password=PASSWORD, role="editor", team=None)
        worker = WorkerProcess(worker_env(settings), tmp_path / "worker.log")
        try:
            worker.wait_for_version()
            yield Stack(base_url, worker)
        finally:
            worker.stop()


def csp_errors(page: Any) -> list[str]:
    """Console errors of ``page`` from now on that a refused script or style would cause (filled as they come)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and (
        "Refused" in m.text or "Content Security Policy" in m.text) else None)
    return errors


def ask(page: Any, question: str) -> str:
    """Send ``question`` from the emulator and return the bot's first reply to it."""
    before = page.locator(".bubble.bot").count()
    page.fill("#text", question)
    page.click("#send")
    page.wait_for_function("n => document.querySelectorAll('.bubble.bot').length > n", arg=before, timeout=30_000)
    return str(page.locator(".bubble.bot").nth(before).inner_text())


def log_in_editor(page: Any, base_url: str) -> None:
    """Log ``page`` in as the editor henshu; it ends on the editor's home page."""
    page.goto(f"{base_url}/staff/login")
    page.fill("input[name=username]", "henshu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/editor", timeout=15_000)


def editor_page(browser: Any, base_url: str) -> Any:
    """A desk-size page of the editor, logged in."""
    page = browser.new_context(viewport=DESK).new_page()
    log_in_editor(page, base_url)
    return page


def version_count(page: Any, base_url: str) -> int:
    page.goto(f"{base_url}/staff/versions")
    return int(page.locator("table.versions a[href^='/staff/versions/']").count())


def test_an_edited_answer_reaches_the_worker_process_without_a_restart(stack: Stack) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser, citizen = open_phone_page(playwright, stack.base_url)
        citizen_errors = csp_errors(citizen)
        assert ask(citizen, QUESTION).startswith(OLD)

        editor = editor_page(browser, stack.base_url)
        editor_errors = csp_errors(editor)  # its own list: ``+=`` copied it while still empty
        editor.goto(f"{stack.base_url}/staff/faq")
        editor.click(f"a[href='/staff/faq/{FAQ}']")
        editor.fill("#f-answer", NEW)
        editor.click("#faq-form button[type=submit]")
        editor.wait_for_url(f"**/staff/faq/{FAQ}?done=saved")
        editor.goto(f"{stack.base_url}/staff/publish")
        editor.click("button:has-text('品質チェックをして公開する')")
        editor.wait_for_load_state()
        if editor.locator("input[name=confirm_drop]").count():  # the quality gate asks first
            editor.check("input[name=confirm_drop]")
            editor.click("button:has-text('品質チェックをして公開する')")
        editor.wait_for_url(re.compile(r"/staff/versions/\d+\?done=published$"), timeout=30_000)
        assert "公開しました" in editor.inner_text("main")
        editor.screenshot(path=str(ARTIFACTS / "publish-1-published.png"), full_page=True)

        version = editor.url.split("?")[0].rsplit("/", 1)[-1]
        stack.worker.wait_for_version(version)  # the worker process polled the database and rebuilt its index
        assert ask(citizen, QUESTION).startswith(NEW)
        citizen.screenshot(path=str(ARTIFACTS / "publish-2-citizen-new-answer.png"), full_page=True)
        browser.close()
    assert stack.worker.process.poll() is None  # the same worker process, never restarted
    assert citizen_errors + editor_errors == []


def broken_import(exported: bytes) -> tuple[bytes, bytes, int, str]:
    """From an export: a valid file with the new answer, the same with one row's category emptied, and that
    row's number as a spreadsheet shows it (header row 1, one row per record whatever its line breaks) and id."""
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"), newline="")))
    header, entries = rows[0], rows[1:]
    entries[[r[header.index("id")] for r in entries].index(FAQ)][header.index("answer")] = NEW
    bad = len(entries) - 1  # the last row, after records whose cells hold line breaks
    valid = write_csv([header, *entries])
    broken_rows = [list(row) for row in entries]
    broken_rows[bad][header.index("category")] = ""
    line = len([header, *entries[:bad]]) + 1
    return valid, write_csv([header, *broken_rows]), line, entries[bad][header.index("id")]


def write_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def upload(page: Any, base_url: str, content: bytes, button: str) -> str:
    """Upload ``content`` as faq.csv on the transfer page with ``button``; the message the page shows."""
    page.goto(f"{base_url}/staff/faq/transfer")
    page.set_input_files("#file", files=[{"name": "faq.csv", "mimeType": "text/csv", "buffer": content}])
    page.click(f"button:has-text('{button}')")
    page.wait_for_selector("p.import-message", timeout=30_000)
    return str(page.inner_text("p.import-message"))


def test_an_import_with_one_bad_row_changes_nothing(stack: Stack) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser, citizen = open_phone_page(playwright, stack.base_url)
        citizen_errors = csp_errors(citizen)
        editor = editor_page(browser, stack.base_url)
        editor_errors = csp_errors(editor)  # its own list: ``+=`` copied it while still empty
        exported = editor.request.get(f"{stack.base_url}/staff/faq/export.csv").body()
        versions = version_count(editor, stack.base_url)
        valid, broken, line, bad_id = broken_import(exported)

        assert "何も変更しませんでした" in upload(editor, stack.base_url, broken, "取り込んで公開する")
        problems = editor.locator(".import-errors li").all_inner_texts()
        assert len(problems) == 1 and problems[0].startswith(f"{line} 行目 [{bad_id}]")
        assert "category" in problems[0]
        editor.screenshot(path=str(ARTIFACTS / "import-1-bad-row.png"), full_page=True)
        editor.set_viewport_size({"width": 390, "height": 844})
        assert editor.evaluate("document.documentElement.scrollWidth") <= 390  # the error list fits a phone
        editor.screenshot(path=str(ARTIFACTS / "import-1-bad-row-phone.png"), full_page=True)
        editor.set_viewport_size(DESK)
        assert ask(citizen, QUESTION).startswith(OLD)
        assert version_count(editor, stack.base_url) == versions

        assert "誤りはありません" in upload(editor, stack.base_url, valid, "確認だけする")
        assert editor.locator(".import-errors li").count() == 0
        editor.screenshot(path=str(ARTIFACTS / "import-2-dry-run.png"), full_page=True)
        assert version_count(editor, stack.base_url) == versions
        assert editor.request.get(f"{stack.base_url}/staff/faq/export.csv").body() == exported
        assert ask(citizen, QUESTION).startswith(OLD)
        browser.close()
    assert citizen_errors + editor_errors == []
