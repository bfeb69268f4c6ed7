from eval.datasets import EvalQuestion
from eval.fusion_ablation import ranking_quality, rrf_ranking, zscore_ranking
from retrieval.engine import ScoreParts


def parts(dense: dict[str, float], lexical: dict[str, float], reading: dict[str, float] | None = None) -> ScoreParts:
    return ScoreParts(by_question=dense, by_answer={}, lexical=lexical, reading=reading or {})


def test_zscore_lets_a_clear_lexical_winner_beat_a_flat_dense_lead() -> None:
    # Dense cosines sit close together (e5's usual spread); one entry stands out lexically.
    ranked = zscore_ranking(parts({"a": 0.91, "b": 0.90, "c": 0.89}, {"b": 0.9, "a": 0.1, "c": 0.1}))
    assert ranked[0] == "b"


def test_rrf_adds_ranks_of_every_signal() -> None:
    ranked = rrf_ranking(parts({"a": 0.9, "b": 0.8, "c": 0.7}, {"b": 5.0, "c": 4.0}, {"b": 1.0}))
    assert ranked[0] == "b"
    assert set(ranked) == {"a", "b", "c"}


def test_ranking_quality_ignores_out_of_scope_questions() -> None:
    questions = [EvalQuestion("q1", "x", ("a",), "s"), EvalQuestion("q2", "y", ("b",), "s"),
                 EvalQuestion("o", "z", (), "s")]
    quality = ranking_quality(questions, [["a", "b"], ["a", "b"], ["a"]])
    assert quality == {"accuracy_at_1": 0.5, "recall_at_3": 1.0, "mrr": 0.75}
