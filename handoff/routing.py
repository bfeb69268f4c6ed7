"""Which team a ticket goes to: from what the question is about, not from the bot's top candidate alone.

The evidence, in order of strength:

1. what the citizen chose or browsed before asking staff (an entry, a category): it wins outright;
2. the entries the bot found for the question, each counted with its score (the ones shown to the citizen
   count fully, the others less), mapped to teams through the routing table (an entry's own rule first,
   then its category's);
3. topic words of the routing table found in the question;
4. a classifier's reading of the question's query vector (``handoff.topic_classifier``): it confirms the table's
   team or, when they disagree, sends the ticket to 振り分け待ち; when the table has too little to go on, a sure
   classifier routes alone. Editors' own entry and word rules are never second-guessed by it.

The team with a clear majority of that evidence gets the ticket; when the evidence is thin or split, the ticket
is 「振り分け待ち」 (``UNROUTED``): a queue every staff member sees, where claiming a ticket gives it the claimer's
team. A wrong team costs more than an unrouted ticket (the right staff never see it, see issue 17), so the
router prefers 振り分け待ち whenever it is unsure.

The routing table is a database table editors own (``/staff/routing``); the settings' ``handoff_routes`` seed
the category rules the table does not have.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from console import audit
from core.clock import utcnow
from core.db import get_row
from handoff.models import Ticket
from handoff.routing_models import MAX_WORD_CHARS, RoutingRule, RuleKind
from handoff.topic_classifier import TopicClassifier, shipped_classifier
from retrieval.normalize import fold_kana
from retrieval.query_embedding import QueryEmbedding

UNROUTED = "振り分け待ち"  # stored as the ticket's team: no team is sure yet


@dataclass(frozen=True)
class RoutingTable:
    """The routing rules in force: category → team, entry → team and topic word → team.

    A rule's team may be ``UNROUTED``: evidence for it counts against every team (decide by hand).
    """

    categories: Mapping[str, str] = field(default_factory=dict)
    entries: Mapping[str, str] = field(default_factory=dict)
    words: Mapping[str, str] = field(default_factory=dict)  # folded word → team
    editor_words: frozenset[str] = frozenset()  # the words of ``words`` an editor set (database rules)

    def team_of(self, faq_id: str | None, category: str | None) -> str | None:
        """The entry's own rule, else its category's; None when neither has one."""
        if faq_id and faq_id in self.entries:
            return self.entries[faq_id]
        return self.categories.get(category or "")

    def words_in(self, question: str) -> list[tuple[str, str]]:
        """The topic words found in ``question``, with their teams."""
        text = fold_kana(question)
        return [(word, team) for word, team in self.words.items() if word and word in text]

    def ruled_by_editors(self, evidence: TopicEvidence) -> bool:
        """An editor's entry rule covers an entry the citizen was shown, or an editor's word is in the question:
        the table's decision then stands whatever the classifier reads."""
        if any(c.shown and c.faq_id in self.entries for c in evidence.candidates):
            return True
        return any(word in self.editor_words for word, _ in self.words_in(evidence.question))

    def category_for(self, team: str, current: str | None = None) -> str | None:
        """The category that fits ``team``: ``current`` when it is routed there, else the first category routed
        there, else None (a team that answers no category of the pack, or 振り分け待ち)."""
        if current and self.categories.get(current) == team:
            return current
        return next((slug for slug, routed in sorted(self.categories.items()) if routed == team), None)


