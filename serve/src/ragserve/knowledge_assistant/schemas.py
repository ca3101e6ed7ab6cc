"""Request and response schemas of API document 01 (the knowledge assistant), named as the
full-stack FastAPI template does (``XCreate`` bodies, ``XPublic`` answers). Field names are the
document's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from ragplatform.client.models import CitationPublic
from ragplatform.content.base import MAX_LONG
from ragplatform.vectorindex.base import MAX_TOP_K
from ragserve.params import Question


class RootPublic(BaseModel):
    message: str
    documentation: str


DEFAULT_FACTOR = "user"


DEFAULT_ACTION = "asking_freely"


ShortText = Annotated[str, Field(max_length=200)]


class ExchangeCreate(BaseModel):
    session_id: str = Field(min_length=1, max_length=200, description="the client's id for the conversation")
    factor: ShortText = Field(default=DEFAULT_FACTOR, description="who spoke, e.g. user")
    action: ShortText = Field(default=DEFAULT_ACTION, description="what the client did, e.g. asking_freely")
    message: str = Field(min_length=1, max_length=MAX_LONG, description="the user's question")
    user_id: str = Field(min_length=1, max_length=200)
    username: ShortText = ""
    first_name: ShortText = ""
    last_name: ShortText = ""
    response: str = Field(
        default="",
        max_length=MAX_LONG,
        description="the answer; empty when not known yet (set it later with PUT .../response)",
    )

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        """Refused up front, so an exchange is never half stored (the database refuses NUL)."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL (\\x00) characters")
        return value


class ExchangePublic(BaseModel):
    """One exchange of a session: the question (``message``) and its answer (``response``)."""

    session_id: str
    created_at: datetime = Field(description="when this exchange's question was stored (UTC)")
    factor: str
    action: str
    message: str = Field(description="the question; empty when the session has no question yet")
    user_id: str
    username: str
    first_name: str
    last_name: str
    response: str = Field(description="the answer; empty when not answered yet")


class ResponseUpdatedPublic(BaseModel):
    status: str
    message: str
    session_id: str


class HistoryItemPublic(BaseModel):
    question: str
    answer: str


class HistoryPublic(BaseModel):
    history: list[HistoryItemPublic]


class SessionStoreHealthPublic(BaseModel):
    status: str
    timestamp: datetime


class NotifyInfoPublic(BaseModel):
    websocket_endpoint: str
    connection_type: str
    protocol: str = Field(description='"ws://" or "wss://", following the scheme this request came in on')
    server: str
    port: str
    full_url: str
    description: str
    notification_format: dict[str, Any]
    client_example: str


class DeletedPublic(BaseModel):
    status: str = Field(description="success")
    message: str


class DatabaseHealthPublic(BaseModel):
    status: str
    version: str = Field(description='engine and version, e.g. "PostgreSQL 16.2"')
    tables: list[str]


MAX_EMBED_CHARS = 8000


class RagChatCreate(BaseModel):
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


class RagChatPublic(BaseModel):
    answer: str
    processing_time: float = Field(description="seconds")
    session_id: str
    citations: list[CitationPublic]
    unanswered: bool
    index_version: str | None
    source: str = Field(description="faq | rag | no_context | llm")


class EmbeddingCreate(BaseModel):
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


class EmbeddingPublic(BaseModel):
    embedding: list[float] = Field(description="unit-length vector, as used for retrieval queries")
    text: str
    model: str = Field(description="the embedding model id (provider/model)")


class RagHealthPublic(BaseModel):
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
