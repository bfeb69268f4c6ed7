"""Database tables owned by the retrieval package."""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel


class CachedEmbedding(SQLModel, table=True):
    """One embedded text, keyed by (model, kind, text hash), so a rebuild embeds only changed text."""

    __tablename__ = "embedding_cache"

    model: str = Field(primary_key=True, max_length=300)
    text_hash: str = Field(primary_key=True, max_length=64)
    dim: int
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
