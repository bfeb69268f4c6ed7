"""Security headers on every response: a strict CSP (no inline script), no framing, no sniffing, no caching of
console pages; the API docs get their own relaxed policy and the emulator page needs no inline code."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

import pytest
from fastapi.testclient import TestClient

from tests.conftest import MINI_PACK
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.security import CONTENT_SECURITY_POLICY, DOCS_CONTENT_SECURITY_POLICY, headers_for
from tsunagu.settings import Settings


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=sqlite_url, pack_dir=MINI_PACK, emulator=True)
    with TestClient(create_app(settings, make_test_services(settings))) as test_client:
        yield test_client


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_base_headers(headers: Mapping[str, str]) -> None:
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") == "same-origin"
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", "")


def test_strict_policy_has_no_unsafe_sources() -> None:
    policy = directives(CONTENT_SECURITY_POLICY)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/healthz", "/staff/login", "/emulator", "/no-such-page"])
def test_pages_carry_the_strict_policy(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert_base_headers(response.headers)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in directives(response.headers["content-security-policy"])["script-src"]


def test_api_and_redirects_carry_headers_too(client: TestClient) -> None:
    assert_base_headers(client.post("/api/ask", json={"text": "粗大ごみ"}).headers)
    redirect = client.get("/staff/anything-protected-or-missing", follow_redirects=False)
    assert_base_headers(redirect.headers)


def test_console_pages_are_not_cached_but_static_files_may_be(client: TestClient) -> None:
    assert client.get("/staff/login").headers["cache-control"] == "no-store"
    css = client.get("/staff/static/console.css")
    assert css.status_code == 200 and "cache-control" not in css.headers
    assert_base_headers(css.headers)
    assert "cache-control" not in client.get("/healthz").headers
    assert headers_for("/staff")["Cache-Control"] == "no-store"
    assert "Cache-Control" not in headers_for("/staffing")


def test_api_docs_get_their_own_policy_only_on_their_paths(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-security-policy"] == DOCS_CONTENT_SECURITY_POLICY
    assert_base_headers(docs.headers)
    assert headers_for("/docs/other")["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers_for("/openapi.json")["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/emulator", "/staff/login"])
def test_server_rendered_pages_need_no_inline_code(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline <script>"
    assert not re.search(r"\sstyle=|<style", html), "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
