"""IndexSpec: everything that defines an index version, hashable and loggable.

Notebooks, the CLI, the console and the API all build indexes from an
IndexSpec; nothing else knows how. ``data_key()`` covers what decides the
indexed data (corpus, chunking, embedding, engine): two specs with the same
data key share one immutable collection, so a rebuild that changes only
retrieval parameters neither parses nor embeds again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ragplatform.errors import InvalidInput
from ragplatform.vectorindex.base import MAX_TOP_K, Fusion, SearchMode

ChunkStrategy = Literal["sentence", "token", "markdown", "semantic"]
EmbeddingProvider = Literal["local", "openai", "ollama"]
EngineName = Literal["lancedb", "weaviate"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CorpusSpec(_Frozen):
    """Which documents go in. ``paths`` are folders or files; relative ones are
    resolved against the datasets directory. ``include_content`` adds the
    active FAQ items, events and emergency contacts from the ContentStore."""

    paths: tuple[str, ...] = ("demo",)
    include_content: bool = True
    extensions: tuple[str, ...] = ()  # empty = every supported type
    max_documents: int | None = Field(default=None, ge=1)


class ChunkingSpec(_Frozen):
    strategy: ChunkStrategy = "sentence"
    chunk_size: int = Field(default=256, ge=32, le=8192)  # tokens
    chunk_overlap: int = Field(default=32, ge=0, le=4096)
    semantic_breakpoint_percentile: int = Field(default=95, ge=50, le=99)
    # Repeat the document title at the head of every chunk that does not start with it, so a
    # chunk from the middle of a document still says what it is about (to BM25 and the embedder).
    title_prefix: bool = False

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkingSpec:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_size ({self.chunk_size})"
            )
        return self


class EmbeddingSpec(_Frozen):
    provider: EmbeddingProvider = "local"
    model: str = "all-MiniLM-L6-v2"


class RetrievalSpec(_Frozen):
    """Query-time defaults stored with the version; callers may override per query."""

    mode: SearchMode = "hybrid"
    fusion: Fusion = "rrf"
    alpha: float = Field(default=0.5, ge=0.0, le=1.0)
    rrf_k: int = Field(default=60, ge=1)
    top_k: int = Field(default=5, ge=1, le=MAX_TOP_K)
    distance_threshold: float | None = Field(default=None, ge=0.0, le=2.0)
    filters: tuple[tuple[str, str], ...] = ()
    rerank: bool = Field(
        default=False, description="reranking is not built yet: true is refused rather than ignored"
    )

    @field_validator("rerank")
    @classmethod
    def _no_rerank_yet(cls, value: bool) -> bool:
        if value:
            raise ValueError("rerank is not available yet (no reranker is built); set rerank to false")
        return value


class IndexSpec(_Frozen):
    name: str = Field(default="demo", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    corpus: CorpusSpec = CorpusSpec()
    chunking: ChunkingSpec = ChunkingSpec()
    embedding: EmbeddingSpec = EmbeddingSpec()
    engine: EngineName | None = Field(
        default=None,
        description="the vector engine the version lives in; None: the platform's own (weaviate when "
        "WEAVIATE_URL is set, else lancedb). A build asking for another engine than the platform's is refused.",
    )
    retrieval: RetrievalSpec = RetrievalSpec()

    def for_engine(self, engine: str) -> IndexSpec:
        """This spec on ``engine`` (the platform's). Raises InvalidInput when it names another one."""
        if self.engine is None:
            return self.model_copy(update={"engine": engine})
        if self.engine != engine:
            raise InvalidInput(
                f"the spec asks for the {self.engine} engine but this platform's vector index is {engine}"
                " (WEAVIATE_URL decides); set engine to null or to the platform's engine",
                field="engine",
                value=self.engine,
            )
        return self

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def fingerprint(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def data_key(self) -> str:
        """Hash of what decides the indexed data (not the retrieval defaults, not the name)."""
        data = self.model_dump(mode="json", include={"corpus", "chunking", "embedding", "engine"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    def flat_params(self) -> dict[str, Any]:
        """Flat ``section.field`` mapping, for MLflow params."""
        out: dict[str, Any] = {}
        for section, value in self.model_dump(mode="json").items():
            if isinstance(value, dict):
                for key, inner in value.items():
                    out[f"{section}.{key}"] = json.dumps(inner) if isinstance(inner, list | dict) else inner
            else:
                out[section] = value
        return out

    def __hash__(self) -> int:
        return hash(self.fingerprint())
