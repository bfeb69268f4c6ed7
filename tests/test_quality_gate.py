"""The quality gate compares the served and the candidate knowledge on the pack's eval questions."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session

from editor.quality_gate import MAX_DROP_POINTS, QualityGate, measure
from knowledge.changes import stage_change, working_entry
from tests.conftest import MINI_PACK
from tests.utils.services import make_test_services
from tsunagu.live_index import LiveIndex
from tsunagu.settings import Settings

QUESTIONS = [
    {"id": "q1", "text": "保育所の入所申込みはいつからできますか？", "faq_ids": ["childcare-nursery-apply-period"]},
    {"id": "q2", "text": "保育所の入所申込みに必要な書類は何ですか？", "faq_ids": ["childcare-nursery-documents"]},
    {"id": "q3", "text": "児童手当の申請はどうすればいいですか？", "faq_ids": ["childcare-allowance-apply"]},
    {"id": "q4", "text": "明日の天気は？", "faq_ids": []},
]


def _gate(tmp_path: Path) -> QualityGate:
    folder = tmp_path / "evalset"
    folder.mkdir()
    lines = [json.dumps({**q, "style": "plain"}, ensure_ascii=False) for q in QUESTIONS]
    (folder / "inscope.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    gate = QualityGate.from_dataset(folder)
    assert gate is not None
    return gate


def _permissive(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url, pack_dir=MINI_PACK, answer_min_score=0.35, answer_min_margin=0.02,
                    suggest_min_score=0.2)


def test_archiving_a_gold_entry_needs_confirmation(tmp_path: Path, sqlite_url: str) -> None:
    services = make_test_services(_permissive(sqlite_url))
    live, gate = LiveIndex(services), _gate(tmp_path)
    with Session(services.engine) as session:
        entry = working_entry(session, "childcare-nursery-documents")
        assert entry is not None
        stage_change(session, entry=entry.model_copy(update={"status": "archived"}), author="editor1")
        session.commit()
        candidate = live.prepare_publish(session)
    result = gate.check(services.retriever, services.index.snapshot().version_id, live.candidate_retriever(candidate))
    assert result.questions == 4
    assert result.before["accuracy_at_1"] == 1.0
    assert result.change_points("accuracy_at_1") < -MAX_DROP_POINTS
    assert result.needs_confirmation
    assert "childcare-nursery-documents" in services.retriever.entries  # the check served nothing


def test_a_harmless_edit_passes(tmp_path: Path, sqlite_url: str) -> None:
    services = make_test_services(_permissive(sqlite_url))
    live, gate = LiveIndex(services), _gate(tmp_path)
    with Session(services.engine) as session:
        entry = working_entry(session, "childcare-allowance-apply")
        assert entry is not None
        stage_change(session, entry=entry.model_copy(update={"contact": "こども支援課 076-000-0000"}),
                     author="editor1")
        session.commit()
        candidate = live.prepare_publish(session)
    result = gate.check(services.retriever, 1, live.candidate_retriever(candidate))
    assert not result.needs_confirmation
    assert result.after == measure(services.retriever, gate.questions)


def test_no_eval_set_means_no_gate(tmp_path: Path) -> None:
    assert QualityGate.from_dataset(tmp_path / "missing") is None
    assert QualityGate.from_dataset(None) is None


def test_warming_measures_the_served_knowledge_once(tmp_path: Path, sqlite_url: str) -> None:
    services = make_test_services(_permissive(sqlite_url))
    gate = _gate(tmp_path)
    thread = gate.warm_in_background(services.retriever, 1)
    assert thread is not None
    thread.join(30)
    assert gate._baselines[1] == measure(services.retriever, gate.questions)
    assert gate.warm_in_background(services.retriever, 1) is None  # already measured
