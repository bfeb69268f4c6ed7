import json
from pathlib import Path

import pytest

from eval.beir import BeirFormatError, run_beir
from tests.utils.embedders import HashingEmbedder
from tsunagu.settings import Settings


def write_beir(folder: Path) -> Path:
    corpus = [
        {"_id": "D1", "title": "保育所の申込み", "text": "保育所の入所申込みは秋に受け付けます。"},
        {"_id": "D2", "title": "粗大ごみ", "text": "粗大ごみは申込みが必要です。"},
        {"_id": "D/3", "title": "路面電車", "text": "路面電車は後ろから乗ります。"},
    ]
    queries = [{"_id": "q1", "text": "保育所に申し込みたい"}, {"_id": "q2", "text": "路面電車の乗り方"},
               {"_id": "q3", "text": "未判定の質問"}]
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in corpus))
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in queries))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tD1\t1\nq2\tD/3\t1\n")
    return folder


def test_run_beir_reports_all_metrics(tmp_path: Path) -> None:
    results = run_beir(Settings(), write_beir(tmp_path), embedder=HashingEmbedder())
    assert results["queries"] == 2
    assert results["corpus"] == 3
    assert results["hit_at_1"] == 1.0
    assert results["ndcg_at_10"] == 1.0
    assert results["mrr_at_10"] == 1.0
    assert results["recall_at_10"] == 1.0
    assert results["query_p95_ms"] >= results["query_p50_ms"] > 0


def test_run_beir_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BeirFormatError, match="corpus.jsonl"):
        run_beir(Settings(), tmp_path, embedder=HashingEmbedder())


def test_run_beir_rejects_broken_jsonl(tmp_path: Path) -> None:
    write_beir(tmp_path)
    (tmp_path / "queries.jsonl").write_text("{not json")
    with pytest.raises(BeirFormatError, match="queries.jsonl:1"):
        run_beir(Settings(), tmp_path, embedder=HashingEmbedder())


def test_export_then_run_round_trip(tmp_path: Path) -> None:
    from eval.beir import export_beir
    from eval.datasets import EvalQuestion
    from knowledge.packs import read_pack
    from tests.conftest import MINI_PACK

    entries = read_pack(MINI_PACK).entries
    questions = [EvalQuestion("q1", "粗大ごみの出し方", ("procedures-garbage-bulky",), "keyword"),
                 EvalQuestion("o1", "明日の天気", (), "weather")]
    counts = export_beir(entries, questions, tmp_path)
    assert counts == {"corpus": 6, "queries": 1}
    results = run_beir(Settings(), tmp_path, embedder=HashingEmbedder())
    assert results["queries"] == 1
    assert results["hit_at_1"] == 1.0