# Topic words of the sample hand-off configuration (its four teams), from what each team answers: they seed the
# word rules for the teams a city has (a database rule for the same word wins; 振り分け待ち switches one off).
SEED_WORDS: dict[str, tuple[str, ...]] = {
    "こども家庭部": ("保育園", "保育所", "ほいくえん", "学童", "児童手当", "母子手帳", "妊娠", "妊婦", "子育て",
                   "虐待", "ひとり親", "乳児", "幼児", "小学校", "しょうがっこう", "入学"),
    "観光振興課": ("観光", "旅行", "まつり", "祭り", "おみやげ", "土産", "名物"),
    "市民課": ("住民票", "じゅうみんひょう", "戸籍", "転入", "転出", "転居", "マイナンバー", "印鑑", "ごみ",
             "粗大", "不法投棄", "国民健康保険", "国保", "住民税", "市民税", "住民登録", "じゅうみんとうろく",
             "出生届", "婚姻届", "死亡届"),
    "市民相談課": ("公園", "こうえん", "道路", "どうろ", "歩道", "側溝", "街灯", "がいとう", "騒音", "ペット",
               "飼い犬", "野良", "避難", "ひなん", "防災", "災害", "除雪", "じょせつ", "冠水", "洪水", "市営住宅",
               "空き家", "介護", "高齢者", "認知症", "水道", "下水", "図書館", "としょかん", "体育館", "公民館",
               "苦情", "消費生活", "クーリングオフ", "選挙", "投票", "墓地", "火葬", "定期券", "通勤"),
}


def seed_words(teams: Iterable[str]) -> dict[str, str]:
    """The ``SEED_WORDS`` of the teams in ``teams``, folded, word → team."""
    known = set(teams)
    return {fold_kana(word): team for team, words in SEED_WORDS.items() if team in known for word in words}


def load_table(session: Session, seed: Mapping[str, str], words_seed: Mapping[str, str] | None = None,
               ) -> RoutingTable:
    """The table in force: the database rules over the ``seed`` category routes and the ``words_seed`` words."""
    categories: dict[str, str] = dict(seed)
    entries: dict[str, str] = {}
    words: dict[str, str] = dict(words_seed or {})
    targets = {RuleKind.CATEGORY.value: categories, RuleKind.ENTRY.value: entries, RuleKind.WORD.value: words}
    editor_words: set[str] = set()
    for rule in session.exec(select(RoutingRule)):
        target = targets.get(rule.kind)
        if target is not None:
            target[rule.key] = rule.team
        if rule.kind == RuleKind.WORD.value:
            editor_words.add(rule.key)
    return RoutingTable(categories, entries, words, frozenset(editor_words))


# -- the evidence -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TopicCandidate:
    """An entry the bot found for the question, as stored on the ticket (``shown``: offered to the citizen)."""

    faq_id: str
    category: str | None
    score: float
    shown: bool = False

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> TopicCandidate:
        score = row.get("score", 0.0)
        category = row.get("category")
        return cls(str(row.get("faq_id", "")), str(category) if category else None,
                   float(score) if isinstance(score, int | float) else 0.0, bool(row.get("shown", False)))


@dataclass(frozen=True)
class TopicEvidence:
    """What a question is about: its text, the entries found for it, what the citizen chose, and its query
    vector (``embedding``, None when the retriever had none)."""

    question: str
    candidates: tuple[TopicCandidate, ...] = ()
    chosen_entry: str | None = None
    chosen_category: str | None = None
    embedding: QueryEmbedding | None = None

    @classmethod
    def of(cls, question: str, candidates: Iterable[Mapping[str, Any]], *, chosen_entry: str | None = None,
           chosen_category: str | None = None, embedding: QueryEmbedding | None = None) -> TopicEvidence:
        return cls(question, tuple(TopicCandidate.from_dict(c) for c in candidates), chosen_entry, chosen_category,
                   embedding)


@dataclass(frozen=True)
class RoutingDecision:
    """The team (or ``UNROUTED``), the category that fits it, and how sure the router was (0-1)."""

    team: str
    category: str | None
    share: float = 0.0
    why: str = ""  # chosen | topic | uncovered | thin | split | agreed | disagree | model: audit log and evaluation

    @property
    def routed(self) -> bool:
        return self.team != UNROUTED


