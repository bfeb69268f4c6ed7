"""``GET /metrics``: closed without the token, Prometheus text format with it, and the numbers move as they should.

The counters live in the process-wide registry that every test shares, so each test compares a scrape before and
after what it does (deltas), never absolute values.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import status
from fastapi.testclient import TestClient
from linebot.v3.messaging import AsyncMessagingApi, Configuration
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr, ValidationError

from bot.line.client import Delivery, LineApiClient, LineSender, Outgoing
from bot.line.messages import text_messages
from tests.conftest import MINI_PACK
from tests.test_webhook import fixture, sign
from tests.utils.misbehaving_line import MisbehavingLineApi
from tests.utils.servers import free_port, serve
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.metrics import serve_worker_metrics
from tsunagu.settings import Settings

TOKEN = "metrics-token-0123456789abcdef"
SECRET = "test-channel-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USER = "U" + "f" * 32
REPO = Path(__file__).resolve().parent.parent

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape, keyed by name and labels (the parser raises on anything not in the format)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def make_client(sqlite_url: str, **overrides: Any) -> TestClient:
    settings = Settings(database_url=sqlite_url, pack_dir=MINI_PACK, answer_min_score=0.35, suggest_min_score=0.2,
                        **{"LINE_CHANNEL_SECRET": SECRET, **overrides})
    return TestClient(create_app(settings, make_test_services(settings)))


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    with make_client(sqlite_url, metrics_token=TOKEN) as test_client:
        yield test_client


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == status.HTTP_200_OK
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def test_without_a_configured_token_metrics_do_not_exist(sqlite_url: str) -> None:
    with make_client(sqlite_url) as client:
        assert client.get("/metrics").status_code == status.HTTP_404_NOT_FOUND
        assert client.get("/metrics", headers=AUTH).status_code == status.HTTP_404_NOT_FOUND


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", TOKEN,
                                           f"Bearer {TOKEN}x"])
def test_a_missing_or_wrong_token_is_refused(client: TestClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert "tsunagu_" not in response.text
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_short_token_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="metrics_token"):
        Settings(metrics_token=SecretStr("short"))


def test_one_question_counts_one_decision_of_its_kind_and_one_latency(client: TestClient) -> None:
    before = scrape(client)
    response = client.post("/api/ask", json={"text": "粗大ごみの出し方を教えて"})
    assert response.status_code == status.HTTP_200_OK
    kind, reason = response.json()["decision"], response.json()["reason"]
    after = scrape(client)
    decided = {"kind": kind, "reason": reason}
    assert value(after, "tsunagu_decisions_total", **decided) == value(before, "tsunagu_decisions_total", **decided) + 1
    for histogram in ("tsunagu_decision_seconds_count", "tsunagu_embed_seconds_count"):
        assert value(after, histogram) == value(before, histogram) + 1
    assert value(after, "tsunagu_decision_seconds_sum") > value(before, "tsunagu_decision_seconds_sum")
    ask = {"method": "POST", "route": "/api/ask", "status": "200"}
    assert value(after, "tsunagu_http_requests_total", **ask) == value(before, "tsunagu_http_requests_total", **ask) + 1


def test_requests_are_labelled_by_route_template_never_by_raw_path(client: TestClient) -> None:
    before = scrape(client)
    client.get("/staff/tickets/98765", follow_redirects=False)
    client.get("/no-such-page/U1234567890abcdef")
    after = scrape(client)
    ticket = {"method": "GET", "route": "/staff/tickets/{ticket_id}", "status": "303"}
    assert value(after, "tsunagu_http_requests_total", **ticket) == value(before, "tsunagu_http_requests_total",
                                                                           **ticket) + 1
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, "tsunagu_http_requests_total", **unmatched) == value(
        before, "tsunagu_http_requests_total", **unmatched) + 1
    every_label = {label for _, labels in after for _, label in labels}
    assert not any("98765" in label or "U1234567890abcdef" in label for label in every_label)


def push_twice_over_http(url: str) -> tuple[Delivery, Delivery]:
    """One push to the fake LINE server, then the same push again (same retry key: LINE answers 409)."""
    outgoing = Outgoing(user_id=USER, messages=text_messages("お知らせです"), retry_key=str(uuid.uuid4()))

    async def run() -> tuple[Delivery, Delivery]:
        async with LineApiClient(Configuration(host=url, access_token="token")) as api_client:
            sender = LineSender(AsyncMessagingApi(api_client))
            first = await sender.send(outgoing)
            second = await sender.send(outgoing)
        return first.outcome, second.outcome

    return asyncio.run(run())


def test_line_api_answers_are_counted_by_status(client: TestClient) -> None:
    before = scrape(client)
    fake = MisbehavingLineApi()
    with serve(fake.app()) as url:
        outcomes = push_twice_over_http(url)
    assert outcomes == (Delivery.PUSHED, Delivery.ALREADY_ACCEPTED)
    after = scrape(client)
    for code in ("200", "409"):
        labels = {"call": "push", "status": code}
        assert value(after, "tsunagu_line_api_responses_total", **labels) == value(
            before, "tsunagu_line_api_responses_total", **labels) + 1


def test_queue_gauges_reflect_a_stored_pending_event(client: TestClient) -> None:
    before = scrape(client)
    assert value(before, "tsunagu_queue_database_up") == 1
    assert value(before, "tsunagu_inbox_events", status="pending") == 0
    assert value(before, "tsunagu_inbox_oldest_age_seconds") == 0
    body = fixture("text_message.json")
    response = client.post("/callback", content=body, headers={"X-Line-Signature": sign(body, SECRET)})
    assert response.status_code == status.HTTP_200_OK  # stored; no worker runs in this test
    after = scrape(client)
    assert value(after, "tsunagu_inbox_events", status="pending") == 1
    assert value(after, "tsunagu_inbox_events", status="processing") == 0
    assert value(after, "tsunagu_inbox_oldest_age_seconds") >= 0
    assert value(after, "tsunagu_outbox_messages", status="pending") == 0


def run_python(code: str, env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env={**os.environ, **env},
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_multiprocess_mode_adds_up_every_process(tmp_path: Path) -> None:
    """Two processes count a decision each; a third, scraping, sees both (and says when the database is down)."""
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = """
        from retrieval.decision import Decision, DecisionKind, Reason
        from retrieval.metrics import record_decision
        record_decision(Decision(DecisionKind.HANDOFF, Reason.NO_MATCH), 0.02)
    """
    run_python(count, env)
    run_python(count, env)
    text = run_python("""
        import sys
        from sqlalchemy import create_engine
        from bot.metrics import QueueCollector
        from tsunagu.metrics import scrape
        sys.stdout.write(scrape(QueueCollector(lambda: create_engine("sqlite:////nonexistent/dir/x.db"))).decode())
    """, env)
    samples = parse(text)
    assert value(samples, "tsunagu_decisions_total", kind="HANDOFF", reason="no_match") == 2
    assert value(samples, "tsunagu_decision_seconds_count") == 2
    assert value(samples, "tsunagu_queue_database_up") == 0


def test_serve_shares_one_metrics_dir_before_prometheus_is_imported(tmp_path: Path) -> None:
    """``tsunagu serve`` sets the directory before importing anything that records metrics: importing the CLI
    must not import prometheus-client, several processes get a directory, and an operator's one is wiped of
    an earlier run's files."""
    stale = tmp_path / "counter_12345.db"
    stale.write_bytes(b"old run")
    out = run_python(f"""
        import os, sys
        import tsunagu.cli
        from tsunagu.metrics_dir import ENV, share_metrics_dir
        print("imported" if "prometheus_client" in sys.modules else "not imported")
        os.environ.pop(ENV, None)
        print(share_metrics_dir(1))
        print(share_metrics_dir(3) == __import__("pathlib").Path(os.environ[ENV]))
        os.environ[ENV] = {str(tmp_path)!r}
        print(share_metrics_dir(1))
    """, {})
    assert out.split("\n")[:4] == ["not imported", "None", "True", str(tmp_path)]
    assert not stale.exists()


