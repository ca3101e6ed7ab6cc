"""The account a credential names, if it may still act: one rule for every kind of token."""

from __future__ import annotations

from ragplatform.content.base import ContentStore, User
from ragplatform.errors import NotFound, Unauthorized


def active_user(content: ContentStore, user_id: str, credential: str = "token") -> User:
    """The user ``user_id`` names. Raises Unauthorized when the account is gone or disabled
    (``credential`` names what carried the id, for the message)."""
    try:
        user = content.get_user(user_id)
    except NotFound as exc:
        raise Unauthorized(f"the {credential}'s user no longer exists") from exc
    if not user.is_active:
        raise Unauthorized("this account is disabled")
    return user
