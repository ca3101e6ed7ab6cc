"""Admins name users by username; the stores key sessions and documents by user id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from ragplatform.errors import InvalidInput, NotFound
from ragplatform.factory import Platform
from ragplatform.sessions.owners import open_owner


def user_id_for(platform: Platform, user: str) -> str:
    """The id of the account named ``user`` (username, case-insensitive), else the open-dialect owner
    ``user`` names: open dialects (API 01, 03) key sessions by ``open:<the user_id the client sent>``."""
    value = user.strip()
    try:
        return platform.content.get_user_by_username(value.lower()).id
    except (NotFound, InvalidInput):
        return value if is_account(platform, value) else open_owner(value)


def is_account(platform: Platform, user_id: str) -> bool:
    """Whether ``user_id`` is an account's id (account ids are UUIDs; open clients send any string)."""
    try:
        uuid.UUID(user_id)
        platform.content.get_user(user_id)
    except (ValueError, NotFound, InvalidInput):
        return False
    return True


def usernames(platform: Platform, user_ids: Iterable[str | None]) -> dict[str, str]:
    """Username per user id, for the ids that are accounts."""
    names: dict[str, str] = {}
    for user_id in {u for u in user_ids if u}:
        try:
            names[user_id] = platform.content.get_user(user_id).username
        except (NotFound, InvalidInput):
            continue
    return names
