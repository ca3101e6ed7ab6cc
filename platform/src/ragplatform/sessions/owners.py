"""Who owns a session: an account, or a client of an open dialect.

Sessions made with a token belong to the account (``user_id`` is the account's id and the session
is private). The open dialects (API 01, 03) take any ``user_id`` a client sends; those ids live in
their own namespace (``open:<id>``), so a client that sends an account's id as its ``user_id``
neither writes into nor reads that account's sessions.
"""

from __future__ import annotations

from typing import Any

from ragplatform.sessions.base import Session

OPEN_PREFIX = "open:"
ANONYMOUS = "anonymous"


def open_owner(client_user_id: str | None) -> str:
    """The stored owner of an open-dialect client's sessions (``open:anonymous`` without an id)."""
    value = (client_user_id or "").strip() or ANONYMOUS
    return value if value.startswith(OPEN_PREFIX) else f"{OPEN_PREFIX}{value}"


def is_open_owner(owner: str) -> bool:
    return owner.startswith(OPEN_PREFIX)


def client_user_id(owner: str) -> str:
    """The ``user_id`` an open-dialect client sent (what its responses show); an account id as is."""
    return owner.removeprefix(OPEN_PREFIX)


def may_see(session: Session, user_id: str | None, role: str | None = None) -> bool:
    """Whether a caller sees ``session``: open sessions are seen by anyone holding the id; a private
    one (``metadata.private``) only by its owner or an admin. Everyone else is told "not found"."""
    if not session.metadata.get("private"):
        return True
    return user_id is not None and (user_id == session.user_id or role == "admin")


def session_owner(user_id: str | None, client_user_id: str | None = None) -> str:
    """The stored owner of a new session: the account when signed in, else the open namespace."""
    return user_id if user_id is not None else open_owner(client_user_id)


def session_metadata(user_id: str | None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Metadata for a new session: private to the account when signed in."""
    meta = dict(extra or {})
    if user_id is not None:
        meta["private"] = True
    return meta
