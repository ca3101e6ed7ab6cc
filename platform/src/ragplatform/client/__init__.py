"""A typed, synchronous client of the served API: ``RagClient`` and the models it returns."""

from ragplatform.client.api import RagClient
from ragplatform.client.errors import (
    ApiError,
    ApiUnavailable,
    AuthError,
    ConflictError,
    NotFoundError,
    ValidationFailed,
)
from ragplatform.client.models import *  # noqa: F403
from ragplatform.client.models import __all__ as _models

__all__ = [
    "ApiError",
    "ApiUnavailable",
    "AuthError",
    "ConflictError",
    "NotFoundError",
    "RagClient",
    "ValidationFailed",
    *_models,
]
