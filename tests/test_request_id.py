"""The request id middleware: a sane X-Request-ID is kept and echoed, anything else is replaced, and the id is the
one in the log lines written while the request is handled (issue 10 §3)."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.request_id import REQUEST_ID_HEADER, current_request_id, request_context, sane_request_id
from tsunagu.security import HeaderedFastAPI


def make_app() -> FastAPI:
    app = HeaderedFastAPI()

    @app.get("/id")
    def read_id() -> dict[str, str | None]:
        logging.getLogger("tsunagu.test").warning("inside the request")
        return {"id": current_request_id.get()}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("unhandled")

    return app


def test_a_sane_request_id_is_kept_echoed_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(make_app())
    with caplog.at_level(logging.WARNING, logger="tsunagu.test"):
        response = client.get("/id", headers={REQUEST_ID_HEADER: "proxy-abc_1.2"})
    assert response.headers[REQUEST_ID_HEADER] == "proxy-abc_1.2"
    assert response.json() == {"id": "proxy-abc_1.2"}
    [line] = [r for r in caplog.records if r.name == "tsunagu.test"]
    assert line.getMessage() == "inside the request"


@pytest.mark.parametrize("bad", ["a" * 65, "has space", "日本語".encode(), "x;rm -rf", "line\\nbreak", ""])
def test_an_unsafe_request_id_is_replaced_by_a_new_one(bad: str | bytes) -> None:
    response = TestClient(make_app()).get("/id", headers={REQUEST_ID_HEADER: bad})
    echoed = response.headers[REQUEST_ID_HEADER]
    assert echoed != bad and sane_request_id(echoed) == echoed
    assert response.json() == {"id": echoed}


def test_every_request_gets_its_own_id_and_none_is_left_behind() -> None:
    client = TestClient(make_app())
    first, second = (client.get("/id").headers[REQUEST_ID_HEADER] for _ in range(2))
    assert first != second
    assert current_request_id.get() is None


def test_the_500_of_an_unhandled_error_carries_the_id() -> None:
    response = TestClient(make_app(), raise_server_exceptions=False).get("/boom", headers={REQUEST_ID_HEADER: "r-9"})
    assert response.status_code == 500
    assert response.headers[REQUEST_ID_HEADER] == "r-9"


def test_request_context_uses_the_given_id_or_makes_one_and_restores_the_previous() -> None:
    with request_context("01HXYZEVENT") as outer:
        assert outer == current_request_id.get() == "01HXYZEVENT"
        with request_context("not sane!") as inner:
            assert inner != "not sane!" and current_request_id.get() == inner
        assert current_request_id.get() == "01HXYZEVENT"
    assert current_request_id.get() is None
