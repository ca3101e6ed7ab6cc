"""``search_agent``: the promoted index's chunks for a query, scored, without generating anything."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ragplatform.agents.base import AgentContext
from ragplatform.errors import InvalidInput


class SearchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(description="What to search for.")
    top_k: int = Field(default=5, ge=1, le=100, description="How many chunks to return (1..100).")
    mode: Literal["dense", "keyword", "hybrid"] | None = Field(
        default=None, description="Search mode; the index version's default when omitted."
    )


class SearchAgent:
    name = "search_agent"
    description = "Retrieves the promoted index's chunks for a query, best first, with their scores."
    Input = SearchInput

    def run(self, params: SearchInput, context: AgentContext) -> dict[str, Any]:
        """Raises InvalidInput (empty or too long query), NotFound (no promoted index), BackendUnavailable."""
        try:
            query = context.platform.answers.check_question(params.query)
        except InvalidInput as exc:
            raise InvalidInput(
                exc.message.replace("question", "query", 1), field="query", value=exc.value
            ) from exc
        served = context.platform.serving.current
        result = served.retriever.search(query, mode=params.mode, top_k=params.top_k)
        return {
            "query": query,
            "mode": params.mode or served.retriever.defaults.mode,
            "index_version": served.version.version,
            "hits": [
                {
                    "chunk_id": hit.chunk.id,
                    "source": hit.chunk.source,
                    "title": hit.chunk.title,
                    "section": hit.chunk.section,
                    "score": hit.score,
                    "distance": hit.distance,
                    "text": hit.chunk.text,
                }
                for hit in result.hits
            ],
            "timings": {"embed_ms": round(result.embed_ms, 2), "search_ms": round(result.search_ms, 2)},
        }
