"""What the publish and history pages need from the composition root, and how they show differences.

The pages do not import the process wiring (``tsunagu.live_index``, above this package): the app puts an object
with these methods on ``app.state.live_index`` and, when the pack has an eval set, a ``QualityGate`` on
``app.state.quality_gate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request
from sqlmodel import Session

from console.formatting import category_label
from editor.forms import STATUS_LABELS
from editor.quality_gate import GATE_METRICS, METRIC_LABELS, QualityGate
from knowledge.messages import FIELD_LABELS
from knowledge.schema import FaqEntryData
from knowledge.versions import EntryDiff, KnowledgeVersion
from retrieval.engine import Retriever

KIND_OF_CHANGE = {"added": "新規", "removed": "削除", "archived": "アーカイブ", "restored": "公開に戻す",
                  "changed": "変更"}


class PublishOutcome(Protocol):
    @property
    def version(self) -> KnowledgeVersion: ...

    @property
    def swapped_here(self) -> bool: ...

    @property
    def seconds(self) -> float: ...


class Publisher(Protocol):
    """Publishes and rolls back, serving the result in this process at once and in the others within seconds."""

    def prepare_publish(self, session: Session, faq_ids: Sequence[str] | None = None) -> Any: ...

    def candidate_retriever(self, candidate: Any) -> Retriever: ...

    def publish(
        self, session: Session, *, author: str, faq_ids: Sequence[str] | None = None, note: str = "",
        metrics: dict[str, Any] | None = None, gate_confirmed: bool = False, candidate: Any = None,
    ) -> PublishOutcome: ...

    def rollback(self, session: Session, *, version_id: int, author: str) -> PublishOutcome: ...

    def prepare_replace(self, session: Session, entries: Sequence[FaqEntryData]) -> Any: ...

    def replace_all(
        self, session: Session, *, entries: Sequence[FaqEntryData], author: str, kind: str, note: str = "",
        metrics: dict[str, Any] | None = None, gate_confirmed: bool = False, candidate: Any = None,
    ) -> PublishOutcome: ...

    def served_version(self) -> int | None: ...

    @property
    def served_retriever(self) -> Retriever: ...


def get_publisher(request: Request) -> Publisher:
    publisher: Publisher = request.app.state.live_index
    return publisher


def get_gate(request: Request) -> QualityGate | None:
    gate: QualityGate | None = getattr(request.app.state, "quality_gate", None)
    return gate


@dataclass(frozen=True)
class FieldRow:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class DiffRow:
    faq_id: str
    kind: str
    question: str
    fields: tuple[FieldRow, ...]
    category: str = ""  # in Japanese (子育て), as the console names categories everywhere


def diff_rows(diffs: Sequence[EntryDiff]) -> list[DiffRow]:
    """Entry differences in the editors' words, values as text (lists one item a line).

    Categories are named with ``handoff.formatting.category_label`` (the bot's category buttons: 子育て, 手続き,
    観光): the one mapping the console already shows on tickets, the FAQ list and the routing page. There is no
    mapping in ``knowledge`` to prefer, and a second copy here would drift from the buttons citizens see."""
    return [DiffRow(d.faq_id, KIND_OF_CHANGE.get(d.kind, d.kind), d.question,
                    tuple(FieldRow(FIELD_LABELS.get(f.field, f.field), _shown(f.field, f.before),
                                   _shown(f.field, f.after)) for f in d.fields),
                    category_label(d.category) if d.category else "")
            for d in diffs]


def _shown(field: str, value: Any) -> str:
    if value is None or value == []:
        return "（なし）"
    if field == "status":
        return STATUS_LABELS.get(value, str(value))
    if field == "category":
        return category_label(str(value))
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value)


def gate_rows(gate: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A quality-gate result (``GateResult.as_dict``) as table rows; none without one."""
    if not gate:
        return []
    return [{"label": METRIC_LABELS[m], "before": gate["before"][m], "after": gate["after"][m],
             "change": gate["change_points"][m]} for m in GATE_METRICS]


def by_id(entries: Sequence[FaqEntryData]) -> dict[str, FaqEntryData]:
    return {e.id: e for e in entries}
