"""Staff account operations: users, authentication with login throttling, and login sessions.

Every function takes the database session first and commits its own unit of work. Nothing here logs a
password, a session token or a CSRF token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from console.accounts.models import USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH, StaffLoginFailure, StaffSession, StaffUser
from console.accounts.passwords import (
    burn_verification_time,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from console.roles import ADMIN_ROLES, ROLES
from core.clock import as_utc, utcnow

SESSION_LIFETIME = dt.timedelta(hours=8)  # absolute: a session never outlives a working day
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)  # write last_seen_at at most once a minute
THROTTLE_MAX_FAILURES = 5
THROTTLE_WINDOW = dt.timedelta(minutes=15)
THROTTLE_LOCKOUT = dt.timedelta(minutes=15)
FAILURE_RETENTION = dt.timedelta(days=1)

INVALID_CREDENTIALS = "ユーザー名またはパスワードが違います。"
THROTTLED = "ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってから、もう一度お試しください。"

_USERNAME = re.compile(rf"[a-z0-9][a-z0-9._-]{{{USERNAME_MIN_LENGTH - 1},{USERNAME_MAX_LENGTH - 1}}}")


class AccountError(ValueError):
    """An account operation was refused; the message is Japanese and safe to show."""


class LoginError(Exception):
    """A login was refused; ``message`` is the Japanese text for the login page."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.throttled = throttled


# --- users ---------------------------------------------------------------------------------------------


def normalize_username(username: str) -> str:
    """Usernames compare case-insensitively: stored and looked up in lower case."""
    return username.strip().lower()


def _valid_username(username: str) -> str:
    name = normalize_username(username)
    if not _USERNAME.fullmatch(name):
        raise AccountError(f"ユーザー名は半角英数字と . _ - で{USERNAME_MIN_LENGTH}〜{USERNAME_MAX_LENGTH}文字に"
                           "してください（先頭は英数字）。")
    return name


def _valid_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"役割は {', '.join(ROLES)} のいずれかにしてください。")
    return role


def _valid_display_name(display_name: str | None, username: str) -> str:
    display = (display_name or "").strip() or username
    if len(display) > 100:
        raise AccountError("表示名は100文字以内にしてください。")
    return display


def _valid_team(team: str | None) -> str | None:
    value = (team or "").strip()
    if len(value) > 100:
        raise AccountError("担当課は100文字以内にしてください。")
    return value or None


def get_user(session: Session, username: str) -> StaffUser | None:
    return session.exec(select(StaffUser).where(StaffUser.username == normalize_username(username))).first()


def list_users(session: Session) -> list[StaffUser]:
    return list(session.exec(select(StaffUser).order_by(col(StaffUser.username))))


def create_user(
    session: Session, *, username: str, password: str, role: str,
    display_name: str | None = None, team: str | None = None,
) -> StaffUser:
    """Add an active user; raises AccountError (bad name/role, name taken) or PasswordPolicyError."""
    name = _valid_username(username)
    _valid_role(role)
    check_password_policy(password, name)
    if get_user(session, name) is not None:
        raise AccountError(f"ユーザー名「{name}」は既に使われています。")
    user = StaffUser(username=name, display_name=_valid_display_name(display_name, name),
                     password_hash=hash_password(password), role=role, team=_valid_team(team))
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def set_password(session: Session, user: StaffUser, password: str) -> None:
    """Replace the password and end every session of the user (a changed password logs out everywhere)."""
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    session.add(user)
    _delete_user_sessions(session, user)
    session.commit()


def disable_user(session: Session, user: StaffUser) -> None:
    """Stop the user from logging in and end their sessions; the row stays for the audit trail."""
    user.active = False
    session.add(user)
    _delete_user_sessions(session, user)
    session.commit()


# --- authentication and throttling ---------------------------------------------------------------------


