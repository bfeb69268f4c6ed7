"""Log lines: the JSON and text formats, the request id on every line, uvicorn's access log without query strings,
the configuration `tsunagu serve` hands to uvicorn, and the keyed user reference (issue 10 §3)."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from core.logging_setup import (
    AccessPathFilter,
    JsonFormatter,
    RequestIdFilter,
    TextFormatter,
    configure_logging,
    log_format,
    logging_config,
    user_ref,
)
from core.request_id import request_context
from tsunagu.settings import Settings


def record(message: str, *args: object, level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("tsunagu.test", level, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def filtered(made: logging.LogRecord) -> logging.LogRecord:
    RequestIdFilter().filter(made)
    return made


def test_json_line_has_time_level_logger_message_request_id_and_extra_fields() -> None:
    with request_context("req-123"):
        made = filtered(record("stored %d event(s)", 3, user="u-0123456789ab", text_chars=12,
                               color_message="stored \x1b[36m%d\x1b[0m event(s)"))
    entry = json.loads(JsonFormatter().format(made))
    assert entry["message"] == "stored 3 event(s)"
    assert (entry["level"], entry["logger"], entry["request_id"]) == ("INFO", "tsunagu.test", "req-123")
    assert (entry["user"], entry["text_chars"]) == ("u-0123456789ab", 12)
    assert "color_message" not in entry  # uvicorn's copy of the message with terminal colours
    assert entry["time"].endswith("+00:00")


def test_json_line_outside_a_request_has_a_null_request_id_and_the_traceback() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        made = filtered(logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()))
    entry = json.loads(JsonFormatter().format(made))
    assert entry["request_id"] is None
    assert "RuntimeError: boom" in entry["exception"]


def test_text_line_shows_the_request_id_or_a_dash_and_the_extra_fields() -> None:
    with request_context("abc"):
        inside = TextFormatter().format(filtered(record("hello", text_chars=5)))
    outside = TextFormatter().format(filtered(record("hello")))
    assert inside.endswith("INFO tsunagu.test [abc] hello text_chars=5")
    assert outside.endswith("INFO tsunagu.test [-] hello")


def test_access_log_keeps_the_path_without_its_query_string() -> None:
    made = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                             ("127.0.0.1:5000", "GET", "/staff/tickets/3/faq?q=%E4%BF%9D%E8%82%B2", "1.1", 200), None)
    AccessPathFilter().filter(made)
    assert made.getMessage() == '127.0.0.1:5000 - "GET /staff/tickets/3/faq HTTP/1.1" 200'


def test_format_defaults_to_json_in_production_and_text_in_development() -> None:
    production = Settings(environment="production", LINE_CHANNEL_SECRET="s", LINE_CHANNEL_ACCESS_TOKEN="t")
    assert log_format(production) == "json"
    assert log_format(Settings()) == "text"
    assert log_format(Settings(log_format="json")) == "json"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    uvicorn = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level,
                      logging.getLogger(name).propagate, logging.getLogger(name).filters[:])
               for name in ("uvicorn", "uvicorn.error", "uvicorn.access")}
    yield
    root.handlers[:], root.level = handlers, level
    for name, (saved_handlers, saved_level, propagate, filters) in uvicorn.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.level, logger.propagate, logger.filters[:] = (
            saved_handlers, saved_level, propagate, filters)


def test_configured_process_writes_json_lines_for_its_own_and_uvicorns_loggers(
    restore_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging(Settings(log_format="json"))
    with request_context("r1"):
        logging.getLogger("tsunagu.container").info("building the search index: %d/%d texts embedded", 10, 100)
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d',
                                                 "10.0.0.1:1", "GET", "/staff/?q=secret", "1.1", 200)
    logging.getLogger("tsunagu.container").debug("not at INFO")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        "building the search index: 10/100 texts embedded", '10.0.0.1:1 - "GET /staff/ HTTP/1.1" 200']
    assert {line["request_id"] for line in lines} == {"r1"}


def test_the_configuration_handed_to_uvicorn_is_plain_data_for_its_worker_processes() -> None:
    config = logging_config("json")
    assert json.loads(json.dumps(config)) == config  # picklable and copyable into a spawned process
    assert config["loggers"]["uvicorn.access"]["filters"] == ["access_path"]


def test_user_ref_is_stable_short_and_not_the_id() -> None:
    user = "U" + "4" * 32
    ref = user_ref(user)
    assert ref == user_ref(user) and ref != user_ref("U" + "5" * 32)
    assert ref is not None and ref.startswith("u-") and len(ref) == 14 and "4444" not in ref
    assert user_ref(None) is None


def our_formatters() -> list[type[logging.Formatter]]:
    """The formatters of tsunagu's handlers on the root logger (pytest adds its own)."""
    formatters = [type(handler.formatter) for handler in logging.getLogger().handlers]
    return [formatter for formatter in formatters if formatter in (JsonFormatter, TextFormatter)]


def test_serve_logs_at_info_and_hands_the_same_configuration_to_uvicorn(
    restore_logging: None, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    import os

    import uvicorn

    import tsunagu.serving as serving

    seen: dict[str, object] = {}
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TSUNAGU_ENVIRONMENT", "production")
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "t")
    monkeypatch.setattr(os, "environ", dict(os.environ))  # run_server's changes stay in this test
    monkeypatch.setattr(serving, "prepare_database", lambda settings, *, warm_index: None)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    serving.run_server(serving.ServeOptions(host="127.0.0.1", port=8000, workers=2))
    assert seen["log_config"] == logging_config("json")
    assert our_formatters() == [JsonFormatter]
    assert logging.getLogger().level == logging.INFO


def test_cli_commands_log_warnings_in_the_configured_format(
    restore_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import MINI_PACK
    from tsunagu import cli

    monkeypatch.setattr(sys, "argv", ["tsunagu", "faq", "load", "--check", str(MINI_PACK)])
    with pytest.raises(SystemExit):
        cli.main()
    assert our_formatters() == [TextFormatter]
    assert logging.getLogger().level == logging.WARNING
