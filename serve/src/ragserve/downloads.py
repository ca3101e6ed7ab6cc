"""File downloads every package serves the same way: the URL of a document's file, and the response
that sends stored bytes as an attachment (RFC 6266 / 5987 file name, ``nosniff``)."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from fastapi import Request, Response

DOCUMENT_FILE_ROUTE = "api_document_file"


def file_url(request: Request, document_id: str) -> str:
    """Where the owner (with their bearer token) downloads a document's file."""
    return str(request.url_for(DOCUMENT_FILE_ROUTE, document_id=document_id))


def ascii_fallback(filename: str) -> str:
    """A plain-ASCII stand-in for old clients: no quotes, backslashes or control characters."""
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    safe = "".join(ch if ch.isprintable() and ch not in '"\\;' else "_" for ch in folded).strip()
    return safe or "download"


def content_disposition(filename: str) -> str:
    """``attachment`` with both the ASCII ``filename`` and the UTF-8 ``filename*`` (RFC 6266, 5987)."""
    encoded = quote(filename.encode("utf-8", "surrogatepass").decode("utf-8", "replace"), safe="")
    return f"attachment; filename=\"{ascii_fallback(filename)}\"; filename*=UTF-8''{encoded}"


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
