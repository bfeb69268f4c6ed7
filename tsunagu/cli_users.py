"""``tsunagu users``: create staff accounts, set passwords, disable and list them.

Passwords come from a hidden prompt (asked twice) or, for scripts, one line on standard input
(``--password-stdin``); never from a command-line argument, where they would land in shell history.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from sqlmodel import Session

from console.accounts.models import StaffUser
from console.accounts.passwords import PasswordPolicyError
from console.accounts.service import AccountError, create_user, disable_user, get_user, list_users, set_password
from console.roles import ROLE_LABELS, ROLES

users_app = typer.Typer(help="Manage staff accounts of the staff console.", no_args_is_help=True)

UsernameOption = Annotated[str, typer.Option("--username", "-u", help="Login name (ASCII, 3-64 characters).")]
PasswordStdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"エラー: {message}", err=True)
    raise typer.Exit(1)


@contextmanager
def _database() -> Iterator[Session]:
    """A session on the configured database, migrated to the newest schema first."""
    from core.db import make_engine
    from tsunagu.db import migrate
    from tsunagu.settings import get_settings

    settings = get_settings()
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first: str = typer.prompt("パスワード", hide_input=True)
    second: str = typer.prompt("パスワード（確認のためもう一度）", hide_input=True)
    if first != second:
        _fail("2回入力したパスワードが一致しません。")
    return first


def _existing(session: Session, username: str) -> StaffUser:
    user = get_user(session, username)
    if user is None:
        _fail(f"ユーザー「{username}」は登録されていません。")
    return user


@users_app.command("create")
def create(
    username: UsernameOption,
    role: Annotated[str, typer.Option(help="staff (tickets), editor (FAQ drafts) or admin (everything).")] = "staff",
    display_name: Annotated[str | None, typer.Option(help="Name shown in the console (default: username).")] = None,
    team: Annotated[str | None, typer.Option(
        help="Team, e.g. こども家庭部: staff see and answer only their team's tickets (unless "
             "TSUNAGU_HANDOFF_SHARED_QUEUE=true).")] = None,
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Create an active staff account."""
    if role not in ROLES:
        _fail(f"役割は {', '.join(ROLES)} のいずれかにしてください。")
    password = _read_password(password_stdin)
    with _database() as session:
        try:
            user = create_user(session, username=username, password=password, role=role,
                               display_name=display_name, team=team)
        except (AccountError, PasswordPolicyError) as exc:
            _fail(str(exc))
        typer.echo(f"ユーザー「{user.username}」（{ROLE_LABELS[user.role]}）を作成しました。")
        if user.role == "staff" and not user.team:
            typer.echo("注意: 担当課が未設定のため、共有キュー設定でない限り問い合わせは表示されません。"
                       "`tsunagu users set-team` で設定してください。")


@users_app.command("set-team")
def set_team_command(
    username: UsernameOption,
    team: Annotated[str, typer.Option(help="The team whose tickets the user sees; an empty string removes it.")],
) -> None:
    """Set the team whose tickets a staff member sees and answers."""
    with _database() as session:
        user = _existing(session, username)
        user.team = team.strip()[:100] or None
        session.add(user)
        session.commit()
        typer.echo(f"ユーザー「{user.username}」の担当課を「{user.team or '未設定'}」にしました。")


@users_app.command("set-password")
def set_password_command(username: UsernameOption, password_stdin: PasswordStdinOption = False) -> None:
    """Set a new password; the user's open sessions end."""
    password = _read_password(password_stdin)
    with _database() as session:
        user = _existing(session, username)
        try:
            set_password(session, user, password)
        except PasswordPolicyError as exc:
            _fail(str(exc))
        typer.echo(f"ユーザー「{user.username}」のパスワードを変更しました。")


@users_app.command("disable")
def disable(username: UsernameOption) -> None:
    """Disable an account (it can no longer log in; its sessions end; its history stays)."""
    with _database() as session:
        user = _existing(session, username)
        disable_user(session, user)
        typer.echo(f"ユーザー「{user.username}」を無効にしました。")


@users_app.command("list")
def list_command() -> None:
    """List every account with its role, team, status and last login."""
    with _database() as session:
        users = list_users(session)
        if not users:
            typer.echo("ユーザーは登録されていません。`tsunagu users create` で作成してください。")
            return
        for user in users:
            status = "有効" if user.active else "無効"
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_login_at else "-"
            typer.echo(f"{user.username}\t{user.display_name}\t{ROLE_LABELS.get(user.role, user.role)}\t"
                       f"{user.team or '-'}\t{status}\t最終ログイン {last}")
