"""Production hardening of the app: no API docs, HSTS, and security headers on every error response (the 500 of
an unhandled exception included)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, status
from fastapi.testclient import TestClient

from tests.conftest import MINI_PACK
from tests.test_security_headers import assert_base_headers
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.security import CONTENT_SECURITY_POLICY
from tsunagu.settings import Settings

PRODUCTION = {"environment": "production", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}
HSTS = "max-age=31536000; includeSubDomains"


def make_app(sqlite_url: str, **overrides: Any) -> FastAPI:
    settings = Settings(database_url=sqlite_url, pack_dir=MINI_PACK, **overrides)
    return create_app(settings, make_test_services(settings))


@pytest.fixture
def production(sqlite_url: str) -> Iterator[TestClient]:
    with TestClient(make_app(sqlite_url, **PRODUCTION)) as client:
        yield client


@pytest.fixture
def development(sqlite_url: str) -> Iterator[TestClient]:
    with TestClient(make_app(sqlite_url)) as client:
        yield client


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
def test_production_serves_no_api_docs(production: TestClient, path: str) -> None:
    assert production.get(path).status_code == status.HTTP_404_NOT_FOUND


def test_development_still_serves_the_docs(development: TestClient) -> None:
    assert development.get("/docs").status_code == status.HTTP_200_OK
    assert "/api/ask" in development.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("path", ["/healthz", "/staff/login", "/no-such-page"])
def test_production_responses_carry_hsts(production: TestClient, path: str) -> None:
    response = production.get(path)
    assert response.headers["strict-transport-security"] == HSTS
    assert_base_headers(response.headers)


def test_development_sends_no_hsts(development: TestClient) -> None:
    assert "strict-transport-security" not in development.get("/healthz").headers


ENVIRONMENTS = {"development": {}, "production": PRODUCTION | {"api_keys": ["k" * 20]}}


@pytest.fixture(params=list(ENVIRONMENTS))
def any_environment(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[tuple[TestClient, bool]]:
    """A client of an app with a route that raises (added for the test only), and whether it is production."""
    app = make_app(sqlite_url, api_rate_limit="1/minute", **ENVIRONMENTS[request.param])

    @app.get("/test-only/boom")
    def boom() -> None:
        raise RuntimeError("unhandled")

    with TestClient(app, raise_server_exceptions=False, headers={"X-API-Key": "k" * 20}) as client:
        yield client, request.param == "production"


def assert_error_headers(response: Any, production: bool) -> None:
    assert_base_headers(response.headers)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert ("strict-transport-security" in response.headers) == production


def test_unhandled_exception_500_carries_the_security_headers(any_environment: tuple[TestClient, bool]) -> None:
    client, production = any_environment
    response = client.get("/test-only/boom")
    assert response.status_code == status.HTTP_500_INTERNAL_SERVER_ERROR
    assert_error_headers(response, production)


@pytest.mark.parametrize(("method", "path", "body", "expected"), [
    ("GET", "/no-such-page", None, status.HTTP_404_NOT_FOUND),
    ("GET", "/api/ask", None, status.HTTP_405_METHOD_NOT_ALLOWED),
    ("POST", "/api/ask", {}, status.HTTP_422_UNPROCESSABLE_CONTENT),
])
def test_client_errors_carry_the_security_headers(
    any_environment: tuple[TestClient, bool], method: str, path: str, body: Any, expected: int
) -> None:
    client, production = any_environment
    response = client.request(method, path, json=body)
    assert response.status_code == expected
    assert_error_headers(response, production)


def test_rate_limited_responses_carry_the_security_headers(any_environment: tuple[TestClient, bool]) -> None:
    client, production = any_environment
    assert client.post("/api/ask", json={"text": "粗大ごみ"}).status_code == status.HTTP_200_OK
    response = client.post("/api/ask", json={"text": "粗大ごみ"})
    assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert_error_headers(response, production)
