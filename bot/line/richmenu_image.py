"""Draw the rich menu image with Pillow: one coloured card per area with a white symbol and a Japanese label.

The font is Noto Sans CJK JP Bold from the ``noto-cjk-sans-jp-bold`` package (a dependency), so the image is the
same on every machine; without it a system Japanese font found by fontconfig is used. Shapes are drawn at twice
the size and scaled down, which smooths their edges. The PNG stays far below LINE's 1 MB limit.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.line.richmenu import HEIGHT, ITEMS, WIDTH, Box, MenuItem, area_box

SUPERSAMPLE = 2
GAP = 12  # white space around each card, in final pixels
RADIUS = 40
LABEL_SIZE = 132
TEXT_COLOR = "#FFFFFF"
BACKGROUND = "#FFFFFF"
MAX_BYTES = 1_000_000  # LINE's limit for a rich menu image
CONTENT_TYPE = "image/png"


class FontNotFoundError(RuntimeError):
    """No Japanese font: the message says how to install one."""


@cache
def japanese_font_path() -> Path:
    """The packaged Noto Sans CJK JP Bold, else fontconfig's best Japanese font."""
    try:
        import noto_cjk_sans_jp_bold

        return Path(str(noto_cjk_sans_jp_bold.FONT_PATH))
    except ImportError:
        pass
    found = _fontconfig_japanese_font()
    if found is None:
        raise FontNotFoundError(
            "日本語フォントが見つかりません / no Japanese font found: install the Python package "
            "noto-cjk-sans-jp-bold (a Tsunagu dependency) or the Debian package fonts-ipafont-gothic"
        )
    return found


def _fontconfig_japanese_font() -> Path | None:
    if not shutil.which("fc-match"):
        return None
    result = subprocess.run(["fc-match", "-f", "%{file}", ":lang=ja"], capture_output=True, text=True, check=False)
    path = Path(result.stdout.strip()) if result.returncode == 0 and result.stdout.strip() else None
    return path if path is not None and path.is_file() else None


def render_menu_image() -> bytes:
    """The rich menu as PNG bytes, ``WIDTH`` × ``HEIGHT``, areas exactly where ``bot.richmenu`` puts them."""
    s = SUPERSAMPLE
    image = Image.new("RGB", (WIDTH * s, HEIGHT * s), BACKGROUND)
    draw = ImageDraw.Draw(image)
    label_font = ImageFont.truetype(str(japanese_font_path()), LABEL_SIZE * s)
    for index, item in enumerate(ITEMS):
        _draw_card(draw, item, area_box(index), label_font)
    image = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _draw_card(draw: ImageDraw.ImageDraw, item: MenuItem, box: Box, font: ImageFont.FreeTypeFont) -> None:
    s = SUPERSAMPLE
    left, top = (box.x + GAP) * s, (box.y + GAP) * s
    right, bottom = (box.x + box.width - GAP) * s, (box.y + box.height - GAP) * s
    draw.rounded_rectangle((left, top, right, bottom), radius=RADIUS * s, fill=item.color)
    cx, height = (left + right) / 2, bottom - top
    ICONS[item.icon](draw, cx, top + height * 0.38, 1.0 * s, item.color)
    draw.text((cx, top + height * 0.78), item.label, font=font, fill=TEXT_COLOR, anchor="mm")


# Symbols: white shapes around (cx, cy), about 340 × 320 units, details cut out in the card colour.
Icon = Callable[[ImageDraw.ImageDraw, float, float, float, str], None]


def _family(d: ImageDraw.ImageDraw, cx: float, cy: float, k: float, color: str) -> None:
    d.ellipse((cx - 120 * k, cy - 160 * k, cx - 20 * k, cy - 60 * k), fill="white")
    d.rounded_rectangle((cx - 160 * k, cy - 40 * k, cx + 20 * k, cy + 160 * k), radius=70 * k, fill="white")
    d.ellipse((cx + 50 * k, cy - 10 * k, cx + 130 * k, cy + 70 * k), fill="white")
    d.rounded_rectangle((cx + 30 * k, cy + 85 * k, cx + 150 * k, cy + 160 * k), radius=36 * k, fill="white")


def _document(d: ImageDraw.ImageDraw, cx: float, cy: float, k: float, color: str) -> None:
    left, top, right, bottom, fold = cx - 120 * k, cy - 160 * k, cx + 120 * k, cy + 160 * k, 70 * k
    d.polygon([(left, top), (right - fold, top), (right, top + fold), (right, bottom), (left, bottom)], fill="white")
    d.polygon([(right - fold, top), (right - fold, top + fold), (right, top + fold)], fill=color)
    for i in range(4):
        y = cy - 50 * k + i * 55 * k
        d.rounded_rectangle((left + 40 * k, y, right - (40 if i < 3 else 100) * k, y + 18 * k), radius=9 * k,
                            fill=color)


def _mountain(d: ImageDraw.ImageDraw, cx: float, cy: float, k: float, color: str) -> None:
    d.ellipse((cx + 70 * k, cy - 160 * k, cx + 150 * k, cy - 80 * k), fill="white")
    base = cy + 140 * k
    d.polygon([(cx - 180 * k, base), (cx - 40 * k, cy - 110 * k), (cx + 40 * k, cy + 10 * k),
               (cx + 90 * k, cy - 50 * k), (cx + 180 * k, base)], fill="white")
    # a snow line across the higher peak, cut out in the card colour
    d.line([(cx - 92 * k, cy - 18 * k), (cx - 66 * k, cy - 40 * k), (cx - 40 * k, cy - 18 * k),
            (cx - 14 * k, cy - 40 * k), (cx + 8 * k, cy - 22 * k)], fill=color, width=int(14 * k), joint="curve")


def _chat(d: ImageDraw.ImageDraw, cx: float, cy: float, k: float, color: str) -> None:
    d.rounded_rectangle((cx - 170 * k, cy - 140 * k, cx + 170 * k, cy + 80 * k), radius=70 * k, fill="white")
    d.polygon([(cx - 90 * k, cy + 60 * k), (cx - 120 * k, cy + 160 * k), (cx - 10 * k, cy + 70 * k)], fill="white")
    for dx in (-85, 0, 85):
        d.ellipse((cx + (dx - 24) * k, cy - 54 * k, cx + (dx + 24) * k, cy - 6 * k), fill=color)


def _warning(d: ImageDraw.ImageDraw, cx: float, cy: float, k: float, color: str) -> None:
    d.polygon([(cx, cy - 165 * k), (cx - 185 * k, cy + 150 * k), (cx + 185 * k, cy + 150 * k)], fill="white")
    d.rounded_rectangle((cx - 18 * k, cy - 60 * k, cx + 18 * k, cy + 60 * k), radius=18 * k, fill=color)
    d.ellipse((cx - 22 * k, cy + 82 * k, cx + 22 * k, cy + 126 * k), fill=color)


def _question(d: ImageDraw.ImageDraw, cx: float, cy: float, k: float, color: str) -> None:
    d.ellipse((cx - 160 * k, cy - 160 * k, cx + 160 * k, cy + 160 * k), fill="white")
    font = ImageFont.truetype(str(japanese_font_path()), int(270 * k))
    d.text((cx, cy), "?", font=font, fill=color, anchor="mm")


ICONS: dict[str, Icon] = {
    "family": _family, "document": _document, "mountain": _mountain,
    "chat": _chat, "warning": _warning, "question": _question,
}
