"""Logging of the ``tsunagu`` processes: one line per record on stderr, JSON or text, each with its request id.

``TSUNAGU_LOG_FORMAT``: ``json`` (default in production: one JSON object per line, for a log collector) or ``text``
(default in development: readable in a terminal). Both carry the time, level, logger, message, request id
(``core.request_id``) and any ``extra`` fields of the call.

Logs never hold what citizens or staff wrote, nor raw LINE user ids: call sites log lengths and ``user_ref(id)``,
a keyed hash (see there). uvicorn's access log keeps the path without its query string (the console's FAQ search
sends typed text as ``?q=``). SQL parameters are not logged either: engines are made with ``hide_parameters``
(``core.db``), so a database error in the log shows the statement, not the citizen's text.

``logging_config`` is a ``logging.config.dictConfig`` dictionary: ``tsunagu serve`` hands it to uvicorn too, so every
web process it starts (``--workers N``) logs the same way, uvicorn's own lines included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import logging.config
import secrets
from typing import TYPE_CHECKING, Any, Literal

from core.request_id import current_request_id

if TYPE_CHECKING:
    from core.settings import CoreSettings

LogFormat = Literal["json", "text"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged as a field
# (except uvicorn's ``color_message``: the message again, with terminal colour codes).
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id", "taskName", "color_message",
}
USER_REF_CHARS = 12


def log_format(settings: CoreSettings) -> LogFormat:
    """The configured format, or by default JSON in production and text in development."""
    return settings.log_format or ("json" if settings.environment == "production" else "text")


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a call passed with ``extra=`` (the record's non-standard attributes)."""
    return {key: value for key, value in vars(record).items()
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_")}


class RequestIdFilter(logging.Filter):
    """Puts the current request id on each record (as ``request_id``) when one is set."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


class AccessPathFilter(logging.Filter):
    """uvicorn's access log without query strings (``GET /staff/tickets/3/faq?q=…`` → ``…/faq``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, request_id, extra fields, and the
    traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id.get(),
        }
        for key, value in extra_fields(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``TEXT_FORMAT`` followed by the extra fields as ``key=value``."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT, defaults={"request_id": "-"})

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = extra_fields(record)
        return line + "".join(f" {key}={value}" for key, value in fields.items()) if fields else line


def logging_config(fmt: LogFormat, level: int | str = logging.INFO) -> dict[str, Any]:
    """The dictConfig of a tsunagu process: the root logger (uvicorn's loggers propagate to it) writes to stderr."""
    formatter = JsonFormatter if fmt == "json" else TextFormatter
    uvicorn = {"handlers": [], "propagate": True, "level": level}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": f"{__name__}.RequestIdFilter"},
            "access_path": {"()": f"{__name__}.AccessPathFilter"},
        },
        "formatters": {"main": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "main",
                                "filters": ["request_id"]}},
        "loggers": {"uvicorn": uvicorn, "uvicorn.error": uvicorn,
                    "uvicorn.access": {**uvicorn, "filters": ["access_path"]}},
        "root": {"handlers": ["stderr"], "level": level},
    }


def configure_logging(settings: CoreSettings | None, level: int | str = logging.INFO, *,
                      user_ref_secret: str | None = None) -> dict[str, Any]:
    """Configure this process's logging (again, replacing the earlier set-up); returns the dictConfig used.
    Without settings (they could not be read) the format is text. ``user_ref_secret``: see
    ``use_user_ref_secret``."""
    use_user_ref_secret(user_ref_secret)
    config = logging_config(log_format(settings) if settings is not None else "text", level)
    logging.config.dictConfig(config)
    return config


_user_ref_keys: list[bytes] = []  # this process's key, once ``use_user_ref_secret`` or ``user_ref`` made it


def use_user_ref_secret(secret: str | None) -> None:
    """Derive ``user_ref``'s HMAC key from the LINE channel secret (the composition root passes it at start-up), so
    every process of one installation (web, workers, CLI) and every restart give a user the same reference, and
    nobody without the secret can tell which LINE user a reference belongs to, even holding a list of user ids.
    None: a random key (references then hold within this process only)."""
    material = secret.encode() if secret else secrets.token_bytes(32)
    _user_ref_keys[:] = [hmac.new(material, b"tsunagu log user reference", hashlib.sha256).digest()]


def _user_ref_key() -> bytes:
    """The key ``use_user_ref_secret`` made; a random one until a secret is given."""
    if not _user_ref_keys:
        use_user_ref_secret(None)
    return _user_ref_keys[0]


def user_ref(user_id: str | None) -> str | None:
    """A short pseudonym of a LINE user id for logs: ``u-`` and 12 hex digits of HMAC-SHA256 (48 bits: unique
    enough to follow one user through the logs of a city's friends, useless to find them on LINE)."""
    if not user_id:
        return None
    digest = hmac.new(_user_ref_key(), user_id.encode(), hashlib.sha256).hexdigest()
    return f"u-{digest[:USER_REF_CHARS]}"
