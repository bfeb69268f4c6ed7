"""Prometheus metrics of the retriever: decisions by kind and reason, embedding and decision latency.

Recorded by ``Retriever.decide`` and ``Retriever.score_parts`` in whichever process answers (web process for
``POST /api/ask``, bot worker for LINE messages); ``tsunagu/metrics.py`` exports them at ``/metrics``, adding up
every process's values when prometheus-client's multiprocess mode is on (see there). Labels are the decision's
kind and reason only: bounded enums, never the question's text.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from retrieval.decision import Decision

# Seconds; from 1 ms (a cached embedding, a REPHRASE of empty input) to 10 s (an overloaded 2-core machine).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

DECISIONS = Counter(
    "tsunagu_decisions", "Decisions made for citizens' questions, by kind and reason.", ["kind", "reason"]
)
DECISION_SECONDS = Histogram(
    "tsunagu_decision_seconds", "Time to decide one question (normalisation, embedding, search, decision).",
    buckets=LATENCY_BUCKETS,
)
EMBED_SECONDS = Histogram(
    "tsunagu_embed_seconds", "Time to embed one question (the query side of a search).", buckets=LATENCY_BUCKETS
)


def record_decision(decision: Decision, seconds: float) -> None:
    """Count ``decision`` by kind and reason and observe how long it took."""
    DECISIONS.labels(decision.kind.value, decision.reason.value).inc()
    DECISION_SECONDS.observe(seconds)
