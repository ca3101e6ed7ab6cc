"""Request bodies no route has to survive: a pure ASGI middleware in front of the whole app.

- **Size.** A body over the limit answers 413, whether it declares its length or streams it
  chunked: bytes are counted as they arrive and never read past the limit. Multipart bodies
  (uploads) may be as large as the upload limit plus room for the form's framing; the upload
  routes check the file itself against ``serve.max_upload_bytes``.
- **JSON values the platform cannot carry.** ``NaN``, ``Infinity``, numbers that overflow a 64-bit
  float or have more digits than Python reads, and strings holding a lone UTF-16 surrogate or a
  NUL character answer 422 in FastAPI's validation shape, naming the field. Each of them breaks
  later and farther away otherwise: the echo of the value in a validation error cannot be written
  as JSON, PostgreSQL refuses them, UTF-8 encoding fails in the drivers.

Everything else reaches the app untouched (the JSON is parsed here only to be checked).
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_OVERHEAD = 1024 * 1024  # boundaries, part headers and the form's small fields
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes the limit; answered as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the limit of {limit} bytes")


@dataclass(frozen=True)
class Refused:
    """A JSON value that is refused, standing in its place until the walk finds where it is."""

    text: str
    type: str
    msg: str


def _constant(name: str) -> Refused:
    return Refused(name, "finite_number", f"Input should be a finite number, got {name}")


def _float(text: str) -> float | Refused:
    value = float(text)
    if math.isinf(value):
        return Refused(
            text[:40], "finite_number", "Input should be a finite number; it overflows a 64-bit float"
        )
    return value


def _int(text: str) -> int | Refused:
    try:
        return int(text)
    except ValueError:  # more digits than int() reads (sys.get_int_max_str_digits)
        return Refused(
            text[:40] + "...",
            "int_too_long",
            f"Input should be an integer of at most {sys.get_int_max_str_digits()} digits, got {len(text)}",
        )


def string_problem(text: str) -> str | None:
    """Why ``text`` cannot be carried as a string (a lone surrogate, a NUL), or None."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "Input should not contain NUL (\\u0000) characters"
    return (
        f"Input should be valid Unicode text; it holds a lone UTF-16 surrogate (\\u{ord(found.group()):04x})"
    )


def escaped(text: str) -> str:
    """``text`` with lone surrogates and NUL written out as ``\\uXXXX`` escapes, so it can be sent."""
    return UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def safe_text(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters and ``escaped`` (for echoes of a caller's value)."""
    return escaped(text[:limit] + ("..." if len(text) > limit else ""))


def find_refused(value: Any, root: str = "body") -> dict[str, Any] | None:
    """The first refused value in a decoded JSON document (NaN, an infinity, a string with a lone
    surrogate or a NUL, in values or keys), as one FastAPI validation error whose ``loc`` starts
    with ``root``; None when there is none. Iterative, so nesting depth costs no stack.

    The one check for every channel that decodes JSON: request bodies (here), WebSocket and
    Socket.IO messages (``describe`` makes it one line for those)."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        loc = [root, *path]
        if isinstance(node, Refused):
            return {"type": node.type, "loc": loc, "msg": node.msg, "input": node.text}
        if isinstance(node, float) and not math.isfinite(node):
            return {"type": "finite_number", "loc": loc, "msg": _constant(str(node)).msg, "input": str(node)}
        if isinstance(node, str):
            if problem := string_problem(node):
                return {"type": "string_unicode", "loc": loc, "msg": problem, "input": safe_text(node)}
        elif isinstance(node, dict):
            for key in node:
                if isinstance(key, str) and (problem := string_problem(key)):
                    return {
                        "type": "string_unicode",
                        "loc": [*loc, safe_text(key)],
                        "msg": f"Key: {problem}",
                        "input": safe_text(key),
                    }
            stack.extend(((*path, key), item) for key, item in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*path, i), item) for i, item in reversed(list(enumerate(node))))
    return None


def describe(error: dict[str, Any]) -> str:
    """A ``find_refused`` error as one line: ``content: Input should ...``."""
    return f"{'.'.join(str(p) for p in error['loc'][1:]) or error['loc'][0]}: {error['msg']}"


def check_json(body: bytes) -> dict[str, Any] | None:
    """The validation error for a JSON body holding a refused value, or None (also for a body
    that is not JSON at all: FastAPI reports that itself)."""
    try:
        value = json.loads(body, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except (ValueError, RecursionError):
        return None
    return find_refused(value)


def is_json(content_type: str | None) -> bool:
    """What FastAPI parses as JSON: no content type at all, ``application/json``, ``*/*+json``."""
    if not content_type:
        return True
    kind = content_type.split(";", 1)[0].strip().lower()
    maintype, _, subtype = kind.partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


class BodyGuard:
    """The middleware (see the module docstring). ``max_bytes``: the general request limit;
    ``max_upload_bytes``: the upload limit, which multipart bodies get plus their framing."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_multipart_bytes = max(max_bytes, max_upload_bytes + MULTIPART_OVERHEAD)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type")
        multipart = (content_type or "").lower().startswith("multipart/")
        limit = self.max_multipart_bytes if multipart else self.max_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await too_large(limit)(scope, receive, send)
            return
        if is_json(content_type) and scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            await self.check_then_replay(scope, receive, send, limit)
            return
        await self.counted(scope, receive, send, limit)

    async def check_then_replay(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_large(limit)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and (error := check_json(body)):
            await JSONResponse({"detail": [error]}, status_code=422)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        size = 0
        started = False

        async def receive_counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    raise BodyTooLarge(limit)
            return message

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive_counted, send_tracked)
        except BodyTooLarge:
            if started:
                raise
            await too_large(limit)(scope, receive, send)


def too_large(limit: int) -> JSONResponse:
    # The rest of the body is never read: close the connection rather than keep it alive.
    return JSONResponse(
        {"detail": f"the request body is over the limit of {limit} bytes"},
        status_code=413,
        headers={"Connection": "close"},
    )
