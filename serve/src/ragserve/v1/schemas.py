"""Request and response bodies of API document 05 (``/api/v1`` and ``/internal``).

The JSON field names are the document's ("Chat Structure", "Message Structure", "File Structure",
``fileid`` and ``userid`` included); the class names follow the full-stack FastAPI template:
``ChatCreate``, ``ChatPublic``, ``ChatsPublic``, ``ChatMessagePublic``, ``FilePublic``, ...
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ragplatform.client.models import Message
from ragplatform.content.base import DocumentRecord, Role, User
from ragplatform.sessions.base import Message as StoredMessage
from ragplatform.sessions.base import MessageRole

__all__ = [
    "ChatCreate",
    "ChatMessagePublic",
    "ChatPublic",
    "ChatsPublic",
    "FilePublic",
    "InternalHealthPublic",
    "Message",
    "ModelPublic",
    "ModelsPublic",
    "TokenRefreshedPublic",
    "UserPublic",
]

PRINTABLE = r"^[^\x00-\x1f\x7f]+$"


# -- auth ---------------------------------------------------------------------------


class UserPublic(BaseModel):
    id: str
    email: str
    full_name: str
    role: Role
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            id=user.id,
            email=user.username,
            full_name=user.full_name,
            role=user.role,
            is_active=user.is_active,
            created_at=user.created_at,
        )


class TokenRefreshedPublic(BaseModel):
    user: UserPublic
    access_token_expires_at: datetime = Field(description="when the new access_token cookie expires")


# -- chat ---------------------------------------------------------------------------


class ChatCreate(BaseModel):
    model_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=PRINTABLE,
        description="default: the first model of GET /api/v1/model",
    )
    model_api_source: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=PRINTABLE,
        description="default: the provider of model_id's default",
    )


class FilePublic(BaseModel):
    """The document's "File Structure", with ``status`` and ``chunks`` besides."""

    fileid: str
    filename: str
    uploaded_at: datetime
    userid: str
    content_type: str
    size: int = Field(description="bytes")
    object_key: str
    status: str = Field(description="uploaded | parsed | failed: whether the file is searchable in the chat")
    chunks: int = Field(description="indexed chunks")

    @classmethod
    def of(cls, record: DocumentRecord) -> FilePublic:
        return cls(
            fileid=record.id,
            filename=record.filename,
            uploaded_at=record.created_at,
            userid=record.owner,
            content_type=record.content_type,
            size=record.size_bytes,
            object_key=record.storage_key,
            status=record.status,
            chunks=record.chunks,
        )


class ChatPublic(BaseModel):
    """The document's "Chat Structure", with ``title`` besides."""

    chat_id: str
    user_id: str
    current_model_id: str
    current_model_api_source: str
    created_timestamp: datetime
    title: str = Field(description="the first question, once there is one")
    files: list[FilePublic]


class ChatsPublic(BaseModel):
    items: list[ChatPublic]
    total: int
    page: int
    size: int
    pages: int


class ChatMessagePublic(BaseModel):
    """The document's "Message Structure"."""

    message_id: str
    chat_id: str
    role: MessageRole
    content: str
    files: list[str] = Field(description="ids of files attached to this message")
    timestamp: datetime

    @classmethod
    def of(cls, message: StoredMessage) -> ChatMessagePublic:
        files = message.metadata.get("files") or []
        return cls(
            message_id=message.id,
            chat_id=message.session_id,
            role=message.role,
            content=message.content,
            files=[str(f) for f in files] if isinstance(files, list) else [],
            timestamp=message.created_at,
        )


# -- models -------------------------------------------------------------------------


class ModelPublic(BaseModel):
    id: str = Field(description="what POST /api/v1/chat takes as model_id")
    name: str
    api_source: str = Field(
        description="the provider: local, extractive, openai, ollama, anthropic or gemini"
    )
    provider: str = Field(description="the provider's display name")
    default: bool = Field(description="the first of the chain: what a new chat uses")
    fallback_order: int = Field(description="0-based position in the fallback chain")


class ModelsPublic(BaseModel):
    items: list[ModelPublic]
    total: int
    page: int
    size: int
    pages: int


# -- internal -----------------------------------------------------------------------


class InternalHealthPublic(BaseModel):
    status: str = Field(description="ok | degraded (an engine is unavailable; the reply is then a 503)")
    version: str
    timestamp: datetime
    engines: dict[str, str] = Field(description="engine → ok | unavailable: <reason>")
    index_version: str | None = Field(description="the promoted index version being served")
