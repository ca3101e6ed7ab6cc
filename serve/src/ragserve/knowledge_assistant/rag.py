"""``/rag/*`` (API 01): chat from the promoted index (the exchange is saved to the session),
embeddings with the serving embedder, and the health of the answering path."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from ragplatform import health as engine_health
from ragplatform.answering.service import AskOptions
from ragplatform.client.models import Citation
from ragplatform.errors import NotFound
from ragplatform.factory import Platform
from ragplatform.vectorindex.base import MAX_TOP_K
from ragserve.access import can_see, owner_id, owner_metadata
from ragserve.auth import OptionalUser
from ragserve.deps import PlatformDep
from ragserve.params import Question

router = APIRouter(prefix="/rag", tags=["rag"])

MAX_EMBED_CHARS = 8000


class ChatRequest(BaseModel):
    user_id: str = Field(default="anonymous", min_length=1, max_length=200)
    question: Question
    include_history: bool = True
    use_rag: bool = True
    similarity_top_k: int = Field(
        default=3, ge=1, le=MAX_TOP_K, description=f"chunks to retrieve, 1..{MAX_TOP_K}"
    )
    vector_distance_threshold: float = Field(
        default=0.75,
        ge=0.0,
        le=2.0,
        description="largest cosine distance (0 = identical, 2 = opposite) a chunk may have to count as relevant",
    )
    session_id: str | None = Field(
        default=None,
        max_length=200,
        description="the exchange is appended to this session (created with this id when new); "
        "omitted: a new session is created and its id returned",
    )
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    username: str | None = Field(default=None, max_length=200)


class ChatResponse(BaseModel):
    answer: str
    processing_time: float = Field(description="seconds")
    session_id: str
    citations: list[Citation]
    unanswered: bool
    index_version: str | None
    source: str = Field(description="faq | rag | no_context | llm")


def ensure_session_visible(platform: Platform, session_id: str | None, user: OptionalUser) -> None:
    """An existing session the caller may not see answers 404, so nobody appends to another's
    private session; an unknown id is fine (the session is created with it)."""
    if not session_id:
        return
    try:
        session = platform.sessions.get_session(session_id)
    except NotFound:
        return
    if not can_see(session, user):
        raise NotFound("Session not found")


@router.post(
    "/chat",
    response_model=ChatResponse,
    summary="Answer a question from the promoted index and save the exchange to the session",
    description=(
        "The question and the answer are stored as a user + assistant message pair in `session_id` "
        "(visible through `/mongodb/session/{id}` and `/sessions/{id}`). An answer that starts with "
        '"I don\'t know" is sent to `WS /notify` subscribers. With a bearer token the session is private '
        "to that user and `user_id` is the token's user."
    ),
)
def chat(body: ChatRequest, platform: PlatformDep, user: OptionalUser) -> ChatResponse:
    started = time.perf_counter()
    ensure_session_visible(platform, body.session_id, user)
    meta = {k: v for k, v in body.model_dump(include={"first_name", "last_name", "username"}).items() if v}
    answer = platform.answers.ask(
        body.question,
        user_id=owner_id(user, body.user_id),
        session_id=body.session_id,
        options=AskOptions(
            top_k=body.similarity_top_k,
            distance_threshold=body.vector_distance_threshold,
            use_rag=body.use_rag,
            include_history=body.include_history,
        ),
        owner=user.id if user else None,
        session_metadata=owner_metadata(user, meta) or None,
    )
    return ChatResponse(
        answer=answer.answer,
        processing_time=round(time.perf_counter() - started, 4),
        session_id=answer.session_id,
        citations=[Citation.model_validate(c.to_dict()) for c in answer.citations],
        unanswered=answer.unanswered,
        index_version=answer.index_version,
        source=answer.source,
    )


class EmbeddingRequest(BaseModel):
    text: str = Field(
        min_length=1,
        max_length=MAX_EMBED_CHARS,
        description=f"text to embed, 1..{MAX_EMBED_CHARS} characters (not only whitespace)",
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be only whitespace")
        return value


class EmbeddingResponse(BaseModel):
    embedding: list[float] = Field(description="unit-length vector, as used for retrieval queries")
    text: str
    model: str = Field(description="the embedding model id (provider/model)")


@router.post(
    "/embedding",
    response_model=EmbeddingResponse,
    summary="Embed a text with the platform's query embedder",
    description="The vector is the one a retrieval query for this text would use.",
)
def embedding(body: EmbeddingRequest, platform: PlatformDep) -> EmbeddingResponse:
    vector = platform.embedder.embed_query(body.text)
    return EmbeddingResponse(
        embedding=[float(x) for x in vector.tolist()], text=body.text, model=platform.embedder.model_id
    )


class RagHealth(BaseModel):
    status: Literal["healthy", "degraded"]
    services: dict[str, bool] = Field(
        description=(
            "API 01's `gemini` (the answer generator, whichever provider serves it) and `pinecone` (the "
            "vector index, whichever engine serves it), and by their own names: embedder, generator, "
            "vector_index (the engine answers), serving_index (a version is promoted)"
        )
    )
    timestamp: datetime
    embedding_model: str
    generator: str
    index_version: str | None


@router.get(
    "/health",
    response_model=RagHealth,
    summary="Health of the answering path: embedder, generator, vector index and serving index",
)
def rag_health(platform: PlatformDep) -> RagHealth:
    embedder = engine_health.embedder_check(platform)
    generator = engine_health.generator_check(platform)
    vectors = engine_health.check(engine_health.engine_names(platform)[2], platform.index.health)
    index = engine_health.serving_index(platform)
    services = {
        "gemini": generator.ok,
        "pinecone": vectors.ok,
        "embedder": embedder.ok,
        "generator": generator.ok,
        "vector_index": vectors.ok,
        "serving_index": index.version is not None,
    }
    return RagHealth(
        status="healthy" if all(services.values()) else "degraded",
        services=services,
        timestamp=datetime.now(UTC),
        embedding_model=platform.embedder.model_id,
        generator=generator.detail,
        index_version=index.version,
    )
