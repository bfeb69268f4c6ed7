"""Measure the staff-offer rule (bot/scope.py) on the eval set: the dev split to design it, the test split once to
report it (never tune on the test split).

Usage: .venv/bin/python scripts/scope_dev_check.py [--split dev|test] [--database-url sqlite:///./tsunagu.db] [--list]

City matters are the in-scope questions and the out-of-scope ones of style "personal" (a citizen's own case:
only staff can answer it); every other out-of-scope question (weather, shops, chat, other cities, …) is not.
Only questions the bot cannot handle itself (decision HANDOFF) get the staff offer, so the counts are over those.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from bot.scope import offers_staff
from eval.datasets import load_questions
from eval.scoring import build_pack_retriever
from eval.settings import EvalSettings
from retrieval.decision import DecisionKind
from tsunagu.db import migrate

CITY_OOS_STYLES = ("personal",)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite:///./tsunagu.db", help="where the vector cache lives")
    parser.add_argument("--split", choices=("dev", "test"), default="dev", help="dev to design, test to report")
    parser.add_argument("--list", action="store_true", help="print every HANDOFF question with the rule's outcome")
    args = parser.parse_args()
    settings = EvalSettings(database_url=args.database_url, pack_dir=Path("knowledge/packs/toyama"))
    retriever = build_pack_retriever(settings, migrate)
    counts: Counter[tuple[str, str, bool]] = Counter()
    for question in load_questions(split=args.split):
        decision = retriever.decide(question.text)
        if decision.kind not in (DecisionKind.HANDOFF, DecisionKind.SUGGEST):
            continue
        city = question.in_scope or question.style in CITY_OOS_STYLES
        offered = offers_staff(question.text, other_place=retriever.traits(question.text).unknown_place)
        group = "city" if city else "not city"
        counts[(decision.kind.value, group, offered)] += 1
        if args.list and decision.kind is DecisionKind.HANDOFF:
            sys.stdout.write(f"{decision.kind.value:8} {group:8} offered={offered!s:5} {question.style:10} "
                             f"{question.text[:60]}\n")
    for kind, note in (("HANDOFF", ""), ("SUGGEST", " (if the rule were applied; the bot keeps the button)")):
        for group in ("city", "not city"):
            yes, no = counts[(kind, group, True)], counts[(kind, group, False)]
            sys.stdout.write(f"{args.split} {kind:7} {group:8}: {yes + no:3} questions, staff offered to {yes}, "
                             f"not to {no}{note}\n")


if __name__ == "__main__":
    main()
