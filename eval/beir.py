"""Evaluate on any benchmark in BEIR layout, loaded as a temporary pack (title = question, text = answer).

Layout: ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` (``_id``, ``text``) and
``qrels/test.tsv`` (query-id, corpus-id, score; a header line is allowed).
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.datasets import EvalQuestion
from eval.metrics import mean, ndcg_at_k, percentile, recall_at_k, reciprocal_rank
from knowledge.schema import FaqEntryData
from retrieval.cache import MemoryVectorStore
from retrieval.embedders import Embedder
from retrieval.factory import make_retriever
from retrieval.settings import RetrievalSettings

StageProgress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stage ``corpus`` counts texts embedded, ``queries`` queries run."""


class BeirFormatError(ValueError):
    """The folder is not in BEIR layout; the message says what is missing or wrong."""


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise BeirFormatError(f"{path.name} がありません ({path})")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise BeirFormatError(f"{path.name}:{number}: JSON として読めません ({exc.msg})") from exc
    return rows


def read_qrels(path: Path) -> dict[str, dict[str, float]]:
    if not path.exists():
        raise BeirFormatError(f"qrels/test.tsv がありません ({path})")
    qrels: dict[str, dict[str, float]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) < 3 or row[0] in ("query-id", "query_id"):
                continue
            qrels.setdefault(row[0], {})[row[1]] = float(row[2])
    return qrels


def slug_map(ids: list[str]) -> dict[str, str]:
    """Map arbitrary corpus ids to unique slugs the FAQ model accepts."""
    mapping: dict[str, str] = {}
    for number, original in enumerate(ids):
        base = re.sub(r"[^a-z0-9]+", "-", original.lower()).strip("-")[:80] or "doc"
        mapping[original] = f"{base}-{number}"
    return mapping


def corpus_entries(corpus: list[dict[str, Any]], slugs: dict[str, str]) -> list[FaqEntryData]:
    entries = []
    for doc in corpus:
        title = str(doc.get("title") or "").strip()
        text = str(doc.get("text") or "").strip() or title or "-"
        entries.append(
            FaqEntryData.model_construct(
                id=slugs[str(doc["_id"])], category="beir", question=(title or text)[:500], alt_questions=[],
                answer=text, tags=[], needs_review=False, status="published", source_url=None,
                department=None, contact=None, last_reviewed=None,
            )
        )
    return entries


def export_beir(entries: list[FaqEntryData], questions: list[EvalQuestion], directory: Path) -> dict[str, int]:
    """Write a pack and its in-scope eval questions in BEIR layout (title = question, text = answer).

    The alternative questions are left out on purpose: the result measures retrieval the way an FAQ
    benchmark with only question/answer pairs does.
    """
    in_scope = [q for q in questions if q.in_scope]
    (directory / "qrels").mkdir(parents=True, exist_ok=True)
    with (directory / "corpus.jsonl").open("w", encoding="utf-8") as corpus:
        for entry in entries:
            row = {"_id": entry.id, "title": entry.question, "text": entry.answer}
            corpus.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (directory / "queries.jsonl").open("w", encoding="utf-8") as queries:
        for question in in_scope:
            queries.write(json.dumps({"_id": question.id, "text": question.text}, ensure_ascii=False) + "\n")
    with (directory / "qrels" / "test.tsv").open("w", encoding="utf-8") as qrels:
        qrels.write("query-id\tcorpus-id\tscore\n")
        for question in in_scope:
            for faq_id in question.faq_ids:
                qrels.write(f"{question.id}\t{faq_id}\t1\n")
    return {"corpus": len(entries), "queries": len(in_scope)}


def run_beir(
    settings: RetrievalSettings,
    directory: Path,
    *,
    limit: int | None = None,
    embedder: Embedder | None = None,
    progress: StageProgress | None = None,
) -> dict[str, Any]:
    """nDCG@10, recall@10, MRR@10, hit@1 and per-query latency for the hybrid retriever.

    ``progress`` hears about both long stages: embedding the corpus and running the queries.
    """
    corpus = _read_jsonl(directory / "corpus.jsonl")
    queries = {str(q["_id"]): str(q["text"]) for q in _read_jsonl(directory / "queries.jsonl")}
    qrels = read_qrels(directory / "qrels" / "test.tsv")
    if not corpus:
        raise BeirFormatError("corpus.jsonl が空です")
    slugs = slug_map([str(d["_id"]) for d in corpus])
    retriever = make_retriever(settings, store=MemoryVectorStore(), embedder=embedder)
    retriever.build(
        corpus_entries(corpus, slugs),
        progress=(lambda done, total: progress("corpus", done, total)) if progress else None,
    )
    judged = [qid for qid in qrels if qid in queries][:limit]
    if not judged:
        raise BeirFormatError("qrels/test.tsv の query-id が queries.jsonl にありません")
    ndcg, recall, rr, hit1, latency = [], [], [], [], []
    for done, qid in enumerate(judged):
        if progress:
            progress("queries", done, len(judged))
        relevant = {slugs[c]: g for c, g in qrels[qid].items() if c in slugs}
        started = time.perf_counter()
        ranked = [c.faq_id for c in retriever.search(queries[qid], k=10)]
        latency.append((time.perf_counter() - started) * 1000)
        positive = {c for c, g in relevant.items() if g > 0}
        ndcg.append(ndcg_at_k(ranked, relevant, 10))
        recall.append(recall_at_k(ranked, positive, 10))
        rr.append(reciprocal_rank(ranked, positive, 10))
        hit1.append(1.0 if ranked[:1] and ranked[0] in positive else 0.0)
    if progress:
        progress("queries", len(judged), len(judged))
    return {
        "queries": len(judged),
        "corpus": len(corpus),
        "ndcg_at_10": round(mean(ndcg), 4),
        "recall_at_10": round(mean(recall), 4),
        "mrr_at_10": round(mean(rr), 4),
        "hit_at_1": round(mean(hit1), 4),
        "query_p50_ms": round(percentile(latency, 50), 2),
        "query_p95_ms": round(percentile(latency, 95), 2),
    }
