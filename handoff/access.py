"""Which tickets a staff member may see and act on: their own team's, or every team's for admins.

Teams are more than a queue filter: a ticket carries its citizen's question (often with personal details), so
staff of 観光振興課 must not read or answer 市民相談課's tickets. A small city where everyone answers everything
sets ``TSUNAGU_HANDOFF_SHARED_QUEUE=true``. A staff member with no team sees no ticket until an admin gives
them one (``tsunagu users set-team``), rather than seeing all of them by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.accounts.models import StaffUser
from console.roles import ADMIN_ROLES
from handoff.models import Ticket
from handoff.routing import UNROUTED

NOT_YOUR_TEAM = "この問い合わせは、あなたの担当課（{team}）の問い合わせではないため、開けません。"
NO_TEAM = "担当課が設定されていないため、問い合わせを表示できません。管理者に担当課の設定を依頼してください。"


@dataclass(frozen=True)
class TeamScope:
    """The teams whose tickets one staff member may see; ``teams=None`` means every team."""

    teams: frozenset[str] | None

    @classmethod
    def of(cls, staff: StaffUser, *, shared_queue: bool) -> TeamScope:
        if shared_queue or staff.has_role(ADMIN_ROLES):
            return cls(None)
        return cls(frozenset([staff.team]) if staff.team else frozenset())

    @property
    def everything(self) -> bool:
        return self.teams is None

    def allows(self, ticket: Ticket) -> bool:
        """Every staff member may see 振り分け待ち tickets: someone has to take them."""
        return self.teams is None or ticket.team in self.teams or ticket.team == UNROUTED

    def visible(self, teams: list[str]) -> list[str]:
        """The teams of ``teams`` this scope may filter the queue by."""
        return list(teams) if self.teams is None else [team for team in teams if team in self.teams]


def may_transfer(staff: StaffUser, ticket: Ticket) -> bool:
    """A claimed ticket moves only by its assignee or an admin; a waiting one by anyone who may see it (so a
    misrouted question can be passed on without first claiming it)."""
    return staff.has_role(ADMIN_ROLES) or ticket.assignee_id is None or ticket.assignee_id == staff.id
