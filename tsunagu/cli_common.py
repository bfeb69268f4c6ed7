"""What every ``tsunagu`` command prints the same way: errors in Japanese on stderr, JSON on stdout."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NoReturn

import typer


def fail(message: str) -> NoReturn:
    typer.echo(f"エラー: {message}", err=True)
    raise typer.Exit(1)


def fail_with_errors(errors: Sequence[object], outcome: str) -> NoReturn:
    """Print every error on stderr, then fail with their count and what was (not) done."""
    for error in errors:
        typer.echo(str(error), err=True)
    fail(f"{len(errors)} 件の誤りがあるため、{outcome}")


def echo_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
