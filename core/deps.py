"""FastAPI dependencies shared by the packages' routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session


def get_session(request: Request) -> Iterator[Session]:
    """One database session per request, closed afterwards."""
    with Session(request.app.state.services.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
