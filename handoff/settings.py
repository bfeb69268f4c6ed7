"""The handoff package's settings: routing tickets to teams, business hours and notifications."""

from __future__ import annotations

from pydantic import Field

from core.settings import CoreSettings
from handoff.hours import BusinessHours
from handoff.notify import Notifications


class HandoffSettings(CoreSettings):
    """Which team answers which tickets, when staff answer, and who is told of new tickets."""

    # Handoff to staff: routing and the staff console
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Where staff reach this server (links in notifications)."
    )
    handoff_routes: dict[str, str] = Field(
        default={"childcare": "こども家庭部", "tourism": "観光振興課", "procedures": "市民課"},
        description="FAQ category → team that answers its tickets (JSON in the environment).",
    )
    handoff_default_team: str = Field(default="市民相談課", description="Team for tickets with no routed category.")
    handoff_max_open_per_staff: int = Field(default=10, ge=1, description="Open assignments one staff may hold.")
    handoff_shared_queue: bool = Field(
        default=False, description="Every staff member sees and answers every team's tickets (small cities); "
        "otherwise staff see only their own team's and admins all.")

    # Handoff: business hours and notifications
    business_hours: BusinessHours = Field(
        default_factory=BusinessHours,
        description="When staff answer (JSON: weekly, year_end_closure, extra_closed_days, national_holidays).",
    )
    notifications: Notifications = Field(
        default_factory=Notifications,
        description="Who is told of new tickets (JSON: webhook_url and webhook_style, and/or smtp_* and mail_*).",
    )
