"""A signed webhook in, an answer out through a real HTTP fake of LINE, validated against LINE's spec."""

from collections.abc import Iterator

import pytest
from fastapi import status
from fastapi.testclient import TestClient

from bot.line.emulator.fake_api import FakeLineApi
from tests.conftest import MINI_PACK
from tests.test_webhook import fixture, sign
from tests.utils.openapi import errors as spec_errors
from tests.utils.servers import serve
from tests.utils.services import make_test_services
from tests.utils.waiting import wait_for
from tests.utils.worker_rounds import StartedWorkers
from tsunagu.app import create_app
from tsunagu.settings import Settings

SECRET = "test-channel-secret"


@pytest.fixture
def fake_line() -> Iterator[tuple[FakeLineApi, str]]:
    fake = FakeLineApi()
    with serve(fake.app()) as url:
        yield fake, url


def test_webhook_to_line_reply_end_to_end(sqlite_url: str, fake_line: tuple[FakeLineApi, str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    fake, url = fake_line
    started = StartedWorkers(monkeypatch)
    settings = Settings(
        database_url=sqlite_url, pack_dir=MINI_PACK, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN="token",
        LINE_API_BASE=url, run_worker_in_process=True, answer_min_score=0.35, suggest_min_score=0.2,
    )
    services = make_test_services(settings)
    question = "保育園の申込期間を知りたい"
    body = fixture("text_message.json").replace("保育園の申し込みはいつから？".encode(), question.encode())
    with TestClient(create_app(settings, services)) as client:
        response = client.post("/callback", content=body, headers={"X-Line-Signature": sign(body, SECRET)})
        assert response.status_code == status.HTTP_200_OK
        wait_for(lambda: len(fake.calls) == 1, timeout=10, message="the reply to LINE")
        client.post("/callback", content=body, headers={"X-Line-Signature": sign(body, SECRET)})  # redelivery
        started.pass_rounds()  # whole worker rounds after the redelivery: it would have been answered by now
    [call] = fake.calls
    assert call.kind == "reply"
    assert call.authorization == "Bearer token"
    assert call.body["replyToken"] == "38ef843bde154d9b91c21320ffd17a0f"
    assert call.body["messages"][0]["text"].startswith("4月からの入所は")
    assert spec_errors("messaging-api.yml", "ReplyMessageRequest", call.body) == []
