"""The teams a staff account may belong to. They are handoff's (its routing), which the console does not
import: the composition root puts them on ``app.state.known_teams`` when it builds the app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request


def get_known_teams(request: Request) -> list[str]:
    """FastAPI dependency: every known team, sorted; none when the app was built without any."""
    return sorted(getattr(request.app.state, "known_teams", ()))


KnownTeams = Annotated[list[str], Depends(get_known_teams)]
