"""Signed postback data: a button can only act for the LINE user it was sent to.

Format ``v1|<action>|<argument>|<signature>``; the signature is an HMAC-SHA256 of the user id, action and
argument under a key derived from the channel secret, so a forged or replayed-to-another-user postback fails.
A button that must expire (the 「データ削除」 confirmation) carries its signing time as the argument
(``timestamp_argument``); ``is_fresh`` tells whether it is still young enough to act on.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from bot.replies import MAX_CHOICE_DATA_CHARS
from core.numbers import is_ascii_number

VERSION = "v1"
ACTIONS = ("choose", "browse", "more", "feedback", "handoff", "cancel", "category", "rephrase", "delete_data")
SIGNATURE_CHARS = 22  # 132 bits of the HMAC, base64url


@dataclass(frozen=True)
class Postback:
    action: str
    argument: str


class PostbackSigner:
    """Signs and verifies postback data for one channel.

    Args:
        channel_secret: the LINE channel secret; a separate key is derived from it for postbacks.
    """

    def __init__(self, channel_secret: str) -> None:
        self._key = hmac.new(channel_secret.encode(), b"tsunagu-postback-v1", hashlib.sha256).digest()

    def _signature(self, user_id: str, action: str, argument: str) -> str:
        mac = hmac.new(self._key, f"{user_id}\x00{action}\x00{argument}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode()[:SIGNATURE_CHARS]

    def sign(self, user_id: str, action: str, argument: str = "") -> str:
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}")
        if "|" in argument:
            raise ValueError("the argument must not contain '|'")
        data = f"{VERSION}|{action}|{argument}|{self._signature(user_id, action, argument)}"
        if len(data) > MAX_CHOICE_DATA_CHARS:
            raise ValueError("postback data would exceed LINE's 300 characters")
        return data

    def verify(self, user_id: str, data: str) -> Postback | None:
        """The postback if ``data`` was signed for ``user_id``; None for anything else."""
        parts = data.split("|")
        if len(parts) != 4 or parts[0] != VERSION or parts[1] not in ACTIONS:
            return None
        _, action, argument, signature = parts
        if not hmac.compare_digest(signature, self._signature(user_id, action, argument)):
            return None
        return Postback(action, argument)


def timestamp_argument(now: dt.datetime) -> str:
    """``now`` as whole seconds since the epoch, for a button that expires."""
    return str(int(now.timestamp()))


def is_fresh(argument: str, now: dt.datetime, max_age: dt.timedelta) -> bool:
    """Whether a ``timestamp_argument`` is at most ``max_age`` old (and not from the future) at ``now``."""
    if not is_ascii_number(argument):
        return False
    age = now.timestamp() - int(argument)
    return -60 <= age <= max_age.total_seconds()  # a minute of clock skew between workers is tolerated
