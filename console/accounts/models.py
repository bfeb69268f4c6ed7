"""Tables for staff accounts, their login sessions and failed logins, and the role policy.

The role policy is ``console.roles``, in one place, so the dependencies, the templates and the CLI agree on it.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from core.clock import utcnow

USERNAME_MIN_LENGTH = 3
USERNAME_MAX_LENGTH = 64


class StaffUser(SQLModel, table=True):
    """One city staff member who can log in to the console. Usernames are stored in lower case."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=USERNAME_MAX_LENGTH, unique=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=255, repr=False)  # argon2id; never logged
    role: str = Field(max_length=20)  # one of ROLES
    team: str | None = Field(default=None, max_length=100, index=True)  # e.g. "こども家庭部"
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_login_at: dt.datetime | None = None

    def has_role(self, roles: tuple[str, ...]) -> bool:
        """True when this user's role is one of ``roles`` (use the *_ROLES constants)."""
        return self.role in roles


class StaffSession(SQLModel, table=True):
    """A login session. Only the SHA-256 of the cookie's random token is stored, so a database leak
    does not hand out live sessions."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, repr=False)
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    csrf_token: str = Field(max_length=64, repr=False)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime = Field(index=True)
    last_seen_at: dt.datetime = Field(default_factory=utcnow)


class StaffLoginFailure(SQLModel, table=True):
    """One failed login, kept for a while to throttle password guessing by username and by client IP."""

    __tablename__ = "staff_login_failure"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, index=True)
    client_ip: str = Field(max_length=64, index=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
