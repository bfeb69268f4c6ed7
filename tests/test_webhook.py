"""The signed webhook and the durable inbox."""

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import status
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st
from linebot.v3.webhook import SignatureValidator
from sqlmodel import Session, select

from bot.models import InboxEvent
from core.db import make_engine
from retrieval.cache import MemoryVectorStore
from retrieval.factory import make_retriever
from tests.conftest import MINI_PACK
from tests.utils.embedders import HashingEmbedder
from tests.utils.openapi import errors as spec_errors
from tsunagu.app import create_app
from tsunagu.container import Services
from tsunagu.db import migrate
from tsunagu.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "webhook"
SECRET = "test-channel-secret"


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url, pack_dir=MINI_PACK, LINE_CHANNEL_SECRET=SECRET)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    retriever = make_retriever(settings, store=MemoryVectorStore(), embedder=HashingEmbedder())
    with TestClient(create_app(settings, Services(settings, engine, retriever))) as test_client:
        yield test_client


def stored(settings: Settings) -> list[InboxEvent]:
    with Session(make_engine(settings.database_url)) as session:
        return list(session.exec(select(InboxEvent)).all())


def post(client: TestClient, body: bytes, signature: str | None = None) -> int:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    return client.post("/callback", content=body, headers=headers).status_code


def test_sdk_public_signature_vector() -> None:
    validator = SignatureValidator("channel_secret")
    assert validator.validate("bodybodybodybody", "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k=")
    assert not validator.validate("bodybodybodybody", sign(b"bodybodybodybody", "other_secret"))


@pytest.mark.parametrize("name", ["text_message.json", "follow.json", "postback_redelivered.json",
                                  "url_verification.json"])
def test_webhook_fixtures_match_lines_spec(name: str) -> None:
    assert spec_errors("webhook.yml", "CallbackRequest", json.loads(fixture(name))) == []


def test_spec_check_catches_a_wrong_message_field() -> None:
    body = json.loads(fixture("text_message.json"))
    body["events"][0]["message"]["text"] = 42
    assert spec_errors("webhook.yml", "CallbackRequest", body)


def test_signed_event_is_stored_and_acknowledged(client: TestClient, settings: Settings) -> None:
    body = fixture("text_message.json")
    assert post(client, body, sign(body)) == status.HTTP_200_OK
    [event] = stored(settings)
    assert event.webhook_event_id == "01H810YECXQQZ37VAXPF6H9E6T"
    assert event.event_type == "message"
    assert event.line_user_id == "U4af4980629000000000000000000000a"
    assert event.payload["message"]["text"] == "保育園の申し込みはいつから？"
    assert event.status == "pending"


def test_missing_signature_is_rejected_and_nothing_stored(client: TestClient, settings: Settings) -> None:
    assert post(client, fixture("text_message.json")) == status.HTTP_400_BAD_REQUEST
    assert stored(settings) == []


def test_wrong_signature_is_rejected_and_nothing_stored(client: TestClient, settings: Settings) -> None:
    body = fixture("text_message.json")
    assert post(client, body, sign(body, "another-secret")) == status.HTTP_400_BAD_REQUEST
    assert post(client, body, "not base64 at all") == status.HTTP_400_BAD_REQUEST
    assert stored(settings) == []


def test_malformed_json_with_valid_signature_is_400(client: TestClient, settings: Settings) -> None:
    body = b'{"events": [ {"type": "message",'
    assert post(client, body, sign(body)) == status.HTTP_400_BAD_REQUEST
    body = b'{"events": "not a list"}'
    assert post(client, body, sign(body)) == status.HTTP_400_BAD_REQUEST
    assert stored(settings) == []


def test_body_over_one_megabyte_is_413(client: TestClient, settings: Settings) -> None:
    body = json.dumps({"events": [], "padding": "あ" * 400_000}).encode()
    assert len(body) > 1_000_000
    assert post(client, body, sign(body)) == status.HTTP_413_CONTENT_TOO_LARGE
    assert stored(settings) == []


def test_url_verification_with_no_events_is_200(client: TestClient, settings: Settings) -> None:
    body = fixture("url_verification.json")
    assert post(client, body, sign(body)) == status.HTTP_200_OK
    assert stored(settings) == []


def test_redelivered_event_is_stored_once(client: TestClient, settings: Settings) -> None:
    first = fixture("text_message.json")
    again = first.replace(b'"isRedelivery": false', b'"isRedelivery": true')
    assert post(client, first, sign(first)) == status.HTTP_200_OK
    assert post(client, again, sign(again)) == status.HTTP_200_OK
    assert post(client, first, sign(first)) == status.HTTP_200_OK
    assert len(stored(settings)) == 1


def test_redelivery_flag_is_recorded(client: TestClient, settings: Settings) -> None:
    body = fixture("postback_redelivered.json")
    assert post(client, body, sign(body)) == status.HTTP_200_OK
    [event] = stored(settings)
    assert event.is_redelivery


def test_unknown_event_type_is_kept_not_crashed(client: TestClient, settings: Settings) -> None:
    body = json.dumps({"destination": "U0", "events": [
        {"type": "somethingNew", "webhookEventId": "01NEW", "timestamp": 1, "mode": "active",
         "source": {"type": "user", "userId": "U1"}, "deliveryContext": {"isRedelivery": False}},
        {"type": "message", "message": {"type": "text"}, "timestamp": 2, "mode": "active"},
    ]}).encode()
    assert post(client, body, sign(body)) == status.HTTP_200_OK
    events = {e.event_type: e for e in stored(settings)}
    assert events["somethingNew"].webhook_event_id == "01NEW"
    assert events["message"].webhook_event_id.startswith("sha256:")  # no webhookEventId: keyed by content


def test_production_requires_line_credentials() -> None:
    with pytest.raises(ValueError, match="LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN"):
        Settings(environment="production")


def test_development_without_a_channel_gets_a_random_secret() -> None:
    first, second = Settings(), Settings()
    assert first.line_channel_secret is not None and second.line_channel_secret is not None
    assert first.line_channel_secret.get_secret_value() != second.line_channel_secret.get_secret_value()


@pytest.mark.parametrize("signature", ["=", "!!!!", "a" * 5, "%%%=="])
def test_garbage_signature_is_400_not_500(client: TestClient, signature: str) -> None:
    body = fixture("text_message.json")
    assert post(client, body, signature) == status.HTTP_400_BAD_REQUEST


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)
EVENT_LIKE = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "follow", "postback", "unfollow", "x"]) | st.text(max_size=10)},
    optional={"webhookEventId": st.text(max_size=30) | st.integers(), "source": JSON_VALUES,
              "message": JSON_VALUES, "deliveryContext": JSON_VALUES, "replyToken": JSON_VALUES},
)


@settings_hypothesis(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.lists(EVENT_LIKE | JSON_VALUES, max_size=4).map(lambda events: json.dumps({"events": events}).encode()),
))
def test_fuzzed_signed_bodies_never_cause_a_server_error(client: TestClient, body: bytes) -> None:
    assert post(client, body, sign(body)) in (status.HTTP_200_OK, status.HTTP_400_BAD_REQUEST)
