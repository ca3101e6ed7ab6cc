"""Who owns a session: an account, or a client of an open dialect.

Sessions made with a token belong to the account (``user_id`` is the account's id and the session
is private). The open dialects (API 01, 03) take any ``user_id`` a client sends; those ids live in
their own namespace (``open:<id>``), so a client that sends an account's id as its ``user_id``
neither writes into nor reads that account's sessions.
"""

from __future__ import annotations

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
