"""``POST /rag/chat`` (API 01): answer from the promoted index, save the exchange to the session."""

from __future__ import annotations

import time

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ragplatform.answering.service import AskOptions
from ragplatform.vectorindex.base import MAX_TOP_K
from ragserve.deps import Answers

router = APIRouter(prefix="/rag", tags=["rag"])

MAX_QUESTION_CHARS = 4000


class ChatRequest(BaseModel):
    user_id: str = Field(default="anonymous", min_length=1, max_length=200)
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
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
    session_id: str | None = Field(default=None, max_length=200)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    username: str | None = Field(default=None, max_length=200)


class CitationOut(BaseModel):
    chunk_id: str
    source: str
    title: str
    section: str
    score: float
    text: str


class ChatResponse(BaseModel):
    answer: str
    processing_time: float = Field(description="seconds")
    session_id: str
    citations: list[CitationOut]
    unanswered: bool
    index_version: str | None
    source: str = Field(description="faq | rag | no_context | llm")


@router.post("/chat", response_model=ChatResponse)
def chat(body: ChatRequest, answers: Answers) -> ChatResponse:
    started = time.perf_counter()
    meta = {k: v for k, v in body.model_dump(include={"first_name", "last_name", "username"}).items() if v}
    answer = answers.ask(
        body.question,
        user_id=body.user_id,
        session_id=body.session_id,
        options=AskOptions(
            top_k=body.similarity_top_k,
            distance_threshold=body.vector_distance_threshold,
            use_rag=body.use_rag,
            include_history=body.include_history,
        ),
        session_metadata=meta or None,
    )
    return ChatResponse(
        answer=answer.answer,
        processing_time=round(time.perf_counter() - started, 4),
        session_id=answer.session_id,
        citations=[CitationOut(**c.__dict__) for c in answer.citations],
        unanswered=answer.unanswered,
        index_version=answer.index_version,
        source=answer.source,
    )
