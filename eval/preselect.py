"""How often the unanswered page's nearest entry is a right target, by its e5 cosine (issue 17 item 8).

For every question of the Toyama eval set and the blind set, the top entry of ``Retriever.search`` (what the
page lists first) and its dense cosine (``Candidate.dense``); for each threshold, per split: how many questions
would get a preselected target and how many of those are right (the entry is one of the question's answers).
Questions with no right entry count as wrong when preselected. ``editor.unanswered.PRESELECT_MIN_COSINE`` was
chosen on the dev rows. Run: ``.venv/bin/python eval/preselect.py`` (embeds the pack and ~1,100 questions with
the serving embedder: a few minutes on 2 cores).
"""

from __future__ import annotations

import sys
from pathlib import Path

from eval.datasets import load_questions
from eval.settings import EvalSettings
from knowledge.packs import read_pack
from retrieval.factory import make_retriever

PACK = Path("knowledge/packs/toyama")
DATASETS = (Path("eval/datasets/toyama"), Path("eval/datasets/toyama-blind"))
THRESHOLDS = (0.88, 0.90, 0.92, 0.93, 0.935, 0.94, 0.945, 0.95)


def main() -> None:
    pack = read_pack(PACK)
    retriever = make_retriever(EvalSettings(database_url="sqlite://", pack_dir=PACK), synonyms=pack.synonyms)
    retriever.build([entry for entry in pack.entries if entry.status == "published"])
    rows: list[tuple[str, float, bool, bool]] = []  # split, cosine, right, the question has a right entry
    for dataset in DATASETS:
        for question in load_questions(dataset):
            found = retriever.search(question.text, k=1)
            if found:
                rows.append((question.split, found[0].dense, found[0].faq_id in question.faq_ids,
                             bool(question.faq_ids)))
    for split in ("dev", "test"):
        chosen = [row[1:] for row in rows if row[0] == split]
        sys.stdout.write(f"{split}: {len(chosen)} questions, nearest right for {sum(r for _, r, _ in chosen)}\n")
        for threshold in THRESHOLDS:
            picked = [(right, has) for cosine, right, has in chosen if cosine >= threshold]
            right = sum(r for r, _ in picked)
            share = right / len(picked) if picked else 0.0
            sys.stdout.write(f"  cosine >= {threshold:.3f}: preselected {len(picked)}, right {right} ({share:.3f}),"
                             f" with no right entry {sum(not has for _, has in picked)}\n")


if __name__ == "__main__":
    main()
