import json
from pathlib import Path

import pytest

from eval.calibration import calibrate_policy
from eval.datasets import EvalQuestion
from eval.runner import run_pack_eval
from eval.settings import EvalSettings
from retrieval.decision import QueryTraits
from retrieval.fusion import Candidate
from tests.conftest import MINI_PACK
from tsunagu.db import migrate

JA, EN = QueryTraits(), QueryTraits(latin_script=True)


def test_calibrate_policy_ignores_questions_about_other_places() -> None:
    questions = [
        EvalQuestion("q", "保育園", ("a",), "colloquial"), EvalQuestion("o", "金沢市の保育園", (), "other_city")
    ]
    candidates = [ranked("a", 0.7, 0.1), ranked("a", 0.9, 0.1)]
    policy, metrics = calibrate_policy(questions, candidates, [JA, QueryTraits(unknown_place=True)], 1.0)
    assert policy.thresholds.answer_min_score == pytest.approx(0.7)
    assert metrics["oos_handoff_recall"] == 1.0


def ranked(top: str, score: float, second: float) -> list[Candidate]:
    return [Candidate(top, score, score, 0.0), Candidate("other", second, second, 0.0)]


def test_calibrate_policy_finds_highest_coverage_at_target_precision() -> None:
    questions = [EvalQuestion(f"q{i}", "保育園", ("a",), "colloquial") for i in range(4)]
    questions.append(EvalQuestion("oos", "天気", (), "weather"))
    candidates = [ranked("a", 0.9, 0.1), ranked("a", 0.8, 0.1), ranked("b", 0.7, 0.1), ranked("a", 0.6, 0.1),
                  ranked("a", 0.65, 0.1)]
    policy, metrics = calibrate_policy(questions, candidates, [JA] * 5, target_precision=1.0)
    # Answering down to 0.8 keeps precision 1.0; 0.7 would answer a wrong one.
    assert policy.thresholds.answer_min_score == pytest.approx(0.8)
    assert metrics["coverage"] == pytest.approx(2 / 4)
    assert metrics["answer_precision"] == 1.0
    assert metrics["oos_handoff_recall"] == 1.0


def test_calibrate_policy_sets_latin_thresholds_apart() -> None:
    questions = [EvalQuestion("j", "保育園", ("a",), "colloquial"), EvalQuestion("e", "nursery", ("a",), "english"),
                 EvalQuestion("e2", "weather", (), "english")]
    candidates = [ranked("a", 0.9, 0.1), ranked("a", 0.5, 0.1), ranked("a", 0.4, 0.1)]
    policy, metrics = calibrate_policy(questions, candidates, [JA, EN, EN], target_precision=1.0)
    assert policy.thresholds.answer_min_score == pytest.approx(0.9)
    assert policy.latin_thresholds.answer_min_score == pytest.approx(0.5)
    assert metrics["coverage"] == 1.0


def test_calibrate_policy_never_answers_when_target_unreachable() -> None:
    questions = [EvalQuestion("q", "保育園", ("a",), "colloquial")]
    policy, metrics = calibrate_policy(questions, [ranked("b", 0.9, 0.1)], [JA], target_precision=0.95)
    assert policy.thresholds.answer_min_score > 1.0
    assert metrics["coverage"] == 0.0


def test_run_pack_eval_reports_modes_and_writes_report(tmp_path: Path, sqlite_url: str) -> None:
    dataset = tmp_path / "set"
    dataset.mkdir()
    rows = [{"id": f"t{i}", "text": text, "faq_ids": ids, "style": style}
            for i, (text, ids, style) in enumerate([
                ("ソファを捨てたい", ["procedures-garbage-bulky"], "colloquial"),
                ("How do I ride the tram?", ["tourism-tram-ride"], "english"),
                ("じどうてあての しんせい", ["childcare-allowance-apply"], "hiragana"),
                ("明日の天気は？", [], "weather"),
                ("夜 子ども 熱", ["childcare-emergency-night"], "keyword"),
                ("保育園に入れたい 書類", ["childcare-nursery-documents"], "keyword"),
            ])]
    (dataset / "q.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    report = tmp_path / "report.md"
    results = run_pack_eval(EvalSettings(database_url=sqlite_url, pack_dir=MINI_PACK), migrate=migrate, split="test",
                            questions_path=dataset, report_path=report)
    assert set(results["modes"]) == {"hybrid", "dense", "lexical", "hybrid_without_coverage_guard"}
    assert 0.0 <= results["accuracy_at_1"] <= 1.0
    assert results["in_scope"] + results["out_of_scope"] == results["questions"] > 0
    assert report.read_text(encoding="utf-8").startswith("## Pack eval (test split")
    assert (tmp_path / "report-curve.png").stat().st_size > 1000


def test_suggest_threshold_keeps_unrelated_questions_from_getting_choices() -> None:
    from eval.calibration import with_suggest_thresholds
    from retrieval.decision import DecisionPolicy, Thresholds

    questions = [EvalQuestion(f"u{i}", "天気", (), "weather") for i in range(5)]
    questions.append(EvalQuestion("q", "保育園", ("a",), "colloquial"))
    tops = [0.60, 0.55, 0.50, 0.45, 0.40, 0.70]
    candidates = [ranked("b" if i < 5 else "a", score, 0.1) for i, score in enumerate(tops)]
    policy = DecisionPolicy(Thresholds(0.65, 0.0, 0.3))
    tuned = with_suggest_thresholds(policy, questions, candidates, [JA] * 6, max_unrelated_suggest=0.4)
    # Two of five unrelated questions (0.60, 0.55) may still get choices; the third (0.50) must not.
    assert 0.50 < tuned.thresholds.suggest_min_score <= 0.55
    assert tuned.thresholds.answer_min_score == 0.65
    assert tuned.latin_thresholds == policy.latin_thresholds  # no Latin-script unrelated questions: unchanged
