"""Errors the API client raises, one small tree (httpx's ``_exceptions.py`` is the model).

    ApiError               any answer the client cannot turn into a result (``status``, ``detail``)
    ├── AuthError          401/403: wrong password, expired or invalid token, not an admin
    ├── NotFoundError      404: the thing asked for does not exist (or is not visible)
    ├── ConflictError      409: it exists already, or the change clashes with another one
    ├── ValidationFailed   422, or a 400 naming its ``field``: bad input; ``field_errors`` maps a
    │                      field name to its message
    └── ApiUnavailable     connection refused, timeout, or a 5xx: the API cannot answer now

``str(error)`` is a sentence a person can act on; pages show it as it is.
"""

from __future__ import annotations


class ApiError(Exception):
    """The API refused or could not serve a request. ``status`` is None when no answer came."""

    def __init__(self, status: int | None, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class AuthError(ApiError):
    """401/403: sign in (again), or use an account that may do this."""


class NotFoundError(ApiError):
    """404."""


class ConflictError(ApiError):
    """409."""


class ValidationFailed(ApiError):
    """422 (or a 400 that names its ``field``, as API 02's agents, workflows and payments answer).
    ``field_errors``: field name (``name``, ``price.0.amount``, ``inputs.top_k``) → message;
    ``""`` for the form."""

    def __init__(self, status: int | None, detail: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(status, detail)
        self.field_errors = field_errors or {}


class ApiUnavailable(ApiError):
    """The API is not reachable, did not answer in time, or failed with a 5xx."""
