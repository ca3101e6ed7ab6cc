"""File downloads every package serves the same way: the URL of a document's file, and the response
that sends stored bytes as an attachment (RFC 6266 / 5987 file name from
``ragplatform.documents.names``, ``nosniff``, never cached by shared caches)."""

from __future__ import annotations

from fastapi import Request, Response

from ragplatform.documents.names import content_disposition

DOCUMENT_FILE_ROUTE = "api_document_file"


def file_url(request: Request, document_id: str) -> str:
    """Where the owner (with their bearer token) downloads a document's file."""
    return str(request.url_for(DOCUMENT_FILE_ROUTE, document_id=document_id))


def attachment(data: bytes, filename: str, media_type: str) -> Response:
    """The stored bytes as a download that browsers never render or sniff."""
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
