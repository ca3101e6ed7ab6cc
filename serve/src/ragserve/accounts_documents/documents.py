"""``POST /api/upload`` and ``/api/documents`` (API 04): a user's own knowledge base.

An upload is parsed, chunked, embedded and written to the live per-owner collection, so the
uploader's next question (``WS /api/chat``) can cite it; no one else's answers see it. Documents
are private: another user's document id answers 404, as if it did not exist. Admins may read and
delete any document by id.
"""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile, status

from ragplatform.content.base import DocumentRecord, User
from ragplatform.errors import NotFound, TooLarge
from ragplatform.factory import Platform
from ragplatform.ingest.readers import SUPPORTED_EXTENSIONS
from ragserve.accounts_documents.schemas import DocumentDeletedPublic, DocumentPublic, UploadPublic
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.downloads import DOCUMENT_FILE_ROUTE, attachment, file_url

router = APIRouter(prefix="/api", tags=["documents"])

READ_CHUNK = 1024 * 1024
SIGNED_FILE_ROUTE = "api_signed_file"
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream"}


def public(request: Request, record: DocumentRecord) -> DocumentPublic:
    return DocumentPublic(
        id=record.id,
        filename=record.filename,
        content_type=record.content_type,
        size=record.size_bytes,
        status=record.status,
        chunks=record.chunks,
        error=record.error,
        created_at=record.created_at,
        url=file_url(request, record.id),
    )


def signed_url(request: Request, platform: Platform, document_id: str) -> str:
    """The public, expiring link of a document's file (``GET /api/files/{token}``)."""
    token = platform.documents.sign_download(document_id)
    return str(request.url_for(SIGNED_FILE_ROUTE, token=token))


def own_document(platform: Platform, document_id: str, user: User) -> DocumentRecord:
    """The document if ``user`` owns it (or is an admin). Raises NotFound otherwise."""
    missing = NotFound(f"document {document_id} not found")
    try:
        record = platform.content.get_document(document_id)
    except NotFound:
        raise missing from None
    if record.owner != user.id and user.role != "admin":
        raise missing
    return record


def read_capped(upload: UploadFile, limit: int) -> bytes:
    """Reads at most ``limit`` bytes in pieces; one byte more means the file is too large."""
    parts: list[bytes] = []
    size = 0
    while piece := upload.file.read(min(READ_CHUNK, limit + 1 - size)):
        parts.append(piece)
        size += len(piece)
        if size > limit:
            raise TooLarge(
                f"file {upload.filename!r} is larger than the upload limit of {limit} bytes", field="file"
            )
    return b"".join(parts)


def content_type_of(upload: UploadFile) -> str:
    sent = (upload.content_type or "").split(";")[0].strip().lower()
    if sent not in GENERIC_TYPES:
        return sent
    guessed, _ = mimetypes.guess_type(upload.filename or "")
    if guessed is None and (upload.filename or "").lower().endswith((".md", ".markdown")):
        guessed = "text/markdown"
    return guessed or "application/octet-stream"


SUPPORTED = ", ".join(SUPPORTED_EXTENSIONS)
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid bearer token"},
    404: {"description": "No such document, or it belongs to another user"},
    413: {
        "description": "The file is larger than the upload limit (SERVE__MAX_UPLOAD_BYTES, 20 MiB by default)"
    },
    415: {"description": f"Unsupported file type; supported: {SUPPORTED}"},
    422: {"description": "Empty, corrupt or undecodable file, or no file name"},
}


@router.post(
    "/upload",
    response_model=UploadPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a document to your knowledge base",
    description=(
        "Multipart form with the field `file`. The file is parsed, chunked and indexed at once into the "
        "caller's own collection: the caller's next question can cite it, no one else's can. "
        f"Supported types: {SUPPORTED}. Returns the public URL of the uploaded file (`url`, a signed "
        "link that needs no token and expires, see `GET /api/files/{token}`) and the document record; "
        "`document.status` is `parsed` when indexed, `failed` (with `error`) when indexing failed."
    ),
    responses={k: ERRORS[k] for k in (401, 413, 415, 422)},
)
def upload(
    request: Request,
    user: CurrentUser,
    platform: PlatformDep,
    file: UploadFile = File(description="The document to add"),  # noqa: B008
) -> UploadPublic:
    data = read_capped(file, platform.settings.serve.max_upload_bytes)
    record = platform.documents.ingest(user.id, file.filename or "", data, content_type_of(file))
    return UploadPublic(url=signed_url(request, platform, record.id), document=public(request, record))


@router.get(
    "/documents",
    response_model=list[DocumentPublic],
    summary="List your uploaded documents",
    description=(
        "The caller's documents with their metadata, newest first: a JSON list, as API document 04 "
        'describes it ("List of documents with metadata"). Page with `skip` and `limit`.'
    ),
    responses={401: ERRORS[401]},
)
def list_documents(
    request: Request,
    user: CurrentUser,
    platform: PlatformDep,
    skip: int = Query(0, ge=0, description="Documents to skip"),
    limit: int = Query(100, ge=1, le=100, description="Documents to return, 1..100"),
) -> list[DocumentPublic]:
    records = platform.content.list_documents(owner=user.id, skip=skip, limit=limit)
    return [public(request, r) for r in records]


@router.get(
    "/documents/{document_id}",
    response_model=DocumentPublic,
    summary="One of your documents",
    responses={k: ERRORS[k] for k in (401, 404)},
)
def get_document(
    document_id: str, request: Request, user: CurrentUser, platform: PlatformDep
) -> DocumentPublic:
    return public(request, own_document(platform, document_id, user))


@router.get(
    "/documents/{document_id}/file",
    name=DOCUMENT_FILE_ROUTE,
    summary="Download a document's file",
    description="The stored bytes with the type they were uploaded with, as an attachment.",
    response_class=Response,
    responses={
        200: {"description": "The file", "content": {"application/octet-stream": {}}},
        **{k: ERRORS[k] for k in (401, 404)},
    },
)
def download(document_id: str, user: CurrentUser, platform: PlatformDep) -> Response:
    record = own_document(platform, document_id, user)
    stored = platform.documents.get_file(record.id)
    return attachment(stored.data, stored.filename, stored.content_type)


@router.get(
    "/files/{token}",
    name=SIGNED_FILE_ROUTE,
    summary="Download a file by its public link (no token needed)",
    description=(
        "The link `POST /api/upload` answers with (`url`): the token in the path is signed by the server "
        "and names one document and an expiry, so no bearer token is needed. Sent as an attachment."
    ),
    response_class=Response,
    responses={
        200: {"description": "The file", "content": {"application/octet-stream": {}}},
        401: {
            "description": "The link is invalid or has expired; the owner still downloads the file, "
            "with their token, from `GET /api/documents/{document_id}/file`"
        },
        404: {"description": "The document was deleted"},
    },
)
def signed_download(token: Annotated[str, Path(max_length=512)], platform: PlatformDep) -> Response:
    stored = platform.documents.open_download(token)
    return attachment(stored.data, stored.filename, stored.content_type)


@router.delete(
    "/documents/{document_id}",
    response_model=DocumentDeletedPublic,
    summary="Delete a document",
    description="Removes the record, its indexed passages (it is no longer cited) and the stored file.",
    responses={k: ERRORS[k] for k in (401, 404)},
)
def delete_document(document_id: str, user: CurrentUser, platform: PlatformDep) -> DocumentDeletedPublic:
    record = own_document(platform, document_id, user)
    platform.documents.delete(record.id)
    return DocumentDeletedPublic(message="Document deleted", id=record.id)
