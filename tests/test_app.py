from collections.abc import Iterator

import pytest
from fastapi import status
from fastapi.testclient import TestClient

from tests.conftest import MINI_PACK
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.settings import Settings


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=sqlite_url, pack_dir=MINI_PACK, answer_min_score=0.35, suggest_min_score=0.2)
    assert settings.latin_suggest_min_score <= settings.latin_answer_min_score
    with TestClient(create_app(settings, make_test_services(settings))) as test_client:
        yield test_client


def test_healthz_reports_loaded_entries(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"status": "ok", "entries": 6}


def test_ask_answers_with_approved_text(client: TestClient) -> None:
    response = client.post("/api/ask", json={"text": "粗大ごみの出し方を教えて"})
    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert body["decision"] == "ANSWER"
    assert body["faq_id"] == "procedures-garbage-bulky"
    assert body["answer"].startswith("粗大ごみは事前の申込みが必要です")
    assert len(body["candidates"]) == 5


def test_ask_empty_text_asks_to_rephrase(client: TestClient) -> None:
    response = client.post("/api/ask", json={"text": "   "})
    assert response.status_code == status.HTTP_200_OK
    assert response.json()["decision"] == "REPHRASE"
    assert response.json()["candidates"] == []


def test_ask_rejects_missing_text(client: TestClient) -> None:
    response = client.post("/api/ask", json={})
    assert response.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT
