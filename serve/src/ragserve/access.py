"""Who may see a conversation, the same rule for every dialect.

Sessions created by a signed-in user (APIs 04, 05, Socket.IO, or 01/03 called with
a token) are private: ``metadata.private`` is true and ``user_id`` is the user's id;
only that user (or an admin) sees them, and anyone else gets 404, never 403.
Sessions created through the open dialects without a token (01, 03) are open:
anyone holding the id may read and continue them, as those documents promise. Their
``user_id`` lives in its own namespace (``ragplatform.sessions.owners``): a client that sends
an account's id as ``user_id`` writes to and reads from ``open:<that id>``, never the account.
"""

from __future__ import annotations

from typing import Any

from ragplatform.content.base import User
from ragplatform.errors import NotFound
from ragplatform.factory import Platform
from ragplatform.sessions.base import Session
from ragplatform.sessions.owners import may_see, session_metadata, session_owner


def can_see(session: Session, user: User | None) -> bool:
    return may_see(session, user.id if user else None, user.role if user else None)


def visible_session(platform: Platform, session_id: str, user: User | None, what: str = "Session") -> Session:
    """The session if the caller may see it. Raises NotFound("Session not found")."""
    try:
        session = platform.sessions.get_session(session_id)
    except NotFound:
        raise NotFound(f"{what} not found") from None
    if not can_see(session, user):
        raise NotFound(f"{what} not found")
    return session


def owner_metadata(user: User | None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Metadata for a new session: private to ``user`` when signed in."""
    return session_metadata(user.id if user else None, extra)


def owner_id(user: User | None, fallback: str | None = None) -> str:
    """The stored owner: the account when signed in, else the open namespace of ``fallback``."""
    return session_owner(user.id if user else None, fallback)
