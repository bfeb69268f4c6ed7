import pytest

from retrieval.fusion import HybridFusion


def test_fuse_is_a_convex_combination() -> None:
    fusion = HybridFusion(dense_weight=0.5, reading_weight=0.25)
    candidates = fusion.fuse({"a": 0.8, "b": 0.6}, {"b": 0.4}, reading={"b": 0.8})
    by_id = {c.faq_id: c for c in candidates}
    assert by_id["a"].score == pytest.approx(0.4)  # 0.5*0.8 + 0.5*0
    assert by_id["b"].score == pytest.approx(0.5 * 0.6 + 0.5 * (0.75 * 0.4 + 0.25 * 0.8))
    assert [c.faq_id for c in candidates] == ["b", "a"]


def test_fuse_gives_lexical_only_hits_the_dense_floor() -> None:
    candidates = HybridFusion(0.5).fuse({"a": 0.9}, {"z": 0.6}, dense_floor=0.4)
    z = next(c for c in candidates if c.faq_id == "z")
    assert z.dense == 0.4
    assert z.score == pytest.approx(0.5 * 0.4 + 0.5 * 0.6)


def test_fuse_caps_lexical_coverage_at_one() -> None:
    [candidate] = HybridFusion(0.0).fuse({}, {"a": 1.7})
    assert candidate.score == 1.0


def test_fuse_with_weight_one_ignores_lexical() -> None:
    candidates = HybridFusion(1.0).fuse({"a": 0.7, "b": 0.6}, {"b": 1.0})
    assert [c.faq_id for c in candidates] == ["a", "b"]


def test_fusion_rejects_weights_outside_unit_interval() -> None:
    with pytest.raises(ValueError):
        HybridFusion(1.5)
    with pytest.raises(ValueError):
        HybridFusion(0.5, -0.1)
