"""``tsunagu eval scope``: does a city matter the pack cannot answer reach a person, and what do unrelated messages get?

Every message goes through the whole reply policy of the conversation (``Conversation.reply``: emergency check,
canned replies, other languages, retrieval decision, scope rule) over the configured pack, and the reply's kind
(``bot.conversation.ReplyKind``) is counted:

* ``offered_staff``: the reply carries a way to city staff as an offer: 「職員に質問を送りますか？」 (also in the
  citizen's language), 「どれも違う（職員に聞く）」 under choices, or 「職員に聞く」 under an answer;
* ``explicit_offer``: only the first kind (the question is asked of the citizen outright);
* ``scope_reply``: the polite refusal (which still ends with a 「職員に聞く」 button).

Message sets (each with its own fixed dev/test split; tune on dev only):

* ``eval/datasets/scope-blind/``: city matters the pack does not answer, unrelated messages, other languages
  (city matters and unrelated ones, ``eval.blind_sets``);
* ``eval/datasets/toyama-blind/``: near misses (city matters no entry answers) and out-of-scope questions;
* ``eval/datasets/toyama/oos.jsonl``: out-of-scope questions; style ``personal`` (a citizen's own case, which only
  staff can answer) counts as a city matter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.conversation import Conversation, ReplyKind
from bot.postback import PostbackSigner
from eval.blind_sets import Split, load_city_matters, load_other_languages, load_unrelated
from eval.datasets import BLIND_DATASET, DEFAULT_DATASET, load_questions
from eval.scoring import build_pack_retriever
from eval.settings import EvalSettings, Migrate

USER = "U" + "0" * 32
OFFERS = (ReplyKind.STAFF_OFFER, ReplyKind.LANGUAGE, ReplyKind.SUGGEST, ReplyKind.ANSWER)
EXPLICIT = (ReplyKind.STAFF_OFFER, ReplyKind.LANGUAGE)
PACK_CITY_STYLES = ("personal",)


@dataclass(frozen=True)
class Message:
    """One message of a set: ``city`` True for a city matter, False for an unrelated message."""

    set_name: str
    id: str
    text: str
    city: bool


def scope_messages(split: Split) -> list[Message]:
    """Every message of the sets above in ``split`` (``dev``, ``test`` or ``all``)."""
    messages = [Message("scope-blind/city_matters", m.id, m.text, True) for m in load_city_matters(split)]
    messages += [Message("scope-blind/unrelated", m.id, m.text, False) for m in load_unrelated(split)]
    messages += [Message("scope-blind/other_languages", m.id, m.text, m.city) for m in load_other_languages(split)]
    pack_split = None if split == "all" else split
    for question in load_questions(BLIND_DATASET, pack_split):
        if question.near_miss or not question.in_scope:
            messages.append(Message("toyama-blind", question.id, question.text, question.near_miss))
    for question in load_questions(DEFAULT_DATASET, pack_split):
        if not question.in_scope:
            messages.append(Message("toyama/oos", question.id, question.text, question.style in PACK_CITY_STYLES))
    return messages


def summarize(kinds: Iterable[ReplyKind]) -> dict[str, Any]:
    """Counts per reply kind and the shares of staff offers and scope replies."""
    counts = Counter(kinds)
    total = sum(counts.values())

    def share(wanted: Iterable[ReplyKind]) -> float | None:
        return round(sum(counts[k] for k in wanted) / total, 3) if total else None

    return {"messages": total, "offered_staff": share(OFFERS), "explicit_offer": share(EXPLICIT),
            "scope_reply": share((ReplyKind.SCOPE,)), "kinds": {k.value: n for k, n in sorted(counts.items())}}


def run_scope_eval(settings: EvalSettings, *, migrate: Migrate, split: Split = "dev", misses: bool = False,
                   ) -> dict[str, Any]:
    """The reply kinds of every message of ``split``, per set and pooled into city matters and unrelated ones.

    ``misses`` lists the city matters refused and the unrelated messages offered staff, with their texts: only
    on the dev split, so that nobody reads the test split's texts. ``migrate`` prepares the schema of the
    settings' database (the vector cache).
    """
    if misses and split != "dev":
        raise ValueError("misses are listed for the dev split only")
    conversation = Conversation(build_pack_retriever(settings, migrate), PostbackSigner("scope-eval"))
    replies = [(message, conversation.reply(USER, message.text).kind) for message in scope_messages(split)]
    per_set: dict[tuple[str, bool], list[ReplyKind]] = {}
    for message, kind in replies:
        per_set.setdefault((message.set_name, message.city), []).append(kind)
    results: dict[str, Any] = {
        "split": split, "pack": settings.pack_dir.name,
        "city_matters": summarize(kind for message, kind in replies if message.city),
        "unrelated": summarize(kind for message, kind in replies if not message.city),
        "sets": {f"{name} ({'city' if city else 'unrelated'})": summarize(kinds)
                 for (name, city), kinds in sorted(per_set.items())},
    }
    if misses:
        results["misses"] = [{"set": m.set_name, "id": m.id, "city": m.city, "kind": kind.value, "text": m.text}
                             for m, kind in replies if (kind not in OFFERS) == m.city]
    return results


def markdown_section(results: dict[str, Any], command: str) -> str:
    """The section appended to ``eval/reports/latest.md``."""
    city, unrelated = results["city_matters"], results["unrelated"]
    lines = [
        f"## Scope: city matters the pack cannot answer reach a person ({results['split']} split)", "",
        f"Command: `{command}` (pack `{results['pack']}`; the whole reply policy, `eval/scope_eval.py`).", "",
        "| messages | n | offered staff | explicit offer | scope reply |", "|---|---|---|---|---|",
        f"| city matters | {city['messages']} | {city['offered_staff']} | {city['explicit_offer']} | "
        f"{city['scope_reply']} |",
        f"| unrelated | {unrelated['messages']} | {unrelated['offered_staff']} | {unrelated['explicit_offer']} | "
        f"{unrelated['scope_reply']} |", "",
        "| set | n | offered staff | scope reply | reply kinds |", "|---|---|---|---|---|",
    ]
    for name, summary in results["sets"].items():
        kinds = ", ".join(f"{k} {n}" for k, n in summary["kinds"].items())
        lines.append(f"| {name} | {summary['messages']} | {summary['offered_staff']} | {summary['scope_reply']} | "
                     f"{kinds} |")
    lines += ["", "Offered staff: 「職員に質問を送りますか？」 (in the citizen's language too), "
              "「どれも違う（職員に聞く）」 under choices, or 「職員に聞く」 under an answer. The scope reply "
              "also ends with 「職員に聞く」.", ""]
    return "\n".join(lines)
