"""``tsunagu purge``: delete what is older than the retention period the privacy notice states, now.

The worker does the same once a day (``tsunagu.retention.purge_daily``); this command is for a first run, for a
check with ``--dry-run`` (the counts of what would go, nothing changed), and for a deployment without a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tsunagu.settings import get_settings

if TYPE_CHECKING:
    from tsunagu.retention import PurgeReport


def _print(report: PurgeReport, retention_days: int, dry_run: bool) -> None:
    verb = "削除・消去する行 / rows to purge" if dry_run else "削除・消去した行 / rows purged"
    typer.echo(f"保存期間 / retention: {retention_days}日 (cutoff {report.cutoff.isoformat(timespec='seconds')})")
    typer.echo(f"{verb}:")
    for table, count in sorted(report.rows.items()):
        typer.echo(f"  {table}: {count}")
    if dry_run:
        typer.echo("（確認のみ：何も変更していません / dry run: nothing changed）")


def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the counts only; change nothing.")] = False,
) -> None:
    """保存期間を過ぎた記録を削除します / Delete message texts, tickets' and drafts' citizen text older than
    TSUNAGU_DATA_RETENTION_DAYS (counted from each user's last interaction), keeping only counts."""
    from sqlmodel import Session

    from core.db import make_engine
    from tsunagu import retention

    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            report = retention.purge(session, retention_days=settings.data_retention_days)
            if dry_run:
                session.rollback()
            else:
                session.commit()
    finally:
        engine.dispose()
    _print(report, settings.data_retention_days, dry_run)
