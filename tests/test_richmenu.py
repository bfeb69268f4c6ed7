"""The rich menu: its definition (checked against LINE's OpenAPI file and limits), its image, and its deploy
against the fake Messaging API served as LINE's two hosts (api.line.me and api-data.line.me) on two ports."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops

from bot.line import richmenu_image
from bot.line.emulator.fake_api import FakeLineApi
from bot.line.emulator.fake_richmenu import menu_problems
from bot.line.richmenu import HEIGHT, ITEMS, MENU_NAME, WIDTH, area_box, rich_menu_request
from bot.line.richmenu_deploy import RichMenuDeployError, deploy_to
from bot.line.richmenu_image import CONTENT_TYPE, MAX_BYTES, FontNotFoundError, japanese_font_path, render_menu_image
from bot.menu_actions import MenuAction, menu_data, parse_menu_data
from tests.utils.openapi import _spec
from tests.utils.openapi import errors as spec_errors
from tests.utils.servers import free_port, serve

SPEC = "messaging-api.yml"
TOKEN = "test-channel-access-token"


@cache
def menu_png() -> bytes:
    return render_menu_image()


def menu_json() -> dict[str, Any]:
    return rich_menu_request().to_dict()


# --- definition -------------------------------------------------------------------------------------------------

def test_menu_has_the_six_areas_with_their_postbacks() -> None:
    areas = menu_json()["areas"]
    labels = [a["action"]["label"] for a in areas]
    assert labels == ["子育て", "手続き", "観光", "職員に相談", "緊急のとき", "使い方"]
    actions = [parse_menu_data(a["action"]["data"]) for a in areas]
    assert actions == [MenuAction.CHILDCARE, MenuAction.PROCEDURES, MenuAction.TOURISM,
                       MenuAction.STAFF, MenuAction.EMERGENCY, MenuAction.HELP]
    assert {a["action"]["type"] for a in areas} == {"postback"}
    assert all(a["action"]["displayText"] for a in areas)
    assert areas[0]["action"]["data"] == menu_data(MenuAction.CHILDCARE)


def test_areas_tile_the_image_without_overlap() -> None:
    boxes = [area_box(i) for i in range(len(ITEMS))]
    assert all(b.x >= 0 and b.y >= 0 and b.x + b.width <= WIDTH and b.y + b.height <= HEIGHT for b in boxes)
    assert sum(b.width * b.height for b in boxes) == WIDTH * HEIGHT  # no gap, and (with the bounds) no overlap
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y or b.y + b.height <= a.y


def test_menu_is_valid_for_lines_spec_and_limits() -> None:
    menu = menu_json()
    assert spec_errors(SPEC, "RichMenuRequest", menu) == []
    assert menu_problems(menu) == []  # size 800-2500 wide, ratio ≥ 1.45, ≤ 20 areas, chatBarText ≤ 14
    assert menu["name"] == MENU_NAME and menu["chatBarText"] == "メニュー"
    for area in menu["areas"]:
        action = area["action"]
        assert len(action["label"]) <= 20 and len(action["data"]) <= 300 and len(action["displayText"]) <= 300


def test_the_limit_checks_can_fail() -> None:
    menu = menu_json()
    menu["size"] = {"width": 2500, "height": 2500}
    menu["areas"][0]["bounds"]["x"] = 2400
    menu["chatBarText"] = "とても長いチャットバーのテキストです"
    assert {p["property"] for p in menu_problems(menu)} == {"size", "areas[0].bounds", "chatBarText"}
    menu["areas"][0]["action"]["type"] = "unknown"
    assert spec_errors(SPEC, "RichMenuRequest", menu) != []


# --- image ------------------------------------------------------------------------------------------------------

def test_image_is_a_png_of_the_menu_size_under_lines_limit() -> None:
    data = menu_png()
    assert len(data) < MAX_BYTES == 1_000_000
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and CONTENT_TYPE == "image/png"
        assert image.size == (WIDTH, HEIGHT)


def test_every_area_of_the_image_is_drawn_in_its_colour_with_a_white_label() -> None:
    with Image.open(io.BytesIO(menu_png())) as image:
        rgb = image.convert("RGB")
    for index, item in enumerate(ITEMS):
        box = area_box(index)
        tile = rgb.crop((box.x, box.y, box.x + box.width, box.y + box.height))
        colours = {colour for _, colour in tile.getcolors(maxcolors=box.width * box.height) or []}
        card = tuple(int(item.color[i:i + 2], 16) for i in (1, 3, 5))
        assert card in colours, item.label  # the card's own colour, not blank or another card's
        label_band = tile.crop((0, int(box.height * 0.65), box.width, int(box.height * 0.9)))
        band_colours = label_band.getcolors(maxcolors=label_band.width * label_band.height) or []
        whites = sum(count for count, pixel in band_colours if min(pixel) > 240)
        assert whites > 2000, item.label  # the label's glyphs are there (white on the card)


def test_missing_japanese_font_names_the_packages_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_jp_bold", None)  # the package is not installed
    monkeypatch.setattr(richmenu_image.shutil, "which", lambda name: None)  # nor fontconfig
    japanese_font_path.cache_clear()
    try:
        with pytest.raises(FontNotFoundError, match="noto-cjk-sans-jp-bold.*fonts-ipafont-gothic"):
            render_menu_image()
    finally:
        japanese_font_path.cache_clear()


def test_the_readme_image_is_the_current_rendering() -> None:
    """docs/richmenu.png (shown in the README) must be redrawn with `tsunagu richmenu preview` after a change."""
    docs_png = Path(__file__).resolve().parent.parent / "docs" / "richmenu.png"
    with Image.open(docs_png) as committed, Image.open(io.BytesIO(menu_png())) as current:
        assert committed.size == current.size
        difference = ImageChops.difference(committed.convert("RGB"), current.convert("RGB")).convert("L")
        changed = sum(difference.histogram()[97:])  # pixels that differ clearly, not by anti-aliasing shades
        assert changed < WIDTH * HEIGHT // 2000, "run: tsunagu richmenu preview docs/richmenu.png"


def _luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(hex_colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_white_labels_have_high_contrast_on_every_card() -> None:
    for item in ITEMS:
        contrast = (1.05) / (_luminance(item.color) + 0.05)
        assert contrast >= 4.5, (item.label, contrast)  # WCAG AA for text


# --- deploy -----------------------------------------------------------------------------------------------------

@pytest.fixture
def line_hosts() -> Iterator[tuple[FakeLineApi, str, str]]:
    """The fake as LINE's API host and data host on two ports (an upload to the API host would get 404)."""
    fake = FakeLineApi()
    with serve(fake.api_app()) as api_url, serve(fake.data_app()) as data_url:
        yield fake, api_url, data_url


