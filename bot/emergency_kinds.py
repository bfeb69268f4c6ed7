"""The kinds of emergency the bot recognises or offers guidance for, most urgent first.

Kept apart from ``bot.emergency`` (guidance and the public check) so that the detector's rules
(``bot.emergency_rules``) can name the kinds without importing the texts.
"""

from __future__ import annotations

from enum import StrEnum


class Emergency(StrEnum):
    """An emergency; the order is the order of urgency (and of the guidance texts)."""

    LIFE = "life"  # not breathing, unconscious, limp, seizures, head injury with vomiting, drowning, choking
    POISONING = "poisoning"  # swallowed a substance, medicine or small object
    ABUSE = "abuse"  # violence at home, child abuse, neglect
    SUICIDE = "suicide"  # suicidal thoughts
    ILLNESS = "illness"  # a sick or injured child (offered by the emergency menu; not detected)
    DISASTER = "disaster"  # earthquake, flood, fire (offered by the emergency menu; not detected)


DETECTED = (Emergency.LIFE, Emergency.POISONING, Emergency.ABUSE, Emergency.SUICIDE)
