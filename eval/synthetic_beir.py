"""A synthetic BEIR folder the size of the held-out municipal benchmark, to time ``tsunagu eval beir``.

The real benchmark (1,786 entries, 749 queries) is kept outside the project. This builds a folder of the same
size from the configured pack: its entries repeated, each copy named after one of Toyama City's seven areas so
that every title and text is distinct (nothing comes from the embedding cache) and lengths stay realistic;
queries are the pack's in-scope eval questions, then the blind questions an entry answers. Every copy of a gold
entry is relevant, so the scores are only a sanity check: the point is the time and memory it takes.

    python -m eval.synthetic_beir /tmp/beir1786
    HF_HUB_OFFLINE=1 /usr/bin/time -v tsunagu eval beir /tmp/beir1786 --json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from eval.datasets import BLIND_DATASET, DEFAULT_DATASET, EvalQuestion, load_questions
from knowledge.packs import read_pack
from knowledge.schema import FaqEntryData
from knowledge.settings import KnowledgeSettings

AREAS = ("富山", "大沢野", "大山", "八尾", "婦中", "山田", "細入")  # the areas merged into Toyama City in 2005
ENTRIES = 1786
QUERIES = 749


def synthetic_corpus(entries: Sequence[FaqEntryData], size: int) -> list[tuple[str, str, dict[str, str]]]:
    """``size`` documents as (source entry id, copy id, BEIR row): the pack first as is, then area copies."""
    if size > len(entries) * len(AREAS):
        raise ValueError(f"at most {len(entries) * len(AREAS)} documents from {len(entries)} entries")
    documents: list[tuple[str, str, dict[str, str]]] = []
    for copy, area in enumerate(AREAS):
        for entry in entries:
            if len(documents) == size:
                return documents
            title, text = entry.question, entry.answer
            if copy:
                title, text = f"{title}（{area}地域）", f"{area}地域の案内（{copy}）: {text}"
            documents.append((entry.id, f"{entry.id}--{copy}", {"_id": f"{entry.id}--{copy}", "title": title,
                                                                 "text": text}))
    return documents


def synthetic_queries(size: int) -> list[EvalQuestion]:
    """The first ``size`` answered questions: the pack's eval set, then the blind set."""
    questions = [q for q in load_questions(DEFAULT_DATASET) + load_questions(BLIND_DATASET) if q.in_scope]
    if size > len(questions):
        raise ValueError(f"only {len(questions)} answered questions are available")
    return questions[:size]


def write_synthetic_beir(directory: Path, entries: int = ENTRIES, queries: int = QUERIES) -> dict[str, int]:
    """Write corpus.jsonl, queries.jsonl and qrels/test.tsv; fails if any title, text or id repeats."""
    documents = synthetic_corpus(read_pack(KnowledgeSettings().pack_dir).entries, entries)
    for field in ("_id", "title", "text"):
        if len({row[field] for _, _, row in documents}) != len(documents):
            raise ValueError(f"synthetic documents repeat a {field}")
    questions = synthetic_queries(queries)
    if len({q.id for q in questions}) != len(questions):
        raise ValueError("query ids repeat")
    copies: dict[str, list[str]] = {}
    for source, copy_id, _ in documents:
        copies.setdefault(source, []).append(copy_id)
    (directory / "qrels").mkdir(parents=True, exist_ok=True)
    (directory / "corpus.jsonl").write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for _, _, row in documents), encoding="utf-8")
    (directory / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q.id, "text": q.text}, ensure_ascii=False) + "\n" for q in questions),
        encoding="utf-8")
    rows = [f"{q.id}\t{doc}\t1\n" for q in questions for faq_id in q.faq_ids for doc in copies.get(faq_id, [])]
    (directory / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(rows), encoding="utf-8")
    return {"corpus": len(documents), "queries": len(questions), "qrels": len(rows)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--entries", type=int, default=ENTRIES)
    parser.add_argument("--queries", type=int, default=QUERIES)
    args = parser.parse_args(argv)
    counts = write_synthetic_beir(args.directory, args.entries, args.queries)
    sys.stdout.write(json.dumps(counts) + "\n")


if __name__ == "__main__":
    main()
