"""Error responses that cannot themselves fail.

FastAPI's 422 echoes the offending input, and JSON can spell text that Python cannot encode as UTF-8 (a lone
surrogate such as ``\\ud800``): rendering it would raise and turn a client error into a 500. Here the body is
rendered with ASCII escapes, which can represent any Python string.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class AsciiJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped (valid for any ``str``, lone surrogates included)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite number written as text: a request may carry them (``{"text": NaN}``,
    ``1e999``), and strict JSON, which the error echoes them in, has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


async def validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    detail = finite(jsonable_encoder(error.errors()))
    return AsciiJSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail})


def add_error_handlers(app: FastAPI) -> None:
    """Install the handlers above on ``app``."""
    app.add_exception_handler(RequestValidationError, validation_error)
