"""``bot.choices``: the entry or category a citizen chose counts for the hand-off of that same question only,
and what is kept on the LINE user is a digest, not the question."""

from __future__ import annotations

from bot.choices import chosen_for, remember_choice
from bot.models import LineUser

QUESTION = "保育園の見学はできますか"


def test_a_choice_counts_for_its_own_question_only_and_keeps_no_text() -> None:
    user = LineUser(user_id="U" + "1" * 32, last_question=QUESTION)
    remember_choice(user, category="childcare", faq_id="childcare-nursery-visit")
    assert chosen_for(user, QUESTION) == ("childcare-nursery-visit", "childcare")
    assert chosen_for(user, "住民票はどこでとれますか") == (None, None)
    assert user.last_choice_for and QUESTION not in user.last_choice_for


def test_a_category_alone_clears_an_earlier_entry_and_long_values_fit_their_columns() -> None:
    user = LineUser(user_id="U" + "2" * 32, last_question=QUESTION)
    remember_choice(user, category="childcare", faq_id="x" * 300)
    assert len(user.last_entry or "") == 120
    remember_choice(user, category="c" * 100)
    assert chosen_for(user, QUESTION) == (None, "c" * 40)


def test_no_question_means_no_choice() -> None:
    user = LineUser(user_id="U" + "3" * 32, last_question=None)
    remember_choice(user, category="tourism")
    assert chosen_for(user, QUESTION) == (None, None)
