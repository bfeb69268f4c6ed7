import pytest

from retrieval.fusion import HybridFusion


def test_fuse_combines_dense_and_saturated_bm25() -> None:
    fusion = HybridFusion(dense_weight=0.5, bm25_saturation=2.0)
    candidates = fusion.fuse({"a": 0.8, "b": 0.6}, {"b": 2.0})
    by_id = {c.faq_id: c for c in candidates}
    assert by_id["a"].score == pytest.approx(0.4)  # 0.5*0.8 + 0.5*0
    assert by_id["b"].score == pytest.approx(0.55)  # 0.5*0.6 + 0.5*(2/(2+2))
    assert [c.faq_id for c in candidates] == ["b", "a"]


def test_fuse_gives_lexical_only_hits_the_dense_floor() -> None:
    candidates = HybridFusion(0.5, 2.0).fuse({"a": 0.9}, {"z": 6.0}, dense_floor=0.4)
    z = next(c for c in candidates if c.faq_id == "z")
    assert z.dense == 0.4
    assert z.score == pytest.approx(0.5 * 0.4 + 0.5 * 0.75)


def test_fuse_with_weight_one_ignores_lexical() -> None:
    candidates = HybridFusion(1.0, 2.0).fuse({"a": 0.7, "b": 0.6}, {"b": 100.0})
    assert [c.faq_id for c in candidates] == ["a", "b"]


def test_fusion_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError):
        HybridFusion(1.5, 2.0)
    with pytest.raises(ValueError):
        HybridFusion(0.5, 0.0)