def authenticate(
    session: Session, username: str, password: str, client_ip: str | None, *, now: dt.datetime | None = None
) -> StaffUser:
    """The active user with this username and password, else LoginError.

    Unknown users, wrong passwords and disabled users get the same message and take about the same time
    (a dummy hash is verified when the user does not exist).
    """
    now = now or utcnow()
    name = normalize_username(username)[:100]
    ip = (client_ip or "unknown")[:64]
    if login_locked_until(session, name, ip, now=now) is not None:
        raise LoginError(THROTTLED, throttled=True)
    user = get_user(session, name) if name else None
    if user is None:
        burn_verification_time(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.active
    if user is None or not ok:
        _record_failure(session, name, ip, now)
        raise LoginError(INVALID_CREDENTIALS)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.add(user)
    session.execute(delete(StaffLoginFailure).where(col(StaffLoginFailure.username) == name))
    session.commit()
    return user


@dataclass(frozen=True)
class ThrottleRule:
    """``max_failures`` failed logins within ``window`` lock what they share (see ``scope``) for ``lockout``."""

    scope: str  # "pair": this username from this address; "ip": any username from this address; "username"
    max_failures: int
    window: dt.timedelta
    lockout: dt.timedelta


# A stranger who types a staff member's username with wrong passwords from somewhere else only locks their own
# (username, address) pair; the staff member, from their own address, can still log in. Guessing from one
# address is stopped by the address rule (set above a busy office NAT's few typos), and guessing spread over
# many addresses by the slower per-username rule: it can delay a named account, but only after dozens of
# failures an hour, each of which is recorded.
THROTTLE_RULES = (
    ThrottleRule("pair", THROTTLE_MAX_FAILURES, THROTTLE_WINDOW, THROTTLE_LOCKOUT),
    ThrottleRule("ip", 20, THROTTLE_WINDOW, THROTTLE_LOCKOUT),
    ThrottleRule("username", 50, dt.timedelta(hours=1), THROTTLE_LOCKOUT),
)


def login_locked_until(
    session: Session, username: str, client_ip: str, *, now: dt.datetime | None = None
) -> dt.datetime | None:
    """When the latest lock on this login attempt ends (``THROTTLE_RULES``), or None when nothing is locked.

    A lock starts at the failure that completes a rule's ``max_failures`` within its window and lasts its
    lockout. Refused attempts are not recorded, so a lock does not extend itself.
    """
    now = now or utcnow()
    conditions = {
        "pair": (col(StaffLoginFailure.username) == username) & (col(StaffLoginFailure.client_ip) == client_ip),
        "ip": col(StaffLoginFailure.client_ip) == client_ip,
        "username": col(StaffLoginFailure.username) == username,
    }
    ends = []
    for rule in THROTTLE_RULES:
        since = now - rule.window - rule.lockout
        query = (select(StaffLoginFailure.at).where(conditions[rule.scope], col(StaffLoginFailure.at) >= since)
                 .order_by(col(StaffLoginFailure.at)))
        ends.append(_lock_end([as_utc(at) for at in session.exec(query)], rule))
    active = [end for end in ends if end is not None and end > now]
    return max(active) if active else None


def _lock_end(times: list[dt.datetime], rule: ThrottleRule) -> dt.datetime | None:
    end = None
    for last in range(rule.max_failures - 1, len(times)):
        if times[last] - times[last - rule.max_failures + 1] <= rule.window:
            end = times[last] + rule.lockout
    return end


def _record_failure(session: Session, username: str, client_ip: str, now: dt.datetime) -> None:
    session.execute(delete(StaffLoginFailure).where(col(StaffLoginFailure.at) < now - FAILURE_RETENTION))
    session.add(StaffLoginFailure(username=username, client_ip=client_ip, at=now))
    session.commit()


# --- sessions ------------------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(
    session: Session, user: StaffUser, *, now: dt.datetime | None = None
) -> tuple[str, StaffSession]:
    """A new session for ``user``: returns the random cookie token (shown once, stored hashed) and the row."""
    assert user.id is not None
    now = now or utcnow()
    session.execute(delete(StaffSession).where(col(StaffSession.expires_at) <= now))
    token = secrets.token_urlsafe(32)
    row = StaffSession(token_hash=hash_token(token), staff_user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                       created_at=now, expires_at=now + SESSION_LIFETIME, last_seen_at=now)
    session.add(row)
    session.commit()
    session.refresh(row)
    return token, row


def lookup_session(
    session: Session, token: str | None, *, now: dt.datetime | None = None
) -> tuple[StaffSession, StaffUser] | None:
    """The live session for a cookie token and its active user, else None (expired rows are deleted)."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == hash_token(token))).first()
    if row is None:
        return None
    if row.expires_at <= now:
        session.delete(row)
        session.commit()
        return None
    user = session.get(StaffUser, row.staff_user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return row, user


def delete_session(session: Session, token: str | None) -> None:
    """End the session of this cookie token (logout); unknown tokens are ignored."""
    if token:
        session.execute(delete(StaffSession).where(col(StaffSession.token_hash) == hash_token(token)))
        session.commit()


def _delete_user_sessions(session: Session, user: StaffUser) -> None:
    session.execute(delete(StaffSession).where(col(StaffSession.staff_user_id) == user.id))


# --- administration (console and CLI) ------------------------------------------------------------------

LAST_ADMIN = "有効な管理者がいなくなるため、この変更はできません。先に別のアカウントを管理者にしてください。"
SELF_DISABLE = "自分のアカウントは無効にできません。別の管理者に依頼してください。"
SELF_DEMOTE = "自分の管理者の役割は外せません。別の管理者に依頼してください。"


def _keep_an_admin(session: Session, user: StaffUser) -> None:
    """AccountError when ``user`` is the only active admin (about to be demoted or disabled).

    The active admins' rows are locked (PostgreSQL), so two admins demoting each other at the same moment
    cannot both succeed; SQLite writes one transaction at a time.
    """
    admins = session.exec(select(StaffUser.id).where(col(StaffUser.role).in_(ADMIN_ROLES),
                                                      col(StaffUser.active).is_(True)).with_for_update()).all()
    if user.id in admins and len(admins) <= 1:
        raise AccountError(LAST_ADMIN)


def update_user(
    session: Session, user: StaffUser, *, role: str, display_name: str | None, team: str | None,
    actor: StaffUser | None = None,
) -> None:
    """Change role, display name and team. Refused (AccountError) when ``actor`` would drop their own admin
    role or when no active admin would remain. A new role applies at the user's next request."""
    _valid_role(role)
    display, new_team = _valid_display_name(display_name, user.username), _valid_team(team)
    if user.has_role(ADMIN_ROLES) and role not in ADMIN_ROLES:
        if actor is not None and actor.id == user.id:
            raise AccountError(SELF_DEMOTE)
        _keep_an_admin(session, user)
    user.role, user.display_name, user.team = role, display, new_team
    session.add(user)
    session.commit()


def set_active(session: Session, user: StaffUser, active: bool, *, actor: StaffUser | None = None) -> None:
    """Enable or disable an account; disabling ends its sessions and is refused for ``actor`` themselves and
    for the last active admin (AccountError)."""
    if active:
        user.active = True
        session.add(user)
        session.commit()
        return
    if actor is not None and actor.id == user.id:
        raise AccountError(SELF_DISABLE)
    _keep_an_admin(session, user)
    disable_user(session, user)
