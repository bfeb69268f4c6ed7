"""Accounts in the console (issue 11): admins create, change, reset, disable and enable staff accounts.

Only admins may; every POST needs the CSRF token; every change is audited without the password; nobody
disables themselves or drops their own admin role, and the last active admin is never disabled or demoted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from console.accounts.models import StaffSession, StaffUser
from console.accounts.service import (
    INVALID_CREDENTIALS,
    LAST_ADMIN,
    SELF_DEMOTE,
    SELF_DISABLE,
    AccountError,
    _keep_an_admin,
    create_user,
    get_user,
    set_active,
    update_user,
)
from console.models import AuditEvent
from core.db import make_engine
from tests.conftest import MINI_PACK
from tests.test_accounts import PASSWORD, Console, make_console
from tsunagu.db import migrate
from tsunagu.settings import Settings

TEMPORARY = "karino-pasuwado-2026"
MISMATCH = "2回入力したパスワードが一致しません。"


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(Settings(database_url=sqlite_url, pack_dir=MINI_PACK))


@pytest.fixture
def any_console(database_url: str) -> Iterator[Console]:
    """The console on SQLite and on PostgreSQL."""
    yield from make_console(Settings(database_url=database_url, pack_dir=MINI_PACK))


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    migrate(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def as_admin(console: Console) -> StaffUser:
    """Log in as the admin ``kanri`` (created here) and return the account."""
    admin = console.add_user("kanri", role="admin", display_name="管理 太郎")
    assert console.login("kanri").status_code == 303
    return admin


def post(console: Console, path: str, data: dict[str, str] | None = None, *, user: str = "kanri",
         csrf: bool = True) -> Any:
    """POST a console form as ``user`` (with their session's CSRF token unless ``csrf`` is False)."""
    form = dict(data or {})
    if csrf:
        form["csrf_token"] = console.csrf_of(user)
    return console.client.post(path, data=form, follow_redirects=False)


def account(console: Console, username: str) -> StaffUser:
    with Session(console.engine) as session:
        user = get_user(session, username)
        assert user is not None
        return user


def account_events(console: Console) -> list[AuditEvent]:
    with Session(console.engine) as session:
        query = select(AuditEvent).where(col(AuditEvent.action).startswith("account_")).order_by(col(AuditEvent.id))
        return list(session.exec(query))


def sessions_of(console: Console, user: StaffUser) -> list[StaffSession]:
    return [row for row in console.sessions() if row.staff_user_id == user.id]


def new_account(password: str = TEMPORARY, confirm: str | None = None, **fields: str) -> dict[str, str]:
    form = {"username": "tanaka", "display_name": "田中 花子", "role": "staff", "team": "こども家庭部",
            "password": password, "password_confirm": password if confirm is None else confirm}
    form.update(fields)
    return form


# --- who may ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "editor"])
def test_non_admins_get_403_on_every_page_and_post(console: Console, role: str) -> None:
    target = console.add_user("target", role="staff")
    console.add_user("someone", role=role)
    console.login("someone")
    for path in ("/staff/accounts", f"/staff/accounts/{target.id}"):
        page = console.client.get(path)
        assert page.status_code == 403 and "権限がありません" in page.text
    posts = {"/staff/accounts": new_account(username="intruder"),
             f"/staff/accounts/{target.id}/profile": {"role": "admin", "display_name": "x", "team": ""},
             f"/staff/accounts/{target.id}/password": {"password": TEMPORARY, "password_confirm": TEMPORARY},
             f"/staff/accounts/{target.id}/disable": {}, f"/staff/accounts/{target.id}/enable": {}}
    for path, data in posts.items():
        assert post(console, path, data, user="someone").status_code == 403, path
    assert account(console, "target").role == "staff" and account(console, "target").active
    assert console.login("target").status_code == 303  # password unchanged
    with Session(console.engine) as session:
        assert get_user(session, "intruder") is None
    assert account_events(console) == []


def test_logged_out_pages_go_to_login_and_posts_get_401(console: Console) -> None:
    target = console.add_user("target")
    page = console.client.get("/staff/accounts", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/staff/login?next=")
    assert console.client.post(f"/staff/accounts/{target.id}/disable").status_code == 401
    assert account(console, "target").active


def test_posts_without_or_with_a_wrong_csrf_token_are_refused(console: Console) -> None:
    as_admin(console)
    target = console.add_user("target")
    for token in (None, "forged"):
        extra = {} if token is None else {"csrf_token": token}
        for path, data in {"/staff/accounts": new_account(),
                           f"/staff/accounts/{target.id}/profile": {"role": "admin", "team": "", "display_name": ""},
                           f"/staff/accounts/{target.id}/password": {"password": TEMPORARY,
                                                                     "password_confirm": TEMPORARY},
                           f"/staff/accounts/{target.id}/disable": {},
                           f"/staff/accounts/{target.id}/enable": {}}.items():
            response = post(console, path, {**data, **extra}, csrf=False)
            assert response.status_code == 403 and "もう一度操作" in response.text, path
    assert account(console, "target").role == "staff" and account(console, "target").active
    assert account_events(console) == []


# --- the actions ---------------------------------------------------------------------------------------


def test_admin_creates_an_account_that_can_log_in(any_console: Console, caplog: pytest.LogCaptureFixture) -> None:
    console = any_console
    as_admin(console)
    caplog.set_level(logging.DEBUG)
    response = post(console, "/staff/accounts", new_account(username="Tanaka"))
    created = account(console, "tanaka")
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/accounts/{created.id}?done=created"
    assert (created.display_name, created.role, created.team, created.active) == ("田中 花子", "staff",
                                                                                   "こども家庭部", True)
    page = console.client.get(f"/staff/accounts/{created.id}?done=created")
    assert "アカウントを作成しました" in page.text
    listing = console.client.get("/staff/accounts").text
    assert "田中 花子" in listing and "こども家庭部" in listing and "職員" in listing
    [event] = account_events(console)
    kanri_id = account(console, "kanri").id
    assert (event.action, event.actor, event.actor_staff_id) == ("account_created", "kanri", kanri_id)
    assert "tanaka" in event.detail and "職員" in event.detail and TEMPORARY not in event.detail
    assert TEMPORARY not in caplog.text
    assert console.login("tanaka", TEMPORARY).status_code == 303


def test_create_errors_rerender_the_form_with_the_typed_values_but_no_password(console: Console) -> None:
    as_admin(console)
    console.add_user("taken")
    cases = [(new_account(confirm="something-else-2026"), MISMATCH),
             (new_account(password="short"), "12文字以上"),
             (new_account(username="taken"), "既に使われています"),
             (new_account(username="a b"), "半角英数字"),
             (new_account(role="root"), "役割は")]
    for form, message in cases:
        response = post(console, "/staff/accounts", form)
        text = response.text
        assert response.status_code == 400 and message in text, message
        assert 'value="田中 花子"' in text and 'value="こども家庭部"' in text
        assert form["password"] not in text and form["password_confirm"] not in text
    assert [u.username for u in (account(console, "kanri"), account(console, "taken"))] == ["kanri", "taken"]
    with Session(console.engine) as session:
        assert get_user(session, "tanaka") is None
    assert account_events(console) == []


def test_html_in_names_is_escaped(console: Console) -> None:
    as_admin(console)
    attack = '<script>alert("x")</script>'
    refused = post(console, "/staff/accounts", new_account(username=attack))
    assert refused.status_code == 400
    assert attack not in refused.text and "&lt;script&gt;alert(" in refused.text
    assert post(console, "/staff/accounts", new_account(display_name=attack)).status_code == 303
    for path in ("/staff/accounts", f"/staff/accounts/{account(console, 'tanaka').id}"):
        text = console.client.get(path).text
        assert attack not in text and "&lt;script&gt;" in text, path


def test_role_team_and_display_name_change_is_audited(any_console: Console) -> None:
    console = any_console
    as_admin(console)
    target = console.add_user("tanaka", team="こども家庭部")
    path = f"/staff/accounts/{target.id}/profile"
    response = post(console, path, {"role": "editor", "display_name": "田中 花子", "team": "市民課"})
    assert response.headers["location"] == f"/staff/accounts/{target.id}?done=updated"
    changed = account(console, "tanaka")
    assert (changed.role, changed.display_name, changed.team) == ("editor", "田中 花子", "市民課")
    [event] = account_events(console)
    assert event.action == "account_updated"
    assert "職員 → FAQ編集者" in event.detail and "こども家庭部 → 市民課" in event.detail
    same = post(console, path, {"role": "editor", "display_name": "田中 花子", "team": "市民課"})
    assert same.headers["location"].endswith("done=unchanged") and len(account_events(console)) == 1
    promoted = post(console, path, {"role": "admin", "display_name": "田中 花子", "team": ""})
    assert promoted.status_code == 303
    assert (account(console, "tanaka").role, account(console, "tanaka").team) == ("admin", None)
    bad = post(console, path, {"role": "root", "display_name": "新しい名前", "team": "x" * 101})
    assert bad.status_code == 400 and 'value="新しい名前"' in bad.text
    assert account(console, "tanaka").display_name == "田中 花子" and len(account_events(console)) == 2


def test_password_reset_ends_sessions_and_enforces_the_policy(any_console: Console) -> None:
    console = any_console
    target = console.add_user("tanaka")
    console.login("tanaka")
    as_admin(console)
    assert len(sessions_of(console, target)) == 1
    path = f"/staff/accounts/{target.id}/password"
    mismatch = post(console, path, {"password": TEMPORARY, "password_confirm": TEMPORARY + "x"})
    short = post(console, path, {"password": "short", "password_confirm": "short"})
    assert mismatch.status_code == 400 and MISMATCH in mismatch.text
    assert short.status_code == 400 and "12文字以上" in short.text
    assert account_events(console) == [] and len(sessions_of(console, target)) == 1
    done = post(console, path, {"password": TEMPORARY, "password_confirm": TEMPORARY})
    assert done.headers["location"] == f"/staff/accounts/{target.id}?done=password"
    assert sessions_of(console, target) == []
    [event] = account_events(console)
    assert event.action == "account_password_reset" and TEMPORARY not in event.detail
    assert console.login("tanaka", PASSWORD).status_code == 401
    assert console.login("tanaka", TEMPORARY).status_code == 303


def test_disabled_account_cannot_log_in_until_enabled(any_console: Console) -> None:
    console = any_console
    target = console.add_user("tanaka")
    console.login("tanaka")
    as_admin(console)
    response = post(console, f"/staff/accounts/{target.id}/disable")
    assert response.headers["location"] == f"/staff/accounts/{target.id}?done=disabled"
    assert not account(console, "tanaka").active and sessions_of(console, target) == []
    listing = console.client.get("/staff/accounts").text
    assert "無効" in listing and 'class="inactive"' in listing
    refused = console.login("tanaka")
    assert refused.status_code == 401 and INVALID_CREDENTIALS in refused.text
    console.login("kanri")
    assert post(console, f"/staff/accounts/{target.id}/enable").status_code == 303
    assert [e.action for e in account_events(console)] == ["account_disabled", "account_enabled"]
    assert console.login("tanaka").status_code == 303


def test_admin_cannot_disable_themselves_or_drop_their_own_admin_role(console: Console) -> None:
    admin = as_admin(console)
    console.add_user("other", role="admin")
    page = console.client.get(f"/staff/accounts/{admin.id}").text
    assert f"/staff/accounts/{admin.id}/disable" not in page and "自分のアカウントは無効にできません" in page
    disable = post(console, f"/staff/accounts/{admin.id}/disable")
    assert disable.status_code == 400 and SELF_DISABLE in disable.text
    demote = post(console, f"/staff/accounts/{admin.id}/profile", {"role": "staff", "display_name": "管理 太郎",
                                                                    "team": ""})
    assert demote.status_code == 400 and SELF_DEMOTE in demote.text
    kept = account(console, "kanri")
    assert kept.active and kept.role == "admin" and account_events(console) == []
    assert console.client.get("/staff/accounts").status_code == 200  # still logged in


def test_another_admin_can_be_demoted_while_one_remains(console: Console) -> None:
    as_admin(console)
    other = console.add_user("other", role="admin")
    response = post(console, f"/staff/accounts/{other.id}/profile", {"role": "staff", "display_name": "",
                                                                     "team": "市民課"})
    assert response.status_code == 303 and account(console, "other").role == "staff"


def test_last_active_admin_is_never_disabled_or_demoted(db: Session) -> None:
    first = create_user(db, username="kanri", password=PASSWORD, role="admin")
    second = create_user(db, username="fuku", password=PASSWORD, role="admin")
    set_active(db, second, False, actor=first)
    changes: list[Callable[[], None]] = [
        lambda: update_user(db, first, role="editor", display_name=None, team=None),
        lambda: set_active(db, first, False),
    ]
    for change in changes:
        with pytest.raises(AccountError, match=LAST_ADMIN):
            change()
        db.rollback()
    db.refresh(first)
    assert first.active and first.role == "admin"
    set_active(db, second, True)
    update_user(db, first, role="editor", display_name=None, team=None)  # another admin is active again
    assert first.role == "editor"


def test_unknown_account_is_a_404_page(console: Console) -> None:
    as_admin(console)
    for user_id in (999, 2**40):
        page = console.client.get(f"/staff/accounts/{user_id}")
        assert page.status_code == 404 and "見つかりません" in page.text
    assert post(console, "/staff/accounts/999/disable").status_code == 404


def test_audit_page_names_account_actions_in_japanese(console: Console) -> None:
    as_admin(console)
    post(console, "/staff/accounts", new_account())
    assert "アカウント作成" in console.client.get("/staff/audit").text


def test_account_pages_need_no_inline_code(console: Console) -> None:
    """The CSP forbids inline scripts, styles and handlers: the pages must work without them."""
    admin = as_admin(console)
    for path in ("/staff/accounts", f"/staff/accounts/{admin.id}"):
        html = console.client.get(path).text
        assert 'name="csrf_token"' in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline <script>"
        assert not re.search(r"\sstyle=|<style", html), "inline style"
        assert not re.search(r"\son[a-z]+=", html), "inline event handler"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_admin_check_locks_the_admins_so_two_demotions_cannot_both_pass(database_url: str) -> None:
    """While one transaction checks "another admin remains", a second check waits for it (PostgreSQL locks
    the active admins' rows), so two admins demoting each other at once cannot leave none."""
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine) as first, Session(engine) as second:
            kanri = create_user(first, username="kanri", password=PASSWORD, role="admin")
            fuku = create_user(first, username="fuku", password=PASSWORD, role="admin")
            _keep_an_admin(first, kanri)  # transaction open, rows locked
            second.execute(text("SET lock_timeout = '100ms'"))
            fuku_again = second.get(StaffUser, fuku.id)
            assert fuku_again is not None
            with pytest.raises(OperationalError, match="lock"):
                set_active(second, fuku_again, False)
            second.rollback()
            first.rollback()
    finally:
        engine.dispose()