def test_serve_asks_for_the_shared_dir_with_its_process_count(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import tsunagu.metrics_dir
    import tsunagu.serving
    from tsunagu.cli import app

    asked: list[int] = []
    monkeypatch.setattr(tsunagu.metrics_dir, "share_metrics_dir", lambda processes: asked.append(processes))
    monkeypatch.setattr(tsunagu.serving, "run_server", lambda options: None)
    result = CliRunner().invoke(app, ["serve", "--workers", "2", "--bot-workers", "1"])
    assert result.exit_code == 0, result.output
    assert asked == [3]


def test_a_worker_on_its_own_serves_its_metrics_on_a_loopback_port(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval.decision import Decision, DecisionKind, Reason
    from retrieval.metrics import record_decision

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert serve_worker_metrics(Settings()) is None  # no port configured: nothing listens
    port = free_port()
    server = serve_worker_metrics(Settings(metrics_port=port))
    assert server is not None
    try:
        assert server.server_address[0] == "127.0.0.1"
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            before = parse(response.read().decode())
        record_decision(Decision(DecisionKind.SUGGEST, Reason.AMBIGUOUS), 0.01)
        with urllib.request.urlopen(url, timeout=10) as response:
            after = parse(response.read().decode())
        labels = {"kind": "SUGGEST", "reason": "ambiguous"}
        assert value(after, "tsunagu_decisions_total", **labels) == value(before, "tsunagu_decisions_total",
                                                                           **labels) + 1
        assert serve_worker_metrics(Settings(metrics_port=port)) is None  # port taken: logged, the worker runs on
    finally:
        server.shutdown()
        server.server_close()
