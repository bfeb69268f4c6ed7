"""``POST /api/ask`` is public and costs CPU: a per-client rate limit, API keys, off in production without keys,
and text JSON can carry but Python cannot encode (lone surrogates) answered, not crashed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import status
from fastapi.testclient import TestClient

import tsunagu.api
from tests.conftest import MINI_PACK
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.settings import Settings

KEY = "k" * 16 + "-first"
OTHER_KEY = "o" * 16 + "-second"
PRODUCTION = {"environment": "production", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}


def make_client(sqlite_url: str, client: tuple[str, int] = ("203.0.113.1", 5000), **overrides: Any) -> TestClient:
    settings = Settings(database_url=sqlite_url, pack_dir=MINI_PACK, **overrides)
    return TestClient(create_app(settings, make_test_services(settings)), client=client)


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    with make_client(sqlite_url) as test_client:
        yield test_client


def ask(client: TestClient, text: str = "粗大ごみ", **headers: str | bytes) -> Any:
    return client.post("/api/ask", json={"text": text}, headers=headers)


# -- rate limit -------------------------------------------------------------------------------------------------------
def test_a_client_over_the_limit_gets_429_in_japanese_with_retry_after(sqlite_url: str) -> None:
    with make_client(sqlite_url, api_rate_limit="3/minute") as client:
        assert [ask(client).status_code for _ in range(3)] == [status.HTTP_200_OK] * 3
        refused = ask(client)
        assert client.get("/healthz").status_code == status.HTTP_200_OK  # only /api/ask is limited
    assert refused.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert refused.headers["content-type"] == "application/json"
    assert "しばらく待って" in refused.json()["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_the_limit_is_per_client_address(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, pack_dir=MINI_PACK, api_rate_limit="1/minute")
    app = create_app(settings, make_test_services(settings))
    with TestClient(app, client=("203.0.113.1", 1)) as first, TestClient(app, client=("203.0.113.2", 1)) as second:
        assert ask(first).status_code == status.HTTP_200_OK
        assert ask(first).status_code == status.HTTP_429_TOO_MANY_REQUESTS
        assert ask(second).status_code == status.HTTP_200_OK


def test_rate_limit_setting_is_validated() -> None:
    with pytest.raises(ValueError, match="api_rate_limit"):
        Settings(api_rate_limit="lots")


# -- keys and production ----------------------------------------------------------------------------------------------
def test_production_does_not_serve_the_api_without_keys(sqlite_url: str) -> None:
    with make_client(sqlite_url, **PRODUCTION) as client:
        assert ask(client).status_code == status.HTTP_404_NOT_FOUND
        assert client.get("/healthz").status_code == status.HTTP_200_OK


@pytest.mark.parametrize("environment", [PRODUCTION, {}])
def test_with_keys_the_api_needs_one_of_them(sqlite_url: str, environment: dict[str, str]) -> None:
    with make_client(sqlite_url, api_keys=[KEY, OTHER_KEY], **environment) as client:
        missing, wrong = ask(client), ask(client, **{"X-API-Key": KEY[:-1] + "x"})
        first, second = ask(client, **{"X-API-Key": KEY}), ask(client, **{"X-API-Key": OTHER_KEY})
        non_ascii = ask(client, **{"X-API-Key": "ключ".encode()})
    assert missing.status_code == wrong.status_code == non_ascii.status_code == status.HTTP_401_UNAUTHORIZED
    assert "APIキー" in missing.json()["detail"]
    assert first.status_code == second.status_code == status.HTTP_200_OK
    assert first.json()["decision"] in {"ANSWER", "SUGGEST", "HANDOFF"}


def test_keys_are_compared_in_constant_time(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []

    def compare_digest(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return a == b

    monkeypatch.setattr("tsunagu.api_access.hmac.compare_digest", compare_digest)
    with make_client(sqlite_url, api_keys=[KEY, OTHER_KEY]) as client:
        assert ask(client, **{"X-API-Key": KEY}).status_code == status.HTTP_200_OK
    assert compared == [(KEY.encode(), KEY.encode()), (KEY.encode(), OTHER_KEY.encode())]  # every key, no early exit


def test_short_api_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="16 characters"):
        Settings(api_keys=["short"])


# -- input Python cannot encode ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [b'{"text": "\\ud800"}', b'{"text": "\\u7c97\\u5927\\u3054\\u307f\\udfff"}'])
def test_lone_surrogate_is_answered_not_a_server_error(sqlite_url: str, raw: bytes) -> None:
    with make_client(sqlite_url) as client:
        client_response = client.post("/api/ask", content=raw, headers={"Content-Type": "application/json"})
    assert client_response.status_code == status.HTTP_200_OK
    assert client_response.json()["decision"] in {"ANSWER", "SUGGEST", "HANDOFF", "REPHRASE"}


def test_invalid_input_holding_a_lone_surrogate_is_422_not_500(client: TestClient) -> None:
    raw = b'{"text": ["\\ud800"]}'
    response = client.post("/api/ask", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT
    assert response.json()["detail"][0]["loc"] == ["body", "text"]


# -- retrieval off the event loop ------------------------------------------------------------------------------------
def test_retrieval_runs_outside_the_event_loop(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real_ask = tsunagu.api.ask

    def recording_ask(*args: Any) -> Any:
        try:
            asyncio.get_running_loop()
            seen.append(True)
        except RuntimeError:
            seen.append(False)
        return real_ask(*args)

    monkeypatch.setattr(tsunagu.api, "ask", recording_ask)
    assert ask(client).status_code == status.HTTP_200_OK
    assert seen == [False]
