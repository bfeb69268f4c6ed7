"""The rich menu's postback data: shared by every user, so unsigned, and limited to harmless actions.

A rich menu is one image for all followers, so its buttons cannot carry a per-user signature the way quick-reply
postbacks do (``bot/postback.py``). Its data is therefore a fixed public string, and each action may only do what
the user could also get by typing: show a category, explain how to reach staff, show emergency numbers or help.
The emergency menu's own choices (quick-reply buttons) are menu actions for the same reason.
"""

from __future__ import annotations

from enum import StrEnum

PREFIX = "menu:"


class MenuAction(StrEnum):
    CHILDCARE = "childcare"  # same slugs as the pack's categories
    PROCEDURES = "procedures"
    TOURISM = "tourism"
    STAFF = "staff"  # 職員に相談
    EMERGENCY = "emergency"  # 緊急のとき: 119 and a choice of the five below
    EMERGENCY_ILLNESS = "emergency-illness"  # 子どもの急病・けが
    EMERGENCY_POISONING = "emergency-poisoning"  # 誤飲
    EMERGENCY_MIND = "emergency-mind"  # こころがつらい
    EMERGENCY_VIOLENCE = "emergency-violence"  # 暴力・虐待
    EMERGENCY_DISASTER = "emergency-disaster"  # 災害
    HELP = "help"  # 使い方

    @property
    def is_emergency(self) -> bool:
        """The emergency menu or one of its choices (``bot.emergency_menu``)."""
        return self.value.startswith(MenuAction.EMERGENCY.value)


CATEGORY_ACTIONS = (MenuAction.CHILDCARE, MenuAction.PROCEDURES, MenuAction.TOURISM)


def menu_data(action: MenuAction) -> str:
    """The postback data a rich-menu area sends for ``action``."""
    return PREFIX + action.value


def parse_menu_data(data: str) -> MenuAction | None:
    """The action of a rich-menu postback, or None when ``data`` is not one."""
    if not data.startswith(PREFIX):
        return None
    try:
        return MenuAction(data.removeprefix(PREFIX))
    except ValueError:
        return None
