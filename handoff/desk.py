"""The handoff objects built from settings, shared by the bot worker and the staff console."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request

from bot.channel import Renderer, Transcriber
from bot.postback import PostbackSigner
from handoff.hours import BusinessCalendar
from handoff.replies import CitizenReplies
from handoff.settings import HandoffSettings
from handoff.tickets import CitizenDesk, Routing
from retrieval.engine import Retriever


def routing_from(settings: HandoffSettings) -> Routing:
    return Routing(routes=dict(settings.handoff_routes), default_team=settings.handoff_default_team,
                   max_open_per_staff=settings.handoff_max_open_per_staff)


def citizen_desk_from(settings: HandoffSettings, signer: PostbackSigner) -> CitizenDesk:
    """``signer``: signs the buttons of replies to citizens (the bot's, which the composition root passes)."""
    return CitizenDesk(routing_from(settings), BusinessCalendar(settings.business_hours), CitizenReplies(signer))


@dataclass(frozen=True)
class StaffDesk:
    """What the console's actions need besides the database session."""

    routing: Routing
    calendar: BusinessCalendar
    replies: CitizenReplies
    retriever: Retriever
    renderers: Mapping[str, Renderer]  # each wired channel's, by name: staff answers go out through the ticket's
    transcribers: Mapping[str, Transcriber]  # each wired channel's, by name: a ticket's chat as staff read it
    shared_queue: bool = False  # every staff member sees every team's tickets (small cities)

    @classmethod
    def from_settings(cls, settings: HandoffSettings, retriever: Retriever, signer: PostbackSigner,
                      renderers: Mapping[str, Renderer], transcribers: Mapping[str, Transcriber]) -> StaffDesk:
        return cls(routing_from(settings), BusinessCalendar(settings.business_hours), CitizenReplies(signer),
                   retriever, renderers, transcribers, settings.handoff_shared_queue)


def get_staff_desk(request: Request) -> StaffDesk:
    """FastAPI dependency: built once per app from its services."""
    desk: StaffDesk | None = getattr(request.app.state, "staff_desk", None)
    if desk is None:
        services = request.app.state.services
        desk = StaffDesk.from_settings(services.settings, services.retriever, services.signer, services.renderers,
                                       services.transcribers)
        request.app.state.staff_desk = desk
    return desk
