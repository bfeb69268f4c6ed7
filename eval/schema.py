"""The schema step of an eval run on its own (``python -m eval.train_routing``, ``python -m eval.fusion_ablation``).

Migrations belong to the composition root (``tsunagu db upgrade``), which eval/ does not import: under the CLI the
caller passes ``tsunagu.db.migrate``; run on its own, a module asks the CLI in a child process, as an operator
would before a deploy.
"""

from __future__ import annotations

import os
import subprocess
import sys

UPGRADE = (sys.executable, "-m", "tsunagu.cli", "db", "upgrade")


def upgrade_with_cli(database_url: str) -> None:
    """Bring the database at ``database_url`` to the newest schema with ``tsunagu db upgrade`` (a ``Migrate``);
    its report is not printed (the module's own output is JSON), its error is raised. Run from the working
    directory of this process, so that a relative SQLite path names the same file."""
    environ = {**os.environ, "TSUNAGU_DATABASE_URL": database_url}
    done = subprocess.run(UPGRADE, env=environ, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"tsunagu db upgrade failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
