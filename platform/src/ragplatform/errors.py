"""One error tree for the whole platform.

Adapters translate their driver's exceptions into these; only ``ragserve``
maps them to HTTP status codes (in one exception handler).

    RagPlatformError
    ├── NotFound            a thing asked for by id/name does not exist      → 404
    ├── Conflict            it exists already / a concurrent change won       → 409
    ├── InvalidInput        the caller's input is wrong; message says how     → 422
    │   ├── UnsupportedMedia  a file type we cannot parse                    → 415
    │   ├── BadAgentRequest   unknown agent or input its model refuses     → 400 (API 02)
    │   └── BadRequest        a request refused as a whole (a forged webhook) → 400
    ├── TooLarge            input over a documented limit                      → 413
    ├── PermissionDenied    authenticated but not allowed                      → 403
    ├── Unauthorized        no or bad credentials                              → 401
    ├── PromotionRefused    the evaluation gate refused a promotion            → 409
    └── BackendUnavailable  an engine or provider cannot be reached            → 503
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager


class RagPlatformError(Exception):
    """Base of every error the platform raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(RagPlatformError):
    """The requested object does not exist (or is not visible to the caller)."""


class Conflict(RagPlatformError):
    """The object exists already, or a concurrent change made this one invalid."""


class InvalidInput(RagPlatformError):
    """The caller's input is invalid; the message names the value and the allowed range.

    ``field`` (a dotted path such as ``body.question``, or a parameter name) and ``value`` say what
    was wrong without parsing English; the HTTP layer sends them beside ``detail``.
    """

    def __init__(self, message: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class UnsupportedMedia(InvalidInput):
    """A file whose type the platform cannot parse."""


class TooLarge(InvalidInput):
    """Input over a documented size limit."""


class BadAgentRequest(InvalidInput):
    """An agent invocation the platform refuses before running it: an unknown ``agent_type``, or an
    ``input`` its agent's model rejects (API 02 answers these 400 ``BAD_REQUEST``)."""


class BadRequest(InvalidInput):
    """A request refused as a whole, which its API answers 400: a webhook whose signature is
    missing, forged or stale, a checkout with no price to charge."""


class Unauthorized(RagPlatformError):
    """Missing or invalid credentials."""


class PermissionDenied(RagPlatformError):
    """Authenticated, but not allowed to do this."""


class PromotionRefused(Conflict):
    """The evaluation gate refused to promote a candidate index version."""


class BackendUnavailable(RagPlatformError):
    """An engine or provider (database, vector store, LLM endpoint) cannot be reached."""


ErrorFactory = Callable[[Exception], RagPlatformError]


@contextmanager
def map_exceptions(mapping: Mapping[type[Exception], ErrorFactory]) -> Iterator[None]:
    """Translate a driver's own exception types into this tree (httpx's ``map_exceptions``).

    Only the types in ``mapping`` are translated (the most specific match wins), with the
    original chained as ``__cause__``; anything else propagates unchanged, so a bug stays a bug.
    """
    try:
        yield
    except RagPlatformError:
        raise
    except Exception as exc:
        matches = [t for t in mapping if isinstance(exc, t)]
        if not matches:
            raise
        best = max(matches, key=lambda t: len(t.__mro__))
        raise mapping[best](exc) from exc
