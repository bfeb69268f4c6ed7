"""``tsunagu richmenu preview`` and ``tsunagu richmenu deploy`` (against the fake Messaging API's two hosts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.line.emulator.fake_api import FakeLineApi
from bot.line.richmenu import HEIGHT, MENU_NAME, WIDTH
from tests.utils.servers import serve
from tsunagu.cli import app

runner = CliRunner()


@pytest.fixture
def line_hosts(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeLineApi, str]]:
    fake = FakeLineApi()
    with serve(fake.api_app()) as api_url, serve(fake.data_app()) as data_url:
        monkeypatch.setenv("LINE_API_BASE", api_url)
        monkeypatch.setenv("LINE_API_DATA_BASE", data_url)
        yield fake, api_url


def test_preview_writes_the_png_without_calling_line(tmp_path: Path) -> None:
    out = tmp_path / "menu" / "richmenu.png"
    result = runner.invoke(app, ["richmenu", "preview", str(out)])
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert (image.format, image.size) == ("PNG", (WIDTH, HEIGHT))


def test_deploy_without_a_token_fails_clearly(line_hosts: tuple[FakeLineApi, str]) -> None:
    fake, _ = line_hosts
    result = runner.invoke(app, ["richmenu", "deploy"])
    assert result.exit_code == 1
    assert "LINE_CHANNEL_ACCESS_TOKEN が設定されていません" in result.output
    assert fake.richmenus.calls == []


def test_deploy_twice_leaves_one_default_menu(line_hosts: tuple[FakeLineApi, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    fake, _ = line_hosts
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "token")
    first = runner.invoke(app, ["richmenu", "deploy"])
    second = runner.invoke(app, ["richmenu", "deploy"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "rich menu deployed" in second.output and "1 earlier removed" in second.output
    assert [m.menu["name"] for m in fake.richmenus.menus.values()] == [MENU_NAME]
    assert fake.richmenus.default_id in fake.richmenus.menus
    assert fake.richmenus.default_id in second.output


def test_deploy_reports_lines_http_error_with_its_status(line_hosts: tuple[FakeLineApi, str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fake, api_url = line_hosts
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "token")
    monkeypatch.setenv("LINE_API_DATA_BASE", api_url)  # a misconfigured data host: LINE answers 404 there
    result = runner.invoke(app, ["richmenu", "deploy"])
    assert result.exit_code == 1
    assert "LINE refused the rich menu: upload image: HTTP 404" in result.output
    assert fake.richmenus.default_id is None
