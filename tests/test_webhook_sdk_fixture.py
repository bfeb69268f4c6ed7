"""line-bot-sdk's own webhook fixture (every event type its tests know) through ``/callback`` and the worker.

The fixture is vendored unchanged in ``tests/fixtures/webhook/line-bot-sdk-python/`` (Apache-2.0, see NOTICE).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi import status
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.models import InboxEvent
from tests.conftest import MINI_PACK
from tests.test_line_client import FakeMessagingApi, assert_requests_match_spec
from tests.test_webhook import sign
from tests.utils.openapi import errors as spec_errors
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.bot_runtime import make_worker
from tsunagu.settings import Settings

SDK_FIXTURE = Path(__file__).parent / "fixtures" / "webhook" / "line-bot-sdk-python" / "webhook.json"
SECRET = "sdk-fixture-secret"
# Where the SDK's fixture departs from LINE's OpenAPI file on purpose or by age: a placeholder destination, an
# event type newer than the vendored spec, and one no spec knows (the SDK tests its fallback with it).
KNOWN_SPEC_DEVIATIONS = [
    "destination: 'U123' does not match '^U[0-9a-f]{32}$'",
    "destination: 'U123' is too short",
    "events/26: type='messageEdited' is not one of the spec's type values",
    "events/27: type='undefined' is not one of the spec's type values",
]


def sdk_events() -> dict[str, Any]:
    """The fixture with a distinct ``webhookEventId`` per event: the SDK's file gives all 28 the same one, which
    LINE never does, and the inbox rightly stores an id once."""
    payload: dict[str, Any] = json.loads(SDK_FIXTURE.read_text(encoding="utf-8"))
    for number, event in enumerate(payload["events"]):
        event["webhookEventId"] = f"sdk-fixture-{number:02d}"
    return payload


def test_the_vendored_fixture_departs_from_lines_spec_only_where_known() -> None:
    assert spec_errors("webhook.yml", "CallbackRequest", json.loads(SDK_FIXTURE.read_bytes())) == \
        KNOWN_SPEC_DEVIATIONS


def test_every_event_of_the_sdk_fixture_ends_done_with_no_error(sqlite_url: str,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(database_url=sqlite_url, pack_dir=MINI_PACK, LINE_CHANNEL_SECRET=SECRET,
                        LINE_CHANNEL_ACCESS_TOKEN="token", run_worker_in_process=False,
                        answer_min_score=0.35, suggest_min_score=0.2)
    services = make_test_services(settings)
    payload = sdk_events()
    body = json.dumps(payload, ensure_ascii=False).encode()
    api = FakeMessagingApi()
    worker = make_worker(services, api)
    with caplog.at_level(logging.INFO):
        with TestClient(create_app(settings, services)) as client:
            response = client.post("/callback", content=body, headers={"X-Line-Signature": sign(body, SECRET)})
        assert response.status_code == status.HTTP_200_OK
        while worker.process_inbox():
            pass
        while asyncio.run(worker.deliver_outbox()):
            pass
    with Session(services.engine) as session:
        events = list(session.exec(select(InboxEvent).order_by(InboxEvent.id)).all())  # type: ignore[arg-type]
    assert len(events) == len(payload["events"])
    assert [(e.event_type, e.status, e.last_error) for e in events] == [
        (event["type"], "done", None) for event in payload["events"]]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert_requests_match_spec(api)
