"""The admins' playground: ask the serving index with adjustable retrieval parameters and see
every step (the console's Playground page).

It runs the same answering path as every dialect (FAQ, then retrieval, then generation), but
stores nothing: no session, no query-log row, no unanswered item, no notification.
"""

from __future__ import annotations

from fastapi import APIRouter

from ragplatform.answering.service import AskOptions
from ragserve.admin.schemas import (
    ADMIN_ERRORS,
    CitationPublic,
    PlaygroundChunkPublic,
    PlaygroundPublic,
    PlaygroundRequest,
    PlaygroundTimingsPublic,
)
from ragserve.auth import AdminUser
from ragserve.deps import PlatformDep
from ragserve.params import checked_question

router = APIRouter(prefix="/api/admin", tags=["admin: playground"])


@router.post(
    "/playground",
    response_model=PlaygroundPublic,
    summary="Ask the serving index with these retrieval parameters and see each step",
    description=(
        "The retrieved chunks (score, distance, source, whether they are relevant), the answer with "
        "citations, whether the FAQ answered, and the time spent embedding, searching and generating. "
        "Nothing is stored or counted in the metrics."
    ),
    responses={
        **ADMIN_ERRORS,
        404: {"description": "no index version is promoted to production"},
        422: {
            "description": "empty question or longer than ANSWER__MAX_QUESTION_CHARS; a parameter out of range"
        },
    },
)
def playground(body: PlaygroundRequest, platform: PlatformDep, _: AdminUser) -> PlaygroundPublic:
    checked_question(platform.answers, body.question)
    options = AskOptions(
        top_k=body.top_k,
        distance_threshold=body.distance_threshold,
        mode=body.mode,
        alpha=body.alpha,
        fusion=body.fusion,
        include_history=False,
    )
    answer = platform.answers.ask(
        body.question, user_id="playground", options=options, persist=False, record=False
    )
    defaults = platform.serving.current.retriever.defaults
    threshold = platform.answers.relevance_cut(options)
    cited = {c.chunk_id for c in answer.citations}
    chunks = [
        PlaygroundChunkPublic(
            rank=rank,
            chunk_id=h.chunk.id,
            score=round(h.score, 6),
            distance=None if h.distance is None else round(h.distance, 6),
            relevant=h.chunk.id in cited,
            source=h.chunk.source,
            title=h.chunk.title,
            section=h.chunk.section,
            text=h.chunk.text,
        )
        for rank, h in enumerate(answer.hits, 1)
    ]
    t = answer.timings
    return PlaygroundPublic(
        question=body.question.strip(),
        answer=answer.answer,
        citations=[CitationPublic.model_validate(c.to_dict()) for c in answer.citations],
        answered_from_faq=answer.source == "faq",
        faq_id=answer.faq_id,
        unanswered=answer.unanswered,
        source=answer.source,
        index_version=answer.index_version,
        generator=answer.generator,
        mode=body.mode or defaults.mode,
        top_k=body.top_k or platform.settings.answer.top_k,
        alpha=defaults.alpha if body.alpha is None else body.alpha,
        fusion=body.fusion or defaults.fusion,
        distance_threshold=threshold,
        chunks=chunks,
        timings=PlaygroundTimingsPublic(
            embed_ms=t.get("embed_ms", 0.0),
            search_ms=t.get("retrieval_ms", 0.0),
            generate_ms=t.get("generation_ms", 0.0),
            total_ms=t.get("total_ms", 0.0),
        ),
    )
