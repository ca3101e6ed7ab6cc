"""Every user's uploaded documents, for admins (the console's Content page).

``GET /api/documents`` lists the caller's own documents only; admins need all of them,
with their owner. Uploading (``POST /api/upload``) and deleting
(``DELETE /api/documents/{id}``, which lets admins delete any document) stay where API 04 has them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ragserve.admin.schemas import ADMIN_ERRORS, AdminDocumentPublic
from ragserve.auth import AdminUser
from ragserve.deps import PlatformDep
from ragserve.downloads import file_url
from ragserve.params import Limit, Offset
from ragserve.users import user_id_for, usernames

router = APIRouter(prefix="/api/admin", tags=["admin: documents"])


@router.get(
    "/documents",
    response_model=list[AdminDocumentPublic],
    summary="Every user's uploaded documents, newest first",
    description=(
        "Each with its status (`parsed`: indexed and searchable by its owner; `failed`: see `error`), "
        "chunk count and owner. `owner` is a username or a user id."
    ),
    responses=ADMIN_ERRORS,
)
def list_documents(
    request: Request,
    platform: PlatformDep,
    _: AdminUser,
    owner: Annotated[str | None, Query(max_length=200, description="only this user's documents")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AdminDocumentPublic]:
    owner_id = user_id_for(platform, owner) if owner and owner.strip() else None
    records = platform.content.list_documents(owner=owner_id, skip=offset, limit=limit)
    names = usernames(platform, (r.owner for r in records))
    return [
        AdminDocumentPublic(
            id=r.id,
            filename=r.filename,
            content_type=r.content_type,
            size=r.size_bytes,
            status=r.status,
            chunks=r.chunks,
            error=r.error,
            created_at=r.created_at,
            url=file_url(request, r.id),
            owner=r.owner,
            owner_name=names.get(r.owner),
        )
        for r in records
    ]
