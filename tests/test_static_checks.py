"""Type and lint checks run with the tests, so CI cannot pass on code that fails them.

``mypy --strict`` (configured in pyproject.toml) covers every package of the product; ruff covers the whole
repository. Both come with the ``dev`` extra, which ``scripts/test`` installs.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["tsunagu", "knowledge", "retrieval", "eval", "bot", "handoff", "analytics", "editor"]


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
