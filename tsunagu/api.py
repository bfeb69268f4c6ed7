"""JSON API of the composition root: ``POST /api/ask`` (``/healthz`` and ``/readyz`` are in ``tsunagu.health``).

``/api/ask`` is public and costs real CPU per question, so it is guarded (``tsunagu.api_access``): rate-limited
per client, behind API keys when they are configured, and not served in production without keys.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, field_validator

from bot.line.payload import replace_lone_surrogates
from retrieval.engine import Retriever
from tsunagu.answers import AskResult, ask
from tsunagu.api_access import ApiAccess, api_enabled
from tsunagu.health import require_index
from tsunagu.settings import Settings


def get_retriever(request: Request) -> Retriever:
    retriever: Retriever = request.app.state.services.retriever
    return retriever


RetrieverDep = Annotated[Retriever, Depends(get_retriever)]


class AskRequest(BaseModel):
    # Generous bound so the retriever, not the parser, decides what is "too long" (REPHRASE).
    text: str = Field(max_length=20_000)

    @field_validator("text", mode="before")
    @classmethod
    def _valid_unicode(cls, text: Any) -> Any:
        # JSON can spell a lone surrogate (\ud800), which pydantic refuses and no later step could encode:
        # replace it (U+FFFD) before validation, so the question is answered like any other unreadable text.
        return replace_lone_surrogates(text) if isinstance(text, str) else text


class ErrorOut(BaseModel):
    detail: str


def create_answer(body: AskRequest, retriever: RetrieverDep) -> AskResult:
    # A plain (sync) function: FastAPI runs it in its thread pool, so retrieval never blocks the event loop.
    return ask(retriever, body.text)


def make_api_router(settings: Settings) -> APIRouter:
    """``/api/ask`` when ``api_enabled`` (otherwise it is simply not there: 404); 503 while the index is built."""
    router = APIRouter()
    if api_enabled(settings):
        router.add_api_route(
            "/api/ask", create_answer, methods=["POST"], response_model=AskResult,
            dependencies=[Depends(ApiAccess(settings)), Depends(require_index)],
            responses={401: {"model": ErrorOut}, 429: {"model": ErrorOut}, 503: {"model": ErrorOut}},
        )
    return router
