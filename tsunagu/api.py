"""JSON API of the composition root: health check and ``POST /api/ask``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from retrieval.engine import Retriever
from tsunagu.answers import AskResult, ask

router = APIRouter()


def get_retriever(request: Request) -> Retriever:
    retriever: Retriever = request.app.state.services.retriever
    return retriever


RetrieverDep = Annotated[Retriever, Depends(get_retriever)]


class AskRequest(BaseModel):
    # Generous bound so the retriever, not the parser, decides what is "too long" (REPHRASE).
    text: str = Field(max_length=20_000)


class Health(BaseModel):
    status: str
    entries: int


@router.get("/healthz", response_model=Health)
def read_health(retriever: RetrieverDep) -> Health:
    return Health(status="ok", entries=len(retriever.entries))


@router.post("/api/ask", response_model=AskResult)
def create_answer(body: AskRequest, retriever: RetrieverDep) -> AskResult:
    return ask(retriever, body.text)
