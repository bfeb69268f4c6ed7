"""``tsunagu bench publish`` with tiny parameters: the app served in-process (its own services, test embedder,
mini pack) follows the versions this process publishes while questions keep coming. No timing is asserted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from eval.bench_publish import run_publish_bench
from eval.bench_webhook import AppEnv
from tests.conftest import MINI_PACK
from tests.utils.servers import serve
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.cli_measure import publishing_app
from tsunagu.db import migrate
from tsunagu.settings import Settings, quality_gate_folder


def _settings(database_url: str = "sqlite://") -> Settings:
    return Settings(database_url=database_url, pack_dir=MINI_PACK, knowledge_poll_s=0.1,
                    api_rate_limit="100000/minute", answer_min_score=0.35, suggest_min_score=0.2)


def test_the_app_follows_every_publish_and_no_question_fails(sqlite_url: str) -> None:
    served: dict[str, str] = {}

    @contextmanager
    def in_process_app(env: AppEnv, folder: Path) -> Iterator[tuple[str, Path | None]]:
        settings = _settings(env.database_url)
        with serve(create_app(settings, make_test_services(settings))) as url:
            yield url, None
            served["answer"] = httpx.post(f"{url}/api/ask", json={"text": "保育所の入所申込みはいつからできますか？"}
                                          ).json().get("answer") or ""

    settings = _settings()
    results = run_publish_bench(publishing_app(settings, make_test_services), migrate=migrate,
                                gate_folder=quality_gate_folder(settings), rate=20, database_url=sqlite_url,
                                cache_db=None, launcher=in_process_app, settle_s=0.5)

    assert results["failed_queries_during_swap"] == 0 and results["failed_queries"] == 0
    assert results["queries_during_swap"] > 0
    assert results["publish_one_s"] > 0 and results["publish_all_s"] > 0
    assert results["propagation_one_s"] >= 0 and results["propagation_all_s"] >= 0
    assert results["database"] == "sqlite" and results["gate_s"] is None  # the mini pack has no eval set
    assert "（全件の編集）" in served["answer"]  # the app answers from the last version published
