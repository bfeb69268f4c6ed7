"""Shared fixtures: an isolated environment, a tiny pack, and a fast test embedder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import profiles
from sqlalchemy import create_engine, text

from console.accounts.passwords import PRODUCTION_PARAMETERS, use_parameters
from knowledge.packs import Pack, read_pack
from retrieval.cache import MemoryVectorStore
from retrieval.engine import Retriever
from retrieval.factory import make_retriever
from tests.utils.embedders import HashingEmbedder
from tsunagu.settings import Settings, get_settings

DATA = Path(__file__).parent / "data"
MINI_PACK = DATA / "packs" / "mini"
TOYAMA_PACK = Path(__file__).resolve().parent.parent / "knowledge" / "packs" / "toyama"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No TSUNAGU_* variable from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("TSUNAGU_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # No test may reach the real LINE API; the worker runs only where a test asks for it.
    monkeypatch.setenv("LINE_API_BASE", "http://127.0.0.1:9")
    monkeypatch.setenv("LINE_API_DATA_BASE", "http://127.0.0.1:9")
    monkeypatch.setenv("TSUNAGU_RUN_WORKER_IN_PROCESS", "false")
    for key in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Passwords are hashed with argon2-cffi's cheapest profile (t=1, m=8 KiB, p=1) instead of the production
    one (m=64 MiB), so tests that create users and log in stay fast; a test may switch to production."""
    use_parameters(profiles.CHEAPEST)
    yield
    use_parameters(PRODUCTION_PARAMETERS)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def mini_settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url, pack_dir=MINI_PACK)


@pytest.fixture(scope="session")
def mini_pack() -> Pack:
    return read_pack(MINI_PACK)


@pytest.fixture
def mini_retriever(mini_pack: Pack) -> Retriever:
    """The mini pack indexed with the hashing embedder and permissive thresholds."""
    settings = Settings(
        answer_min_score=0.35, answer_min_margin=0.02, suggest_min_score=0.2,
        latin_answer_min_score=0.35, latin_answer_min_margin=0.02, latin_suggest_min_score=0.2,
    )
    retriever = make_retriever(
        settings, synonyms=mini_pack.synonyms, store=MemoryVectorStore(), embedder=HashingEmbedder()
    )
    retriever.build(mini_pack.entries)
    return retriever


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """With CI=true nothing may pass by skipping: a PostgreSQL, browser or optional-backend test that cannot run
    fails, with the reason it gave for skipping."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and os.environ.get("CI", "").lower() == "true" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every test: {report.longrepr}"


POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_available() -> bool:
    try:
        with create_engine(POSTGRES_ADMIN_URL).connect() as connection:
            connection.execute(text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url
        return
    if not _postgres_available():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"create schema {schema}"))
    try:
        yield f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()
