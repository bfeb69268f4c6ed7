"""The rich menu's 「緊急のとき」: first 119 and a choice of five topics, then one topic's own guidance.

Tapping the menu used to send every guidance text at once, the suicide-prevention text included, to everyone who
tapped it. Now the first reply names 119 (so nobody in danger has to choose first) and offers the topics as
quick-reply buttons; each button is a menu action too (unsigned, like the rich menu: it only shows a fixed text),
and shows that topic's guidance alone.
"""

from __future__ import annotations

from bot.emergency import GUIDANCE, MENU_INTRO, MENU_LABELS, Emergency
from bot.menu_actions import MenuAction, menu_data
from bot.replies import PostbackChoice, Say, say

# The choices, in the order they are offered.
EMERGENCY_CHOICES: dict[MenuAction, Emergency] = {
    MenuAction.EMERGENCY_ILLNESS: Emergency.ILLNESS,
    MenuAction.EMERGENCY_POISONING: Emergency.POISONING,
    MenuAction.EMERGENCY_MIND: Emergency.SUICIDE,
    MenuAction.EMERGENCY_VIOLENCE: Emergency.ABUSE,
    MenuAction.EMERGENCY_DISASTER: Emergency.DISASTER,
}


def emergency_menu(action: MenuAction = MenuAction.EMERGENCY) -> list[Say]:
    """The reply to the emergency menu (``MenuAction.EMERGENCY``) or to one of its choices."""
    topic = EMERGENCY_CHOICES.get(action)
    if topic is not None:
        return say(GUIDANCE[topic])
    choices = [PostbackChoice(MENU_LABELS[kind], menu_data(choice), MENU_LABELS[kind])
               for choice, kind in EMERGENCY_CHOICES.items()]
    return say(MENU_INTRO, choices)
