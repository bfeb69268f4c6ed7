"""Type and lint checks run with the tests, so CI cannot pass on code that fails them.

``mypy --strict`` (configured in pyproject.toml) covers every package of the product; ruff covers the whole
repository; ``lint-imports`` checks the architecture contracts of ``[tool.importlinter]`` in pyproject.toml (no
production package imports ``eval``). All come with the ``dev`` extra, which ``scripts/test`` installs.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["core", "tsunagu", "knowledge", "retrieval", "eval", "bot", "console", "handoff", "analytics", "editor"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_every_package_is_listed() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(PACKAGES), "a new package must be added to PACKAGES (and so to mypy)"


def test_mypy_strict_passes_on_every_package() -> None:
    result = run("mypy", *PACKAGES)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_ruff_passes() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_import_contracts_are_kept() -> None:
    """``lint-imports`` (import-linter) run by this interpreter, so it checks the code under test."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
         "sys.exit(lint_imports_command())"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "No production package imports eval KEPT" in result.stdout
