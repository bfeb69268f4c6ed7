"""What the citizen chose for their question (an entry or a category), remembered on the LINE user.

A hand-off of that same question is routed to the team of the chosen topic (``handoff.routing``: the choice is
its strongest evidence). The choice is tied to the question by a short digest, so it counts only for that
question and keeps no citizen text.
"""

from __future__ import annotations

import hashlib

from bot.models import LineUser

CHOICE_KEY_CHARS = 16  # LineUser.last_choice_for
MAX_CATEGORY_CHARS = 40  # LineUser.last_category
MAX_ENTRY_CHARS = 120  # LineUser.last_entry (an entry id is at most 120 characters, knowledge.schema)


def choice_key(question: str | None) -> str | None:
    """A short digest of the question a choice was made for (the choice counts only for that question; the
    digest keeps no citizen text)."""
    if not question:
        return None
    return hashlib.sha256(question.encode()).hexdigest()[:CHOICE_KEY_CHARS]


def remember_choice(user: LineUser, *, category: str | None, faq_id: str | None = None) -> None:
    """The citizen tapped an entry or a category while ``user.last_question`` was their question."""
    user.last_category = category[:MAX_CATEGORY_CHARS] if category else None
    user.last_entry = faq_id[:MAX_ENTRY_CHARS] if faq_id else None
    user.last_choice_for = choice_key(user.last_question)


def chosen_for(user: LineUser, question: str) -> tuple[str | None, str | None]:
    """(entry, category) the citizen chose for ``question``; (None, None) when the choice was for another one."""
    if user.last_choice_for is None or user.last_choice_for != choice_key(question):
        return None, None
    return user.last_entry, user.last_category
