"""``/api/v1/chat`` (API 05): a user's chats, their messages and their files.

A chat is a session (the same one the other dialects see) whose metadata holds
``model_id`` and ``model_api_source``, which choose the generator of its answers
(``ragplatform/generation/providers.py``); it is private to its user (others get 404).
Files uploaded to a chat are ingested into the user's documents with the chat's id,
so answers in that chat can cite them; deleting the chat deletes them (bytes,
records and indexed chunks) with its messages.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from ragplatform.content.base import DocumentRecord, User
from ragplatform.errors import InvalidInput, NotFound, PermissionDenied, TooLarge
from ragplatform.factory import Platform
from ragplatform.generation.catalog import default_model
from ragplatform.generation.providers import choose_chat_model
from ragplatform.sessions.base import Session
from ragserve.access import visible_session
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.downloads import attachment
from ragserve.v1.schemas import ChatCreate, ChatMessagePublic, ChatPublic, ChatsPublic, FilePublic

router = APIRouter(prefix="/api/v1/chat", tags=["v1 chat"])

MAX_FILES_PER_UPLOAD = 20
MAX_FILES_PER_CHAT = 1000
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such chat, or it belongs to another user"}
}
# API document 05's status list is generic ("200 - Success", "400 - Bad Request (invalid
# parameters)"); where a route answers otherwise, its description says so and why.
CREATED_NOTE = (
    "Answers 201 Created, a success status: API document 05 lists `200 - Success` generically, and "
    "201 tells a client that something new exists (clients checking for a 2xx are unaffected). "
)
NO_CONTENT_NOTE = (
    "Answers 204 No Content, a success status without a body: API document 05 lists `200 - Success` "
    "generically and specifies no body for a delete. "
)
INVALID_NOTE = (
    "Invalid parameters are answered 422 with a `detail` naming the field (FastAPI's validation "
    "error), where the document lists 400; a 400 would carry no field."
)


def _files(platform: Platform, chat_id: str) -> list[DocumentRecord]:
    return platform.content.list_documents(chat_id=chat_id, limit=MAX_FILES_PER_CHAT)


def _chat(platform: Platform, session: Session) -> ChatPublic:
    model_id, source = default_model(platform.settings)
    return ChatPublic(
        chat_id=session.id,
        user_id=session.user_id,
        current_model_id=str(session.metadata.get("model_id") or model_id),
        current_model_api_source=str(session.metadata.get("model_api_source") or source),
        created_timestamp=session.created_at,
        title=session.title,
        files=[FilePublic.of(d) for d in _files(platform, session.id)],
    )


def _owned(platform: Platform, chat_id: str, user: User) -> Session:
    """The chat if the caller may change it: their own (or any, for an admin)."""
    session = visible_session(platform, chat_id, user, "Chat")
    if session.user_id != user.id and user.role != "admin":
        raise PermissionDenied("only the chat's owner may change it")
    return session


def _chat_file(platform: Platform, chat_id: str, file_id: str) -> DocumentRecord:
    if "\x00" in file_id:  # no id contains NUL, and PostgreSQL text cannot hold one
        raise NotFound("File not found")
    try:
        record = platform.content.get_document(file_id)
    except NotFound:
        raise NotFound("File not found") from None
    if record.chat_id != chat_id:
        raise NotFound("File not found")
    return record


@router.get("", response_model=ChatsPublic, summary="The caller's chats, newest activity first")
def list_chats(
    user: CurrentUser,
    platform: PlatformDep,
    page: Annotated[int, Query(ge=1, le=100_000, description="1-based")] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="chats per page, 1..100")] = 20,
) -> ChatsPublic:
    total = platform.sessions.count_sessions(user_id=user.id)
    sessions = platform.sessions.list_sessions(user_id=user.id, skip=(page - 1) * size, limit=size)
    return ChatsPublic(
        items=[_chat(platform, s) for s in sessions],
        total=total,
        page=page,
        size=size,
        pages=math.ceil(total / size),
    )


@router.post(
    "",
    response_model=ChatPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Create a chat",
    responses={400: {"description": "an unknown provider, or one not configured (names the setting)"}},
    description=CREATED_NOTE
    + "`model_id` and `model_api_source` default to the first model of `GET /api/v1/model`; a model "
    "not in that list needs its `model_api_source`. The chat's answers (in every dialect and in its "
    "Socket.IO room) come from that model's provider; one whose provider is not configured is "
    "refused 400, the `detail` naming the setting to add. " + INVALID_NOTE,
)
def create_chat(body: ChatCreate, user: CurrentUser, platform: PlatformDep) -> ChatPublic:
    model_id, source = choose_chat_model(platform.settings, body.model_id, body.model_api_source)
    meta = {"private": True, "dialect": "v1", "model_id": model_id, "model_api_source": source}
    session = platform.sessions.create_session(user.id, metadata=meta)
    return _chat(platform, session)


@router.get("/{chat_id}", response_model=ChatPublic, responses=NOT_FOUND, summary="One chat")
def get_chat(chat_id: str, user: CurrentUser, platform: PlatformDep) -> ChatPublic:
    return _chat(platform, visible_session(platform, chat_id, user, "Chat"))


@router.delete(
    "/{chat_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
    summary="Delete a chat with its messages and files (bytes, records and indexed chunks)",
    description=NO_CONTENT_NOTE,
)
def delete_chat(chat_id: str, user: CurrentUser, platform: PlatformDep) -> Response:
    session = _owned(platform, chat_id, user)
    platform.documents.delete_chat_files(session.id)
    platform.sessions.delete_session(session.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{chat_id}/messages",
    response_model=list[ChatMessagePublic],
    responses=NOT_FOUND,
    summary="Messages, oldest first",
)
def list_messages(
    chat_id: str,
    user: CurrentUser,
    platform: PlatformDep,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="only the last `limit` messages")] = None,
) -> list[ChatMessagePublic]:
    session = visible_session(platform, chat_id, user, "Chat")
    return [ChatMessagePublic.of(m) for m in platform.sessions.list_messages(session.id, limit=limit)]


@router.post(
    "/{chat_id}/upload",
    operation_id="upload_chat_files",  # names the form's schema Body_upload_chat_files
    response_model=list[FilePublic],
    status_code=status.HTTP_201_CREATED,
    description=CREATED_NOTE + INVALID_NOTE,
    responses={
        **NOT_FOUND,
        413: {"description": "a file is over the upload limit"},
        415: {"description": "a file type that cannot be read"},
        422: {"description": "an empty or corrupt file, or too many files"},
    },
    summary="Upload files (field `files`, several allowed); all are stored or none",
)
def upload(
    chat_id: str,
    files: Annotated[list[UploadFile], File(description=f"1..{MAX_FILES_PER_UPLOAD} files")],
    user: CurrentUser,
    platform: PlatformDep,
) -> list[FilePublic]:
    session = _owned(platform, chat_id, user)
    if not 1 <= len(files) <= MAX_FILES_PER_UPLOAD:
        raise InvalidInput(
            f"send 1..{MAX_FILES_PER_UPLOAD} files per upload, got {len(files)}",
            field="files",
            value=len(files),
        )
    limit = platform.settings.serve.max_upload_bytes
    payloads: list[tuple[str, bytes, str | None]] = []
    for f in files:
        data = f.file.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(f"file {f.filename!r} is over the upload limit of {limit} bytes", field="files")
        payloads.append((f.filename or "", data, f.content_type))
    stored = platform.documents.ingest_all(session.user_id, payloads, chat_id=session.id)
    return [FilePublic.of(r) for r in stored]


@router.get(
    "/{chat_id}/files", response_model=list[FilePublic], responses=NOT_FOUND, summary="The chat's files"
)
def list_files(chat_id: str, user: CurrentUser, platform: PlatformDep) -> list[FilePublic]:
    session = visible_session(platform, chat_id, user, "Chat")
    return [FilePublic.of(d) for d in _files(platform, session.id)]


@router.get(
    "/{chat_id}/files/{file_id}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "the file's bytes"},
        **NOT_FOUND,
    },
    summary="Download a file (its own Content-Type, attachment with its name)",
)
def download_file(chat_id: str, file_id: str, user: CurrentUser, platform: PlatformDep) -> Response:
    session = visible_session(platform, chat_id, user, "Chat")
    record = _chat_file(platform, session.id, file_id)
    try:
        stored = platform.documents.get_file(record.id)
    except NotFound:
        raise NotFound("File not found") from None
    return attachment(stored.data, stored.filename, stored.content_type)


@router.delete(
    "/{chat_id}/files/{file_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
    summary="Delete a file from a chat (idempotent: 204 also when it is already gone)",
    description=NO_CONTENT_NOTE,
)
def delete_file(chat_id: str, file_id: str, user: CurrentUser, platform: PlatformDep) -> Response:
    session = _owned(platform, chat_id, user)
    try:
        record = _chat_file(platform, session.id, file_id)
        platform.documents.delete(record.id)
    except NotFound:
        pass
    return Response(status_code=status.HTTP_204_NO_CONTENT)
