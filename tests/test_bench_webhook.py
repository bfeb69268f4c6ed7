"""``tsunagu bench webhook`` with tiny parameters (app in-process, test embedder, mini pack) and its accounting.

No timing is asserted: only that every event is answered exactly once and that the accounting can tell
when one is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from eval.bench_webhook import AppEnv, BenchOptions, cpu_ms_per_answer, run_webhook_bench
from eval.webhook_load import LineCall, LoadOptions, SentEvent, account
from tests.conftest import MINI_PACK
from tests.utils.servers import serve
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.db import migrate
from tsunagu.settings import Settings

ISSUE_KEYS = {"ack_p50_ms", "ack_p99_ms", "events_per_s", "lost", "duplicated", "ack_errors", "offered_rate",
              "duration_s", "cores"}


@contextmanager
def in_process_app(env: AppEnv) -> Iterator[str]:
    """The app with its worker, built here with the hashing embedder and the mini pack."""
    values: dict[str, Any] = {  # LINE's variable names are aliases, which the type checker does not know
        "database_url": env.database_url, "pack_dir": MINI_PACK, "LINE_CHANNEL_SECRET": env.channel_secret,
        "LINE_CHANNEL_ACCESS_TOKEN": env.access_token, "LINE_API_BASE": env.line_api_base,
        "run_worker_in_process": True, "answer_min_score": 0.35, "suggest_min_score": 0.2,
    }
    settings = Settings(**values)
    with serve(create_app(settings, make_test_services(settings))) as url:
        yield url


def test_small_run_answers_every_event_exactly_once(database_url: str) -> None:
    load = LoadOptions(rate=20, duration=2.0, redelivery_share=0.3, drain_timeout=120, stall_timeout=60)
    options = BenchOptions(load, database_url=database_url, cache_db=None, warmup_events=2)
    results = run_webhook_bench(options, migrate=migrate, launcher=in_process_app, labels={"embedder": "test-hashing"})

    assert ISSUE_KEYS <= results.keys()
    assert (results["offered_rate"], results["duration_s"], results["requests"]) == (20, 2.0, 40)
    assert results["redeliveries"] > 0
    assert results["events"] == results["requests"] - results["redeliveries"]
    assert (results["ack_errors"], results["lost"], results["duplicated"]) == (0, 0, 0)
    assert results["answered"] == results["events"] == results["replied"] + results["pushed"]
    assert results["unmatched_calls"] == 0  # warm-up answers are not counted
    assert results["inbox"] == {"done": results["events"]}
    assert results["embedder"] == "test-hashing"
    assert results["cpu_ms_per_answer"] is None  # the app ran in the test's own process
    assert set(results["targets"]) == {"ack_p99_ms <= 50", "events_per_s >= 40", "lost == 0", "duplicated == 0"}


def test_accounting_finds_lost_and_duplicated_answers() -> None:
    events = [
        SentEvent("e1", "U1", "t1", 0.0, acked=True),
        SentEvent("e2", "U1", "t2", 1.0, acked=True),
        SentEvent("e3", "U2", "t3", 2.0, acked=True),  # never answered: lost
        SentEvent("e4", "U3", "t4", 3.0, acked=True),
        SentEvent("e5", "U4", "t5", 4.0, acked=False),  # refused by the app: not answered, not lost either
    ]
    calls = [
        LineCall(5.0, "reply", "t1", None),
        LineCall(6.0, "reply", "t1", None),  # e1 answered twice
        LineCall(7.0, "push", None, "U1"),  # e2's answer, pushed
        LineCall(8.0, "push", None, "U1"),  # U1 has no unanswered event left: a duplicate
        LineCall(9.0, "reply", "t4", None),
        LineCall(9.5, "reply", "unknown-token", None),
        LineCall(9.6, "push", None, "U-nobody"),
    ]
    result = account(events, calls)
    assert (result.answered, result.lost, result.duplicated, result.unmatched) == (3, 1, 2, 2)
    assert (result.replied, result.pushed, result.last_answer_at) == (3, 2, 9.0)
    assert sorted(result.latencies_s) == [5.0, 6.0, 6.0]

    clean = account(events[:2], [LineCall(1.0, "reply", "t2", None), LineCall(2.0, "push", None, "U1")])
    assert (clean.answered, clean.lost, clean.duplicated) == (2, 0, 0)


def test_too_few_users_for_the_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1200"):
        LoadOptions(rate=200, users=100).user_count()


def test_cpu_per_answer_counts_each_process_from_its_first_reading() -> None:
    before = {1: 2.0, 2: 1.0}
    after = {1: 2.5, 2: 1.25, 3: 0.25}  # process 3 started during the load: all of its time counts
    assert cpu_ms_per_answer(before, after, answered=10) == 100.0
    assert cpu_ms_per_answer(None, after, answered=10) is None
    assert cpu_ms_per_answer(before, after, answered=0) is None
