"""``/rag/*`` (API 01): chat from the promoted index (the exchange is saved to the session),
embeddings with the serving embedder, and the health of the answering path."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi import APIRouter

from ragplatform import health as engine_health
from ragplatform.answering.service import AskOptions
from ragplatform.client.models import CitationPublic
from ragserve.access import can_see, owner_id, owner_metadata
from ragserve.auth import OptionalUser
from ragserve.deps import PlatformDep
from ragserve.knowledge_assistant.schemas import (
    EmbeddingCreate,
    EmbeddingPublic,
    RagChatCreate,
    RagChatPublic,
    RagHealthPublic,
)
from ragserve.params import checked_question

router = APIRouter(prefix="/rag", tags=["rag"])


@router.post(
    "/chat",
    response_model=RagChatPublic,
    summary="Answer a question from the promoted index and save the exchange to the session",
    description=(
        "The question and the answer are stored as a user + assistant message pair in `session_id` "
        "(visible through `/mongodb/session/{id}` and `/sessions/{id}`). An answer that starts with "
        '"I don\'t know" is sent to `WS /notify` subscribers. With a bearer token the session is private '
        "to that user and `user_id` is the token's user."
    ),
)
def chat(body: RagChatCreate, platform: PlatformDep, user: OptionalUser) -> RagChatPublic:
    started = time.perf_counter()
    checked_question(platform.answers, body.question)
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
        may_continue=lambda session: can_see(session, user),
    )
    return RagChatPublic(
        answer=answer.answer,
        processing_time=round(time.perf_counter() - started, 4),
        session_id=answer.session_id,
        citations=[CitationPublic.model_validate(c.to_dict()) for c in answer.citations],
        unanswered=answer.unanswered,
        index_version=answer.index_version,
        source=answer.source,
    )


@router.post(
    "/embedding",
    response_model=EmbeddingPublic,
    summary="Embed a text with the platform's query embedder",
    description="The vector is the one a retrieval query for this text would use.",
)
def embedding(body: EmbeddingCreate, platform: PlatformDep) -> EmbeddingPublic:
    vector = platform.embedder.embed_query(body.text)
    return EmbeddingPublic(
        embedding=[float(x) for x in vector.tolist()], text=body.text, model=platform.embedder.model_id
    )


@router.get(
    "/health",
    response_model=RagHealthPublic,
    summary="Health of the answering path: embedder, generator, vector index and serving index",
)
def rag_health(platform: PlatformDep) -> RagHealthPublic:
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
    return RagHealthPublic(
        status="healthy" if all(services.values()) else "degraded",
        services=services,
        timestamp=datetime.now(UTC),
        embedding_model=platform.embedder.model_id,
        generator=generator.detail,
        index_version=index.version,
    )
