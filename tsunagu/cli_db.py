"""``tsunagu db``: schema migrations as a deploy step (``upgrade``) and the schema's revision (``current``)."""

from __future__ import annotations

from typing import Annotated

import typer

from tsunagu.settings import get_settings

db_app = typer.Typer(
    help="データベースのスキーマ / The database schema: upgrade it (a deploy step) or show its revision.",
    no_args_is_help=True,
)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """スキーマを最新にします / Bring the schema to this version's newest revision.

    Run it once per deploy, before the new server and workers start (in production they refuse an old schema).
    On PostgreSQL it holds an advisory lock, so two upgrades started at once take turns and both succeed."""
    from tsunagu.db import migrate

    before, after = migrate(get_settings().database_url)
    if before == after:
        typer.echo(f"スキーマは最新です / the schema is up to date: {', '.join(after)}")
    else:
        was = ", ".join(before) or "なし / none"
        typer.echo(f"スキーマを更新しました / schema upgraded: {was} → {', '.join(after)}")


@db_app.command("current")
def db_current(
    check: Annotated[bool, typer.Option("--check", help="Exit 1 unless the schema is up to date.")] = False,
) -> None:
    """スキーマの版を表示します / Show the schema's revision and whether it is this version's newest."""
    from tsunagu.db import schema_problem, schema_status

    status = schema_status(get_settings().database_url)
    typer.echo(f"current: {', '.join(status.current) or 'none'}")
    typer.echo(f"head:    {', '.join(status.heads)}")
    problem = schema_problem(status)
    typer.echo(problem or "スキーマは最新です / the schema is up to date")
    if problem is not None and check:
        raise typer.Exit(1)
