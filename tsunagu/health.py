"""``/healthz`` and ``/readyz``, and the 503 that search answers while the index is still being built.

- ``GET /healthz``: 200 whenever the process serves HTTP (liveness; no database access), with the number of
  entries the index serves (0 while the first build runs).
- ``GET /readyz``: 200 when the database answers and the index is built, with the number of indexed entries, the
  knowledge version (a digest of their content) and the age of the oldest unanswered inbox event; 503 otherwise,
  with ``status`` "indexing", "index_failed" or "database_unreachable". One indexed query per call.

Neither returns secrets or personal data: counts, a digest and an age only.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from sqlalchemy import Engine, func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from bot.models import InboxEvent
from core.clock import as_utc, utcnow
from retrieval.errors import IndexNotReady
from tsunagu.readiness import IndexSnapshot, IndexState

logger = logging.getLogger(__name__)

INDEXING_MESSAGE = "準備中です。FAQの索引を作成しています。しばらく（数分）待ってから、もう一度お試しください。"
RETRY_AFTER_S = 30
UNANSWERED = ("pending", "processing")

ReadyStatus = Literal["ready", "indexing", "index_failed", "database_unreachable"]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    entries: int  # entries the index serves now: 0 while the first build runs


class IndexInfo(BaseModel):
    """Entries and knowledge version once built; texts embedded so far while building."""

    state: Literal["indexing", "ready", "failed"]
    entries: int
    knowledge_version: str | None
    version_id: int | None  # the published knowledge version served (editor: 公開の履歴)
    texts_done: int
    texts_total: int

    @classmethod
    def of(cls, snapshot: IndexSnapshot) -> IndexInfo:
        return cls(state=snapshot.status, entries=snapshot.entries, knowledge_version=snapshot.knowledge_version,
                   version_id=snapshot.version_id, texts_done=snapshot.texts_done, texts_total=snapshot.texts_total)


class Readiness(BaseModel):
    status: ReadyStatus
    database: Literal["ok", "unreachable"]
    index: IndexInfo
    inbox_oldest_age_s: float | None  # 0.0 when nothing waits; None when the database did not answer


def get_index(request: Request) -> IndexState:
    index: IndexState = request.app.state.services.index
    return index


IndexDep = Annotated[IndexState, Depends(get_index)]


def require_index(index: IndexDep) -> None:
    """Dependency of routes that search: 503 (with Retry-After) until the index is built."""
    if not index.ready:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, INDEXING_MESSAGE,
                            headers={"Retry-After": str(RETRY_AFTER_S)})


def oldest_unanswered_age(engine: Engine) -> float:
    """Seconds since the oldest inbox event not yet answered was received (0.0 when there is none)."""
    with Session(engine) as session:
        oldest = session.exec(
            select(func.min(InboxEvent.received_at)).where(col(InboxEvent.status).in_(UNANSWERED))
        ).one()
    if oldest is None:
        return 0.0
    return round(max((utcnow() - as_utc(oldest)) / dt.timedelta(seconds=1), 0.0), 3)


def readiness(engine: Engine, index: IndexState) -> Readiness:
    """The ``/readyz`` body: the database is asked first, since a process without one can answer nobody."""
    snapshot = index.snapshot()
    try:
        age: float | None = oldest_unanswered_age(engine)
    except SQLAlchemyError as error:
        logger.warning("readyz: the database did not answer (%s)", type(error).__name__)
        age = None
    state: ReadyStatus
    if age is None:
        state = "database_unreachable"
    elif snapshot.status == "ready":
        state = "ready"
    else:
        state = "index_failed" if snapshot.status == "failed" else "indexing"
    return Readiness(status=state, database="unreachable" if age is None else "ok", index=IndexInfo.of(snapshot),
                     inbox_oldest_age_s=age)


async def read_health(index: IndexDep) -> Health:
    """Liveness: the process serves HTTP (no database access, on the event loop: it stays cheap under any load)."""
    return Health(entries=index.snapshot().entries)


def read_ready(request: Request, index: IndexDep) -> Response:
    """Readiness: 200 when the database answers and the index is built, 503 with the reason otherwise."""
    body = readiness(request.app.state.services.engine, index)
    code = status.HTTP_200_OK if body.status == "ready" else status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(body.model_dump(mode="json"), status_code=code, headers={"Cache-Control": "no-store"})


def make_health_router() -> APIRouter:
    router = APIRouter(tags=["health"])
    router.add_api_route("/healthz", read_health, methods=["GET"], response_model=Health)
    router.add_api_route("/readyz", read_ready, methods=["GET"], response_model=Readiness,
                         responses={503: {"model": Readiness}})
    return router


async def index_not_ready(request: Request, _: Exception) -> Response:
    """A search that reached the retriever before its first build (the console's FAQ search): 503, in Japanese."""
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": INDEXING_MESSAGE}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                            headers=headers)
    return PlainTextResponse(INDEXING_MESSAGE, status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)


def add_health(app: FastAPI) -> None:
    """Mount ``/healthz`` and ``/readyz`` and turn ``IndexNotReady`` into a 503 on ``app``."""
    app.include_router(make_health_router())
    app.add_exception_handler(IndexNotReady, index_not_ready)
