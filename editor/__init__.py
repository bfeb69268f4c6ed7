"""The FAQ editor's console pages (issue 11): the editor's home, the FAQ list and edit form with a live LINE
preview and warnings, and turning FAQ案 into entries.

Every save is a pending change (``knowledge.changes``); citizens keep getting the published answers until an
editor publishes on ``/staff/publish``. The pages extend the console's ``base.html``: the app adds
``TEMPLATES_DIR`` to the console's template folders.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
