"""Does a message ask several things? Then the bot asks, with its choices, to send one question at a time.

「保育園の申し込みいつから？見学もしたいです」 is searched as one text: the best entry fits its strongest part and
the rest is lost. Answering each sentence on its own was tried and dropped (eval/reports/latest.md §7: short parts
such as 「お弁当？」 lose their subject and got wrong entries). What works without guessing: when the bot is not
sure (it offers choices) and the message has a question mark followed by more text, the choices' text adds one
sentence asking the citizen to send one question at a time. A confident answer gets no such note: most messages
of that shape are one question with context (「…ですか？教えてください」), and the related entries under every
answer already cover many second questions.
"""

from __future__ import annotations

import re

# A question mark with more words after it (not only closing punctuation or emoji).
_QUESTION_THEN_MORE = re.compile(r"[？?][\s　]*[\w\u3040-\u30ff\u4e00-\u9fff]")


def asks_several(text: str) -> bool:
    """True when ``text`` has a question mark followed by further words."""
    return bool(_QUESTION_THEN_MORE.search(text))
