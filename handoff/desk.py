"""The handoff objects built from settings, shared by the bot worker and the staff console."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from bot.postback import PostbackSigner
from handoff.hours import BusinessCalendar
from handoff.replies import CitizenReplies
from handoff.tickets import CitizenDesk, Routing
from retrieval.engine import Retriever
from tsunagu.settings import Settings


def routing_from(settings: Settings) -> Routing:
    return Routing(routes=dict(settings.handoff_routes), default_team=settings.handoff_default_team,
                   max_open_per_staff=settings.handoff_max_open_per_staff)


def replies_from(settings: Settings) -> CitizenReplies:
    assert settings.line_channel_secret is not None  # the settings validator always sets one
    return CitizenReplies(PostbackSigner(settings.line_channel_secret.get_secret_value()))


def citizen_desk_from(settings: Settings) -> CitizenDesk:
    return CitizenDesk(routing_from(settings), BusinessCalendar(settings.business_hours), replies_from(settings))


@dataclass(frozen=True)
class StaffDesk:
    """What the console's actions need besides the database session."""

    routing: Routing
    calendar: BusinessCalendar
    replies: CitizenReplies
    retriever: Retriever
    shared_queue: bool = False  # every staff member sees every team's tickets (small cities)

    @classmethod
    def from_settings(cls, settings: Settings, retriever: Retriever) -> StaffDesk:
        return cls(routing_from(settings), BusinessCalendar(settings.business_hours), replies_from(settings),
                   retriever, settings.handoff_shared_queue)


def get_staff_desk(request: Request) -> StaffDesk:
    """FastAPI dependency: built once per app from its services."""
    desk: StaffDesk | None = getattr(request.app.state, "staff_desk", None)
    if desk is None:
        services = request.app.state.services
        desk = StaffDesk.from_settings(services.settings, services.retriever)
        request.app.state.staff_desk = desk
    return desk
