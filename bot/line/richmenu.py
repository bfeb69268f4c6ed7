"""The LINE rich menu: six tappable areas (2 rows × 3) under the chat, each sending a fixed postback.

The data of every area comes from ``bot.menu_actions.menu_data`` (public, unsigned strings: a rich menu is one
image for all followers); ``bot/conversation.py`` decides what the bot answers. The image is drawn by
``bot.richmenu_image`` from the same items, and ``bot.richmenu_deploy`` sends both to LINE.
"""

from __future__ import annotations

from dataclasses import dataclass

from linebot.v3.messaging import PostbackAction, RichMenuArea, RichMenuBounds, RichMenuRequest, RichMenuSize

from bot.menu_actions import MenuAction, menu_data

# Deploy replaces (deletes) earlier menus with exactly this name only, so menus made by other tools stay.
MENU_NAME = "tsunagu-main-menu"
CHAT_BAR_TEXT = "メニュー"
WIDTH, HEIGHT = 2500, 1686  # LINE's large template size (1 MB image limit, width 800-2500, ratio ≥ 1.45)
ROWS, COLUMNS = 2, 3


@dataclass(frozen=True)
class MenuItem:
    """One area: what it sends, what it shows and how the image draws it."""

    action: MenuAction
    label: str  # drawn on the image; also the action's label (≤ 20 characters)
    display_text: str  # shown in the chat as the user's message when tapped
    icon: str  # symbol name drawn by bot.richmenu_image
    color: str  # tile background; white text on it must stay high-contrast


ITEMS: tuple[MenuItem, ...] = (
    MenuItem(MenuAction.CHILDCARE, "子育て", "子育てについて知りたい", "family", "#B0155B"),
    MenuItem(MenuAction.PROCEDURES, "手続き", "手続きについて知りたい", "document", "#1558B0"),
    MenuItem(MenuAction.TOURISM, "観光", "観光について知りたい", "mountain", "#1E6B34"),
    MenuItem(MenuAction.STAFF, "職員に相談", "職員に相談したい", "chat", "#6A3D9A"),
    MenuItem(MenuAction.EMERGENCY, "緊急のとき", "緊急のとき", "warning", "#B3261E"),
    MenuItem(MenuAction.HELP, "使い方", "使い方を教えて", "question", "#37474F"),
)


@dataclass(frozen=True)
class Box:
    """A rectangle in image pixels (the same numbers as LINE's bounds object)."""

    x: int
    y: int
    width: int
    height: int


def area_box(index: int) -> Box:
    """The area of item ``index`` (row-major); the last column and row absorb the rounding remainder."""
    row, column = divmod(index, COLUMNS)
    x0, x1 = WIDTH * column // COLUMNS, WIDTH * (column + 1) // COLUMNS
    y0, y1 = HEIGHT * row // ROWS, HEIGHT * (row + 1) // ROWS
    return Box(x0, y0, x1 - x0, y1 - y0)


def rich_menu_request() -> RichMenuRequest:
    """The rich menu object sent to ``POST /v2/bot/richmenu`` (the image is uploaded separately)."""
    areas = [
        RichMenuArea(
            bounds=RichMenuBounds(**vars(area_box(i))),
            action=PostbackAction(label=item.label, data=menu_data(item.action), displayText=item.display_text),
        )
        for i, item in enumerate(ITEMS)
    ]
    return RichMenuRequest(
        size=RichMenuSize(width=WIDTH, height=HEIGHT),
        selected=True,  # shown open when the chat opens, as the city's main navigation
        name=MENU_NAME,
        chatBarText=CHAT_BAR_TEXT,
        areas=areas,
    )
