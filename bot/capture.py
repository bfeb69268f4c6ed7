"""What the bot records for the improvement loop (issue 11): counts for analytics, unanswered questions for editors.

The dispatcher calls these while it handles an event, in that event's transaction: a retried event whose
transaction rolled back left nothing, and a handled event is never handled again, so no row is lost or doubled.

- Every searched question: an ``Interaction`` (kind ``question``) with the decision and, for an answer, its
  entry. A list of suggestions is also an ``UnansweredQuestion`` (``suggest_not_chosen``): tapping one of them
  marks it ``chosen`` (it was answered after all), 「どれも違う」 makes it ``none_of_these``.
- A question the bot could not answer: the offer of staff is an ``Interaction`` (``staff_offered``) and an
  ``UnansweredQuestion`` (``no_answer``), so editors see the gap whether or not the citizen taps; the scope reply
  is an ``Interaction`` (``scope_reply``) only (the message is no city matter).
- 👍/👎 on an answer: an ``Interaction`` (``feedback``); 👎 also an ``UnansweredQuestion`` with the question
  that got the answer (``LineUser.last_question``).
- 「いいえ」 to the staff offer: ``handoff_declined`` in both tables (the question's ``no_answer`` row becomes
  it); a question sent to staff: ``handoff_sent``.
- Group chats: count-only rows without a LINE user id; nothing of a group member is kept.

Texts go into ``knowledge_unanswered`` only, masked there (``knowledge.unanswered.record_unanswered``).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.answers import parse_feedback
from bot.conversation import STAFF_OFFERING, Reply, ReplyKind
from bot.interactions import record_interaction
from bot.models import LineUser
from knowledge.pii import mask_personal_data
from knowledge.unanswered import MAX_TEXT, open_of_user, record_unanswered
from retrieval.decision import Decision, DecisionKind
from retrieval.normalize import is_latin_script

MAX_CANDIDATES = 10
SUGGESTED = "suggest_not_chosen"
NO_ANSWER = "no_answer"


def language_of(text: str | None) -> str | None:
    """``en`` for a question typed in Latin script (the bot answers it in English), else ``ja``."""
    if text is None:
        return None
    return "en" if is_latin_script(text) else "ja"


def candidate_ids(decision: Decision) -> list[str]:
    """The entries the decision offered or considered, best first: the suggestions shown, then the rest."""
    ids = [c.faq_id for c in decision.suggestions] + [c.faq_id for c in decision.candidates]
    return list(dict.fromkeys(ids))[:MAX_CANDIDATES]


def question(session: Session, *, user_id: str | None, at: dt.datetime, text: str, decision: Decision) -> None:
    """A question the bot searched; ``user_id`` None in a group chat (a count only, never an unanswered row)."""
    answered = decision.faq_id if decision.kind is DecisionKind.ANSWER else None
    record_interaction(session, at=at, line_user_id=user_id, kind="question", decision=decision.kind.value,
                       faq_id=answered, language=language_of(text))
    if decision.kind is DecisionKind.SUGGEST and user_id is not None:
        record_unanswered(session, at=at, line_user_id=user_id, text=text, reason=SUGGESTED,
                          candidate_ids=candidate_ids(decision))


def reply(session: Session, *, user_id: str, at: dt.datetime, text: str, given: Reply) -> None:
    """A citizen's text message and the reply it got: the searched question (``question``), and for a question
    the bot could not answer, the staff offer (kept for editors as ``no_answer``) or the scope reply."""
    if given.decision is not None:
        question(session, user_id=user_id, at=at, text=text, decision=given.decision)
    spoken = given.language or language_of(text)
    if given.kind in STAFF_OFFERING:
        record_interaction(session, at=at, line_user_id=user_id, kind="staff_offered", language=spoken)
        candidates = candidate_ids(given.decision) if given.decision is not None else []
        _unanswered_once(session, user_id=user_id, at=at, text=text, reason=NO_ANSWER, candidates=candidates)
    elif given.kind is ReplyKind.SCOPE:
        record_interaction(session, at=at, line_user_id=user_id, kind="scope_reply", language=spoken)


def choice(session: Session, *, user: LineUser, at: dt.datetime, faq_id: str, english: bool, suggested: bool) -> None:
    """An entry tapped; ``suggested``: a ``choose`` button, offered for the question typed last.

    That question's open suggestion row (if the entry was among its candidates) becomes ``chosen``. Quick-reply
    buttons show under the newest message only, so a tap answers the question typed last, never an older one
    whose candidates the entry may share.
    """
    record_interaction(session, at=at, line_user_id=user.user_id, kind="choice", faq_id=faq_id[:120],
                       language="en" if english else "ja")
    if not suggested or not user.last_question:
        return
    asked = mask_personal_data(user.last_question)[:MAX_TEXT]
    for row in open_of_user(session, user.user_id, SUGGESTED):
        if row.text == asked and faq_id in row.candidate_ids:
            row.status, row.faq_id = "chosen", faq_id[:120]
            session.add(row)
            return


def none_of_these(session: Session, *, user: LineUser, at: dt.datetime) -> None:
    """「どれも違う」 under suggestions: the newest open suggestion row becomes ``none_of_these`` (or one is added
    for the last question when there is none)."""
    record_interaction(session, at=at, line_user_id=user.user_id, kind="none_of_these",
                       language=language_of(user.last_question))
    rows = open_of_user(session, user.user_id, SUGGESTED, limit=1)
    if rows:
        rows[0].reason = "none_of_these"
        session.add(rows[0])
    elif user.last_question:
        _unanswered_once(session, user_id=user.user_id, at=at, text=user.last_question, reason="none_of_these",
                         candidates=[])


def feedback(session: Session, *, user: LineUser, at: dt.datetime, argument: str) -> None:
    """👍/👎 on a bot answer (postback argument ``up:<faq id>`` or ``down:<faq id>``)."""
    rating, faq_id, english = parse_feedback(argument)  # ``up:en:<faq id>`` for an English reader
    if rating not in ("up", "down") or not faq_id:
        return
    record_interaction(session, at=at, line_user_id=user.user_id, kind="feedback", faq_id=faq_id[:120],
                       rating=rating, language="en" if english else language_of(user.last_question))
    if rating == "down" and user.last_question:
        _unanswered_once(session, user_id=user.user_id, at=at, text=user.last_question, reason="feedback_down",
                         candidates=[], faq_id=faq_id[:120])


def handoff_declined(session: Session, *, user: LineUser, at: dt.datetime, candidates: list[str]) -> None:
    """「いいえ」 to the offer of staff after a question the bot could not answer: its open ``no_answer`` row
    becomes ``handoff_declined`` (or one is added)."""
    record_interaction(session, at=at, line_user_id=user.user_id, kind="handoff_declined",
                       language=language_of(user.last_question))
    if not user.last_question:
        return
    asked = mask_personal_data(user.last_question)[:MAX_TEXT]
    for row in open_of_user(session, user.user_id, NO_ANSWER):
        if row.text == asked:
            row.reason, row.candidate_ids = "handoff_declined", candidates or row.candidate_ids
            session.add(row)
            return
    _unanswered_once(session, user_id=user.user_id, at=at, text=user.last_question, reason="handoff_declined",
                     candidates=candidates)


def handoff_sent(session: Session, *, user_id: str, at: dt.datetime, text: str) -> None:
    """A question sent to city staff as a new ticket."""
    record_interaction(session, at=at, line_user_id=user_id, kind="handoff_sent", language=language_of(text))


def _unanswered_once(session: Session, *, user_id: str, at: dt.datetime, text: str, reason: str,
                     candidates: list[str], faq_id: str | None = None) -> None:
    """Record ``text`` as unanswered unless the same is already open for the user (a second tap on the same
    button)."""
    masked = mask_personal_data(text)[:MAX_TEXT]
    if any(row.text == masked and row.faq_id == faq_id for row in open_of_user(session, user_id, reason)):
        return
    record_unanswered(session, at=at, line_user_id=user_id, text=text, reason=reason, candidate_ids=candidates,
                      faq_id=faq_id)
