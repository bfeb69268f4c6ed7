"""The knowledge package's settings: which pack, and how publishes reach every process."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from core.settings import CoreSettings

DEFAULT_PACK_DIR = Path(__file__).resolve().parent / "packs" / "toyama"


class KnowledgeSettings(CoreSettings):
    """The FAQ pack loaded at start, the quality gate before a publish, and how often a new version is looked for."""

    pack_dir: Path = DEFAULT_PACK_DIR
    load_pack_on_start: bool = Field(
        default=True, description="Load pack_dir into an empty database at start-up (embedded default)."
    )
    quality_gate_set: Path | None = Field(
        default=None,
        description="Eval questions asked before every publish (a folder of the eval set format); default: "
                    "eval/datasets/<pack folder name> when it exists, else no quality gate.",
    )
    knowledge_poll_s: float = Field(
        default=2.0, gt=0.0, le=60.0,
        description="How often each process checks for a newly published knowledge version (seconds).",
    )