@dataclass(frozen=True)
class TopicRouter:
    """Weighs the topic evidence of a question into one team, or 振り分け待ち when unsure.

    Args:
        min_score: candidates scoring below this say nothing of the topic; above it they count by how much.
        depth: how many of the best candidates count.
        unshown_weight: the weight of a candidate the citizen was not shown, relative to a shown one.
        word_weight: the weight of one topic word of the routing table found in the question.
        min_evidence: less evidence than this in total is too thin to route.
        min_share: the best team needs at least this share of the evidence.
        classifier: the second opinion from the query vector (None: the table alone routes).
        model_min_probability: how sure the classifier must be to route a question the table leaves unrouted.
    """

    # Tuned on the dev split of eval/datasets/routing-blind (``tsunagu eval routing --split dev``) with the
    # default retriever, whose fused scores for a relevant entry lie around 0.6-0.8.
    min_score: float = 0.58
    depth: int = 5
    unshown_weight: float = 0.5
    word_weight: float = 0.6
    min_evidence: float = 0.1
    min_share: float = 0.7
    # Chosen by 5-fold cross-validation on the development questions (``tsunagu eval routing --cv 5``): the
    # classifier vetoing any team it disagrees with and routing alone from 0.8 halved the wrong teams.
    classifier: TopicClassifier | None = field(default_factory=shipped_classifier)
    model_min_probability: float = 0.8

    def route(self, table: RoutingTable, evidence: TopicEvidence, *, uncovered: str = UNROUTED) -> RoutingDecision:
        """The team for ``evidence``; ``uncovered``: the team for a city matter no entry covers (the bot showed the
        citizen nothing and no topic word names a team), e.g. the general consultation desk."""
        chosen = self._chosen(table, evidence)
        if chosen is not None:
            return chosen
        by_table = self.route_by_table(table, evidence, uncovered=uncovered)
        if self.classifier is None or evidence.embedding is None or table.ruled_by_editors(evidence):
            return by_table
        guess = self.classifier.team_guess(evidence.embedding, table.categories, uncovered)
        if guess is None:
            return by_table
        return self.second_opinion(table, by_table, guess.team, guess.probability)

    def second_opinion(self, table: RoutingTable, by_table: RoutingDecision, team: str,
                       probability: float) -> RoutingDecision:
        """The table's decision checked against the classifier's ``team``: kept when they agree, 振り分け待ち when
        they disagree (a wrong team hides the ticket from the right staff), and the classifier's team for a
        question the table could not route when it is sure enough."""
        if by_table.routed:
            if team == by_table.team:
                return RoutingDecision(by_table.team, by_table.category, by_table.share, "agreed")
            return RoutingDecision(UNROUTED, None, by_table.share, "disagree")
        if team != UNROUTED and probability >= self.model_min_probability:
            return RoutingDecision(team, table.category_for(team), probability, "model")
        return by_table

    def route_by_table(self, table: RoutingTable, evidence: TopicEvidence, *,
                       uncovered: str = UNROUTED) -> RoutingDecision:
        """The decision from the routing table alone: the candidates' and the topic words' votes."""
        votes, by_category = self.votes(table, evidence)
        total = sum(votes.values())
        if not any(c.shown for c in evidence.candidates) and not table.words_in(evidence.question):
            return RoutingDecision(uncovered, table.category_for(uncovered), 0.0, "uncovered")
        if total < self.min_evidence:
            return RoutingDecision(UNROUTED, None, 0.0, "thin")
        team = max(sorted(votes), key=lambda t: votes[t])
        share = votes[team] / total
        if team == UNROUTED or share < self.min_share:
            return RoutingDecision(UNROUTED, None, round(share, 3), "split")
        weighted = by_category.get(team, {})
        category = max(sorted(weighted), key=lambda c: weighted[c]) if weighted else table.category_for(team)
        return RoutingDecision(team, category, round(share, 3), "topic")

    def votes(self, table: RoutingTable, evidence: TopicEvidence) -> tuple[dict[str, float],
                                                                           dict[str, dict[str, float]]]:
        """Evidence per team, and per team the categories it came from."""
        votes: dict[str, float] = defaultdict(float)
        by_category: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        # A question the bot showed nothing for is no question about those entries: its topic is in its words.
        counted = evidence.candidates[:self.depth] if any(c.shown for c in evidence.candidates) else ()
        for candidate in counted:
            weight = max(0.0, candidate.score - self.min_score) * (1.0 if candidate.shown else self.unshown_weight)
            team = table.team_of(candidate.faq_id, candidate.category)
            if weight > 0 and team:
                votes[team] += weight
                if candidate.category:
                    by_category[team][candidate.category] += weight
        for _, team in table.words_in(evidence.question):
            votes[team] += self.word_weight
        return dict(votes), {team: dict(weights) for team, weights in by_category.items()}

    @staticmethod
    def _chosen(table: RoutingTable, evidence: TopicEvidence) -> RoutingDecision | None:
        """The citizen's own choice wins, unless the table sends it to 振り分け待ち."""
        if not (evidence.chosen_entry or evidence.chosen_category):
            return None
        team = table.team_of(evidence.chosen_entry, evidence.chosen_category)
        if team is None or team == UNROUTED:
            return None
        category = evidence.chosen_category or table.category_for(team)
        return RoutingDecision(team, category, 1.0, "chosen")


