"""Staff accounts: password hashing and rules, login and throttling, sessions, CSRF, roles, cookies and the CLI."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import extract_parameters, profiles
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from console.accounts.deps import AdminStaff, CurrentStaff, TicketStaff, verify_csrf
from console.accounts.models import StaffLoginFailure, StaffSession, StaffUser
from console.accounts.passwords import (
    PRODUCTION_PARAMETERS,
    PasswordPolicyError,
    check_password_policy,
    hash_password,
    needs_rehash,
    use_parameters,
    verify_password,
)
from console.accounts.routes import safe_next
from console.accounts.service import (
    INVALID_CREDENTIALS,
    SESSION_LIFETIME,
    THROTTLED,
    AccountError,
    LoginError,
    authenticate,
    create_session,
    create_user,
    disable_user,
    get_user,
    lookup_session,
    set_password,
)
from console.web import render
from core.db import make_engine
from tests.conftest import MINI_PACK
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.cli import app as cli_app
from tsunagu.db import migrate
from tsunagu.settings import Settings

PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


# --- fixtures and helpers ------------------------------------------------------------------------------


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    """A migrated database (SQLite and PostgreSQL) for service-level tests."""
    migrate(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@dataclass
class Console:
    client: TestClient
    engine: Engine

    def add_user(self, username: str, role: str = "staff", **kwargs: Any) -> StaffUser:
        with Session(self.engine) as session:
            return create_user(session, username=username, password=PASSWORD, role=role, **kwargs)

    def login(self, username: str, password: str = PASSWORD, next_url: str = "", **headers: str) -> Any:
        """Log in from a fresh browser (no cookies): open the login page, then post its form."""
        self.client.cookies.clear()
        page = self.client.get("/staff/login")
        return self.client.post(
            "/staff/login", data={"username": username, "password": password, "next": next_url,
                                  "csrf_token": form_token(page.text)},
            headers=headers, follow_redirects=False,
        )

    def sessions(self) -> list[StaffSession]:
        with Session(self.engine) as session:
            return list(session.exec(select(StaffSession)))

    def csrf_of(self, username: str) -> str:
        """The CSRF token of the newest session of ``username``."""
        with Session(self.engine) as session:
            user = get_user(session, username)
            assert user is not None
            rows = session.exec(select(StaffSession).where(StaffSession.staff_user_id == user.id)
                                .order_by(col(StaffSession.id).desc())).all()
            return rows[0].csrf_token


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def add_probe_routes(app: FastAPI) -> None:
    """Routes that use the dependencies the staff console uses."""

    @app.get("/staff/_probe/admin")
    def admin_page(staff: AdminStaff) -> dict[str, str]:
        return {"user": staff.username}

    @app.post("/staff/_probe/ticket", dependencies=[Depends(verify_csrf)])
    def ticket_action(staff: TicketStaff) -> dict[str, str]:
        return {"user": staff.username}

    @app.get("/staff/_probe/page", response_class=HTMLResponse)
    def page(request: Request, staff: CurrentStaff) -> HTMLResponse:
        return render(request, "error.html", {"message": "テスト"}, staff=staff)


def make_console(settings: Settings, base_url: str = "http://testserver") -> Iterator[Console]:
    services = make_test_services(settings)
    app = create_app(settings, services)
    add_probe_routes(app)
    with TestClient(app, base_url=base_url) as client:
        yield Console(client, services.engine)


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(Settings(database_url=sqlite_url, pack_dir=MINI_PACK))


@pytest.fixture
def production_console(sqlite_url: str) -> Iterator[Console]:
    line: dict[str, Any] = {"LINE_CHANNEL_SECRET": "secret", "LINE_CHANNEL_ACCESS_TOKEN": "token"}
    settings = Settings(database_url=sqlite_url, pack_dir=MINI_PACK, environment="production", **line)
    yield from make_console(settings, base_url="https://testserver")


def set_cookie_headers(response: Any, name: str) -> str:
    found = [value for value in response.headers.get_list("set-cookie") if value.startswith(f"{name}=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return str(found[0])


# --- passwords -----------------------------------------------------------------------------------------


def test_password_rules() -> None:
    check_password_policy("a" * 12, "admin")
    with pytest.raises(PasswordPolicyError, match="12文字以上"):
        check_password_policy("a" * 11, "admin")
    with pytest.raises(PasswordPolicyError, match="ユーザー名と同じ"):
        check_password_policy("Administrator", "administrator")


def test_hash_is_argon2id_salted_and_never_the_password() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and first != second and PASSWORD not in first
    assert not needs_rehash(first)


def test_weak_hash_is_upgraded_at_login(db: Session) -> None:
    user = create_user(db, username="tanaka", password=PASSWORD, role="staff")
    weak = user.password_hash
    assert extract_parameters(weak) == profiles.CHEAPEST  # the tests' profile (conftest)
    use_parameters(PRODUCTION_PARAMETERS)
    assert verify_password(weak, PASSWORD) and needs_rehash(weak)
    authenticate(db, "tanaka", PASSWORD, "10.0.0.1")
    db.refresh(user)
    assert extract_parameters(user.password_hash) == PRODUCTION_PARAMETERS
    assert not needs_rehash(user.password_hash)
    assert authenticate(db, "tanaka", PASSWORD, "10.0.0.1").id == user.id


# --- users and authentication --------------------------------------------------------------------------


def test_fresh_database_has_no_user_so_nobody_can_log_in(db: Session) -> None:
    assert db.exec(select(func.count()).select_from(StaffUser)).one() == 0
    for username, password in (("admin", "admin"), ("admin", "password"), ("root", ""), ("staff", "staff")):
        with pytest.raises(LoginError):
            authenticate(db, username, password, f"10.0.0.{len(password)}")


def test_create_user_validates_name_role_and_uniqueness(db: Session) -> None:
    user = create_user(db, username=" Tanaka.H ", password=PASSWORD, role="admin", team="こども家庭部")
    assert (user.username, user.display_name, user.team, user.active) == ("tanaka.h", "tanaka.h", "こども家庭部", True)
    with pytest.raises(AccountError, match="既に使われています"):
        create_user(db, username="TANAKA.H", password=PASSWORD, role="staff")
    for bad in ("ab", "田中", "a b", "-abc", "a" * 65):
        with pytest.raises(AccountError, match="ユーザー名"):
            create_user(db, username=bad, password=PASSWORD, role="staff")
    with pytest.raises(AccountError, match="役割"):
        create_user(db, username="suzuki", password=PASSWORD, role="root")
    with pytest.raises(PasswordPolicyError):
        create_user(db, username="suzuki", password="short", role="staff")


def test_wrong_password_unknown_user_and_disabled_user_get_one_message(db: Session) -> None:
    user = create_user(db, username="tanaka", password=PASSWORD, role="staff")
    attempts = [("tanaka", "wrong password!"), ("nobody", PASSWORD)]
    messages = []
    for username, password in attempts:
        with pytest.raises(LoginError) as caught:
            authenticate(db, username, password, "10.0.0.1")
        messages.append(caught.value.message)
    disable_user(db, user)
    with pytest.raises(LoginError) as caught:
        authenticate(db, "tanaka", PASSWORD, "10.0.0.2")
    messages.append(caught.value.message)
    assert messages == [INVALID_CREDENTIALS] * 3


def test_login_is_case_insensitive_and_records_last_login(db: Session) -> None:
    create_user(db, username="tanaka", password=PASSWORD, role="staff")
    user = authenticate(db, "  TANAKA ", PASSWORD, "10.0.0.1", now=T0)
    assert user.last_login_at == T0


def test_five_failures_for_one_username_from_one_address_lock_that_pair_for_fifteen_minutes(db: Session) -> None:
    create_user(db, username="tanaka", password=PASSWORD, role="staff")
    for minute in range(5):
        with pytest.raises(LoginError):
            authenticate(db, "tanaka", "wrong password!", "10.0.0.1", now=T0 + dt.timedelta(minutes=minute))
    locked_at = T0 + dt.timedelta(minutes=5)
    with pytest.raises(LoginError) as caught:
        authenticate(db, "tanaka", PASSWORD, "10.0.0.1", now=locked_at)
    assert caught.value.throttled and caught.value.message == THROTTLED
    with pytest.raises(LoginError, match="しばらく"):
        authenticate(db, "tanaka", PASSWORD, "10.0.0.1", now=T0 + dt.timedelta(minutes=18, seconds=59))
    assert authenticate(db, "tanaka", PASSWORD, "10.0.0.1", now=T0 + dt.timedelta(minutes=19)).username == "tanaka"
    remaining = db.exec(select(StaffLoginFailure).where(StaffLoginFailure.username == "tanaka")).all()
    assert remaining == []  # a successful login clears the username's failures


def test_a_stranger_cannot_lock_out_staff_who_know_their_password(db: Session) -> None:
    create_user(db, username="tanaka", password=PASSWORD, role="staff")
    for attempt in range(12):  # wrong passwords for tanaka from an attacker's address
        with pytest.raises(LoginError):
            authenticate(db, "tanaka", f"guess {attempt}!", "203.0.113.7", now=T0 + dt.timedelta(seconds=attempt))
    with pytest.raises(LoginError, match="しばらく"):  # the attacker's own pair is locked
        authenticate(db, "tanaka", PASSWORD, "203.0.113.7", now=T0 + dt.timedelta(minutes=1))
    assert authenticate(db, "tanaka", PASSWORD, "10.0.0.1", now=T0 + dt.timedelta(minutes=1)).username == "tanaka"


def test_failures_spread_over_more_than_the_window_do_not_lock(db: Session) -> None:
    create_user(db, username="tanaka", password=PASSWORD, role="staff")
    for step in range(5):
        with pytest.raises(LoginError, match="違います"):
            authenticate(db, "tanaka", "wrong password!", "10.0.0.1", now=T0 + dt.timedelta(minutes=4 * step))
    assert authenticate(db, "tanaka", PASSWORD, "10.0.0.1", now=T0 + dt.timedelta(minutes=17)).username == "tanaka"


def test_guessing_many_usernames_from_one_address_locks_that_address(db: Session) -> None:
    create_user(db, username="tanaka", password=PASSWORD, role="staff")
    for n in range(19):  # a shared office address survives a few typos of many staff
        with pytest.raises(LoginError, match="違います"):
            authenticate(db, f"guess{n}", PASSWORD, "203.0.113.7", now=T0)
    with pytest.raises(LoginError, match="違います"):
        authenticate(db, "guess19", PASSWORD, "203.0.113.7", now=T0)
    with pytest.raises(LoginError, match="しばらく"):
        authenticate(db, "tanaka", PASSWORD, "203.0.113.7", now=T0 + dt.timedelta(minutes=1))
    assert authenticate(db, "tanaka", PASSWORD, "198.51.100.1", now=T0 + dt.timedelta(minutes=1)).username == "tanaka"


def test_guessing_one_password_from_many_addresses_is_slowed_by_the_per_username_limit(db: Session) -> None:
    create_user(db, username="tanaka", password=PASSWORD, role="staff")
    for n in range(50):
        with pytest.raises(LoginError, match="違います"):
            authenticate(db, "tanaka", "wrong password!", f"198.51.100.{n}", now=T0 + dt.timedelta(seconds=n))
    with pytest.raises(LoginError, match="しばらく"):
        authenticate(db, "tanaka", PASSWORD, "10.0.0.1", now=T0 + dt.timedelta(minutes=2))
    assert authenticate(db, "tanaka", PASSWORD, "10.0.0.1", now=T0 + dt.timedelta(minutes=16)).username == "tanaka"


# --- sessions ------------------------------------------------------------------------------------------


def test_session_stores_only_a_hash_and_expires_after_eight_hours(db: Session) -> None:
    user = create_user(db, username="tanaka", password=PASSWORD, role="staff")
    token, row = create_session(db, user, now=T0)
    assert token not in (row.token_hash, row.csrf_token) and len(row.token_hash) == 64
    assert SESSION_LIFETIME == dt.timedelta(hours=8)
    found = lookup_session(db, token, now=T0 + SESSION_LIFETIME - dt.timedelta(seconds=1))
    assert found is not None and found[1].id == user.id
    assert lookup_session(db, "not-" + token, now=T0) is None
    assert lookup_session(db, token, now=T0 + SESSION_LIFETIME) is None
    assert db.exec(select(StaffSession)).all() == []  # the expired row is gone


def test_disabling_or_changing_the_password_ends_sessions(db: Session) -> None:
    user = create_user(db, username="tanaka", password=PASSWORD, role="staff")
    token, _ = create_session(db, user)
    set_password(db, user, "another long password")
    assert lookup_session(db, token) is None
    token, _ = create_session(db, user)
    disable_user(db, user)
    assert lookup_session(db, token) is None


# --- login and logout over HTTP ------------------------------------------------------------------------


def test_login_page_works_without_javascript(console: Console) -> None:
    page = console.client.get("/staff/login")
    assert page.status_code == 200
    assert '<form method="post" action="/staff/login"' in page.text
    assert "<script" not in page.text and "style=" not in page.text
    assert "つなぐ 職員コンソール" in page.text


def test_login_logout_round_trip(console: Console) -> None:
    console.add_user("tanaka", display_name="田中 花子", team="こども家庭部")
    response = console.login("tanaka", next_url="/staff/_probe/page")
    assert response.status_code == 303 and response.headers["location"] == "/staff/_probe/page"
    page = console.client.get("/staff/_probe/page")
    assert page.status_code == 200
    assert "田中 花子" in page.text and "職員" in page.text and "こども家庭部" in page.text
    assert 'action="/staff/logout"' in page.text and form_token(page.text) == console.sessions()[0].csrf_token
    assert 'href="/staff/drafts"' not in page.text  # FAQ drafts are for editors and admins
    assert console.client.get("/staff/login", follow_redirects=False).headers["location"] == "/staff/"
    logout = console.client.post("/staff/logout", data={"csrf_token": form_token(page.text)},
                                 follow_redirects=False)
    assert logout.status_code == 303 and logout.headers["location"] == "/staff/login"
    assert console.sessions() == []
    assert console.client.get("/staff/_probe/page", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_user_look_the_same(console: Console) -> None:
    console.add_user("tanaka")
    wrong = console.login("tanaka", "wrong password!")
    unknown = console.login("nobody")
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert INVALID_CREDENTIALS in response.text
    assert console.sessions() == []


def test_throttled_login_page_says_so_in_japanese(console: Console) -> None:
    console.add_user("tanaka")
    for _ in range(5):
        console.login("tanaka", "wrong password!")
    response = console.login("tanaka")
    assert response.status_code == 429 and THROTTLED in response.text


def test_login_refuses_missing_or_wrong_form_token(console: Console) -> None:
    console.add_user("tanaka")
    console.client.get("/staff/login")
    for token in ("", "forged"):
        response = console.client.post("/staff/login", data={"username": "tanaka", "password": PASSWORD,
                                                             "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 403 and "有効期限" in response.text
    cross_site = console.login("tanaka", **{"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    assert console.sessions() == []


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/staff/", "/\\evil.example",
                                    "/staffevil", "/api/ask", "javascript:alert(1)", "/staff/../api",
                                    "/staff/%2e%2e/api", "/staff/login", "/staff/\r\nx", ""])
def test_next_never_leaves_the_console(target: str) -> None:
    assert safe_next(target) == "/staff/"


def test_next_keeps_console_paths() -> None:
    assert safe_next("/staff/tickets/3?status=open") == "/staff/tickets/3?status=open"
    assert safe_next("/staff") == "/staff"


def test_login_with_foreign_next_goes_to_the_console(console: Console) -> None:
    console.add_user("tanaka")
    response = console.login("tanaka", next_url="https://evil.example/")
    assert response.status_code == 303 and response.headers["location"] == "/staff/"


def test_unauthenticated_page_redirects_and_other_requests_get_401(console: Console) -> None:
    response = console.client.get("/staff/_probe/admin?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=%2Fstaff%2F_probe%2Fadmin%3Fx%3D1"
    assert console.client.post("/staff/_probe/ticket").status_code == 401
    fetch = console.client.get("/staff/_probe/admin", headers={"Sec-Fetch-Mode": "cors"}, follow_redirects=False)
    assert fetch.status_code == 401 and "ログイン" in fetch.text
    polled = console.client.get("/staff/_probe/admin", headers={"X-Requested-With": "fetch"}, follow_redirects=False)
    assert polled.status_code == 401


def test_expired_session_cookie_is_refused(console: Console) -> None:
    console.add_user("tanaka")
    console.login("tanaka")
    with Session(console.engine) as session:
        row = session.exec(select(StaffSession)).one()
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.add(row)
        session.commit()
    assert console.client.get("/staff/_probe/page", follow_redirects=False).status_code == 303
    assert console.sessions() == []


# --- CSRF and roles ------------------------------------------------------------------------------------


def test_logout_without_or_with_wrong_csrf_token_is_refused(console: Console) -> None:
    console.add_user("tanaka")
    console.login("tanaka")
    for data in ({}, {"csrf_token": "wrong"}):
        response = console.client.post("/staff/logout", data=data, follow_redirects=False)
        assert response.status_code == 403 and "もう一度操作" in response.text
    assert len(console.sessions()) == 1


def test_csrf_header_works_for_scripts_and_cross_site_is_refused(console: Console) -> None:
    console.add_user("tanaka")
    console.login("tanaka")
    token = console.sessions()[0].csrf_token
    assert console.client.post("/staff/_probe/ticket", headers={"X-CSRF-Token": token}).json() == {"user": "tanaka"}
    cross = console.client.post("/staff/_probe/ticket", headers={"X-CSRF-Token": token, "Sec-Fetch-Site": "same-site"})
    assert cross.status_code == 403


def test_roles_are_enforced_with_a_japanese_403_page(console: Console) -> None:
    console.add_user("tanaka", role="staff")
    console.add_user("sato", role="editor")
    console.add_user("kanri", role="admin")
    console.login("tanaka")
    denied = console.client.get("/staff/_probe/admin")
    assert denied.status_code == 403 and "権限がありません" in denied.text
    console.login("sato")
    token = console.csrf_of("sato")
    assert console.client.post("/staff/_probe/ticket", data={"csrf_token": token}).status_code == 403
    assert 'href="/staff/drafts"' in console.client.get("/staff/_probe/page").text
    console.login("kanri")
    token = console.csrf_of("kanri")
    assert console.client.get("/staff/_probe/admin").json() == {"user": "kanri"}
    assert console.client.post("/staff/_probe/ticket", data={"csrf_token": token}).json() == {"user": "kanri"}


# --- cookies -------------------------------------------------------------------------------------------


def test_cookie_flags_in_development(console: Console) -> None:
    console.add_user("tanaka")
    login_cookie = set_cookie_headers(console.client.get("/staff/login"), "tsunagu_login_csrf").lower()
    assert "httponly" in login_cookie and "samesite=strict" in login_cookie and "secure" not in login_cookie
    cookie = set_cookie_headers(console.login("tanaka"), "tsunagu_staff").lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie and "secure" not in cookie


def test_cookie_flags_in_production(production_console: Console) -> None:
    production_console.add_user("tanaka")
    page = production_console.client.get("/staff/login")
    assert "secure" in set_cookie_headers(page, "__Host-tsunagu_login_csrf").lower()
    response = production_console.login("tanaka")
    assert response.status_code == 303
    cookie = set_cookie_headers(response, "__Host-tsunagu_staff").lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "domain=" not in cookie
    assert not [c for c in response.headers.get_list("set-cookie") if c.startswith("tsunagu_staff=")]
    assert production_console.client.get("/staff/").status_code == 200  # the prefixed cookie logs in
    production_console.client.cookies.set("tsunagu_staff", production_console.client.cookies["__Host-tsunagu_staff"])
    del production_console.client.cookies["__Host-tsunagu_staff"]
    assert production_console.client.get("/staff/", follow_redirects=False).status_code == 303  # unprefixed: not


# --- CLI -----------------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def cli_db(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[Session]:
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", sqlite_url)
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_cli_creates_a_user_from_stdin(cli_db: Session) -> None:
    result = runner.invoke(cli_app, ["users", "create", "--username", "Kanri", "--role", "admin",
                                     "--display-name", "管理 太郎", "--team", "市民課", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "kanri" in result.output and PASSWORD not in result.output
    user = authenticate(cli_db, "kanri", PASSWORD, "127.0.0.1")
    assert (user.role, user.display_name, user.team) == ("admin", "管理 太郎", "市民課")
    listed = runner.invoke(cli_app, ["users", "list"])
    assert "kanri" in listed.output and "管理者" in listed.output and "$argon2" not in listed.output


def test_cli_refuses_a_short_password_and_bad_input(cli_db: Session) -> None:
    result = runner.invoke(cli_app, ["users", "create", "--username", "kanri", "--role", "admin",
                                     "--password-stdin"], input="short\n")
    assert result.exit_code == 1 and "12文字以上" in result.output
    result = runner.invoke(cli_app, ["users", "create", "--username", "kanri", "--role", "root",
                                     "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 1 and "役割" in result.output
    assert get_user(cli_db, "kanri") is None


def test_cli_prompt_asks_twice(cli_db: Session) -> None:
    mismatch = runner.invoke(cli_app, ["users", "create", "--username", "kanri"], input=f"{PASSWORD}\nother\n")
    assert mismatch.exit_code == 1 and "一致しません" in mismatch.output
    ok = runner.invoke(cli_app, ["users", "create", "--username", "kanri"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert ok.exit_code == 0, ok.output


def test_cli_set_password_and_disable(cli_db: Session) -> None:
    create_user(cli_db, username="tanaka", password=PASSWORD, role="staff")
    new = "a brand new passphrase"
    result = runner.invoke(cli_app, ["users", "set-password", "--username", "tanaka", "--password-stdin"],
                           input=new + "\n")
    assert result.exit_code == 0, result.output
    assert authenticate(cli_db, "tanaka", new, "127.0.0.1").username == "tanaka"
    assert runner.invoke(cli_app, ["users", "disable", "--username", "tanaka"]).exit_code == 0
    with pytest.raises(LoginError):
        authenticate(cli_db, "tanaka", new, "127.0.0.2")
    missing = runner.invoke(cli_app, ["users", "disable", "--username", "nobody"])
    assert missing.exit_code == 1 and "登録されていません" in missing.output


def test_cli_set_team_and_the_warning_for_staff_without_one(cli_db: Session) -> None:
    created = runner.invoke(cli_app, ["users", "create", "--username", "tanaka", "--password-stdin"],
                            input=PASSWORD + "\n")
    assert created.exit_code == 0 and "担当課が未設定" in created.output
    result = runner.invoke(cli_app, ["users", "set-team", "--username", "tanaka", "--team", " 観光振興課 "])
    assert result.exit_code == 0, result.output
    cli_db.expire_all()
    assert get_user(cli_db, "tanaka").team == "観光振興課"  # type: ignore[union-attr]
    runner.invoke(cli_app, ["users", "set-team", "--username", "tanaka", "--team", ""])
    cli_db.expire_all()
    assert get_user(cli_db, "tanaka").team is None  # type: ignore[union-attr]
