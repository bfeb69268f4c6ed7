"""Where the repository is, for the measurements that read or write beside it (``data/``, ``git show``)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
