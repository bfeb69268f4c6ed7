"""Progress bars on stderr for long commands, so that stdout stays clean for ``--json``.

Uses ``rich.progress``. In a terminal the bars move; when stderr is not a terminal (CI, a log file) rich draws
nothing while running and prints each stage's final line once, when the command ends. ``TTY_COMPATIBLE=1``
forces live bars, ``--no-progress`` turns them off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

STAGE_LABELS = {"corpus": "文書の埋め込み", "queries": "質問の検索"}


@contextmanager
def stage_bars(enabled: bool = True) -> Iterator[Callable[[str, int, int], None] | None]:
    """A ``progress(stage, done, total)`` callback drawing one bar per stage, or None when disabled."""
    if not enabled:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("残り"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as bars:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(STAGE_LABELS.get(stage, stage), total=total)
            bars.update(tasks[stage], completed=done, total=total)

        yield report