# -- routing of unrouted tickets and transfers -----------------------------------------------------------------
def give_team(session: Session, ticket: Ticket, team: str, table: RoutingTable, *, actor: str,
              actor_staff_id: int | None) -> None:
    """A 振り分け待ち ticket claimed by a staff member of ``team`` becomes that team's, its category fitting it."""
    if ticket.team != UNROUTED or not team:
        return
    ticket.team, ticket.category = team, table.category_for(team, ticket.category)
    session.add(ticket)
    audit.record(session, action="ticket_transferred", actor=actor, actor_staff_id=actor_staff_id,
                 ticket_id=ticket.id, detail=f"{UNROUTED} → {team}")


# -- the editors' page -----------------------------------------------------------------------------------------
class RuleError(ValueError):
    """A rule an editor cannot save; the message is Japanese and shown as it is."""


@dataclass(frozen=True)
class RuleChoices:
    """What a rule may name: the teams, the pack's categories and its entry ids."""

    teams: Sequence[str]
    categories: Iterable[str]
    entries: Iterable[str]


def clean_key(kind: RuleKind, key: str, choices: RuleChoices) -> str:
    """The key as stored (a word folded); raises ``RuleError`` for an unknown category or entry."""
    key = key.strip()
    if kind is RuleKind.WORD:
        word = fold_kana(key)
        if not 1 <= len(word) <= MAX_WORD_CHARS:
            raise RuleError(f"言葉は1〜{MAX_WORD_CHARS}文字で入力してください。")
        return word
    known = choices.categories if kind is RuleKind.CATEGORY else choices.entries
    if key not in set(known):
        raise RuleError("その分類はありません。" if kind is RuleKind.CATEGORY else "そのFAQ（ID）はありません。")
    return key


def save_rule(session: Session, *, kind: str, key: str, team: str, choices: RuleChoices, actor: str,
              actor_staff_id: int | None) -> RoutingRule:
    """Add or change the rule for (kind, key); audited with the key and team (editors' words, no citizen text)."""
    if kind not in {k.value for k in RuleKind}:
        raise RuleError("規則の種類が正しくありません。")
    if team not in (*choices.teams, UNROUTED):
        raise RuleError("担当課が正しくありません。")
    rule_kind = RuleKind(kind)
    stored_key = clean_key(rule_kind, key, choices)
    rule = session.exec(select(RoutingRule).where(col(RoutingRule.kind) == rule_kind.value,
                                                  col(RoutingRule.key) == stored_key)).first()
    previous = rule.team if rule is not None else None
    rule = rule or RoutingRule(kind=rule_kind.value, key=stored_key, team=team)
    rule.team, rule.updated_at, rule.updated_by = team, utcnow(), actor
    session.add(rule)
    detail = f"{rule_kind.value}:{stored_key} {previous + ' → ' if previous else ''}{team}"
    audit.record(session, action="routing_rule_saved", actor=actor, actor_staff_id=actor_staff_id, detail=detail)
    return rule


def delete_rule(session: Session, rule_id: int, *, actor: str, actor_staff_id: int | None) -> bool:
    """Remove one rule (a seeded category then routes as the settings say); False when there was none."""
    rule = get_row(session, RoutingRule, rule_id)
    if rule is None:
        return False
    session.delete(rule)
    audit.record(session, action="routing_rule_deleted", actor=actor, actor_staff_id=actor_staff_id,
                 detail=f"{rule.kind}:{rule.key} {rule.team}")
    return True


def list_rules(session: Session) -> list[RoutingRule]:
    """The stored rules, by kind then key."""
    return list(session.exec(select(RoutingRule).order_by(col(RoutingRule.kind), col(RoutingRule.key))))