def deploy(api_url: str, data_url: str, token: str = TOKEN, image: bytes | None = None) -> Any:
    return asyncio.run(deploy_to(api_url, data_url, token, image or menu_png(), CONTENT_TYPE))


def assert_calls_match_spec(fake: FakeLineApi) -> None:
    """Each request is an operation of LINE's spec, sent to the host the spec names, with a valid body."""
    paths = _spec(SPEC)["paths"]
    for call in fake.richmenus.calls:
        operation = paths[call.path][call.method.lower()]
        servers = operation.get("servers") or _spec(SPEC)["servers"]
        expected_host = "data" if servers[0]["url"] == "https://api-data.line.me" else "api"
        assert call.host == expected_host, (call.operation, call.host)
        schema = (operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema"))
        if schema is not None:
            assert spec_errors(SPEC, schema["$ref"].rsplit("/", 1)[1], call.body) == []
        if call.operation == "upload":
            assert call.content_type == CONTENT_TYPE


def test_deploy_creates_uploads_and_sets_the_default(line_hosts: tuple[FakeLineApi, str, str]) -> None:
    fake, api_url, data_url = line_hosts
    result = deploy(api_url, data_url)
    ops = [(c.host, c.operation) for c in fake.richmenus.calls]
    assert ops == [("api", "create"), ("data", "upload"), ("api", "set_default"), ("api", "list")]
    assert_calls_match_spec(fake)
    assert fake.richmenus.default_id == result.rich_menu_id and result.removed == ()
    stored = fake.richmenus.menus[result.rich_menu_id]
    assert stored.image == menu_png() and stored.menu["areas"] == menu_json()["areas"]
    default = httpx.get(f"{api_url}/v2/bot/user/all/richmenu", headers={"Authorization": f"Bearer {TOKEN}"})
    assert default.json() == {"richMenuId": result.rich_menu_id}


def test_redeploy_removes_only_our_earlier_menu(line_hosts: tuple[FakeLineApi, str, str]) -> None:
    fake, api_url, data_url = line_hosts
    other = dict(menu_json(), name="made-in-official-account-manager")
    created = httpx.post(f"{api_url}/v2/bot/richmenu", json=other, headers={"Authorization": f"Bearer {TOKEN}"})
    other_id = created.json()["richMenuId"]
    first = deploy(api_url, data_url)
    second = deploy(api_url, data_url)
    assert second.removed == (first.rich_menu_id,)
    assert set(fake.richmenus.menus) == {other_id, second.rich_menu_id}
    assert fake.richmenus.default_id == second.rich_menu_id
    assert [c.operation for c in fake.richmenus.calls][-2:] == ["list", "delete"]
    assert_calls_match_spec(fake)


def test_refused_token_is_reported_with_lines_status(line_hosts: tuple[FakeLineApi, str, str]) -> None:
    _, api_url, data_url = line_hosts
    with pytest.raises(RichMenuDeployError) as caught:
        deploy(api_url, data_url, token=" ")
    assert caught.value.status == 401 and caught.value.step == "create rich menu"
    assert "Authentication failed" in str(caught.value) and "HTTP 401" in str(caught.value)


def test_refused_image_is_reported_and_the_half_made_menu_removed(line_hosts: tuple[FakeLineApi, str, str]) -> None:
    fake, api_url, data_url = line_hosts
    small = io.BytesIO()
    Image.new("RGB", (800, 540), "white").save(small, format="PNG")
    with pytest.raises(RichMenuDeployError) as caught:
        deploy(api_url, data_url, image=small.getvalue())
    assert (caught.value.step, caught.value.status) == ("upload image", 400)
    assert "must match the rich menu size" in caught.value.detail
    assert fake.richmenus.menus == {} and fake.richmenus.default_id is None


def test_image_sent_to_the_api_host_fails_as_on_line(line_hosts: tuple[FakeLineApi, str, str]) -> None:
    _, api_url, _ = line_hosts
    with pytest.raises(RichMenuDeployError) as caught:
        deploy(api_url, api_url)
    assert (caught.value.step, caught.value.status) == ("upload image", 404)


def test_unreachable_line_is_reported_without_a_status() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RichMenuDeployError) as caught:
        deploy(closed, closed)
    assert caught.value.status is None and caught.value.step == "create rich menu"
