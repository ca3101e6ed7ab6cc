"""``ragserve.body_guard`` as a plain ASGI middleware: what it reads, what it lets through."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ragserve.body_guard import BodyGuard, check_json, find_refused

Message = dict[str, Any]


class Client:
    """Feeds one request to an ASGI app and records what it reads and answers."""

    def __init__(self, chunks: list[bytes], headers: dict[str, str], method: str = "POST") -> None:
        self.chunks = chunks
        self.read = 0  # chunks the app took
        self.sent: list[Message] = []
        self.scope = {
            "type": "http",
            "method": method,
            "path": "/",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }

    async def receive(self) -> Message:
        if self.read >= len(self.chunks):
            return {"type": "http.disconnect"}
        self.read += 1
        return {
            "type": "http.request",
            "body": self.chunks[self.read - 1],
            "more_body": self.read < len(self.chunks),
        }

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def body(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))


async def echo(scope: Any, receive: Any, send: Any) -> None:
    """An app that reads the whole body and answers it back."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps({"echo": body.decode()}).encode()})


def guard(max_bytes: int = 100, max_upload_bytes: int = 10) -> BodyGuard:
    return BodyGuard(echo, max_bytes=max_bytes, max_upload_bytes=max_upload_bytes)


async def test_a_chunked_json_body_is_read_only_up_to_the_limit() -> None:
    client = Client([b"x" * 40] * 50, {"content-type": "application/json"})
    await guard(max_bytes=100)(client.scope, client.receive, client.send)
    assert client.status == 413
    assert client.read == 3  # 120 bytes: over the limit, and nothing more was read


async def test_a_chunked_body_of_another_type_is_cut_off_at_the_limit() -> None:
    client = Client([b"x" * 40] * 50, {"content-type": "application/octet-stream"})
    await guard(max_bytes=100)(client.scope, client.receive, client.send)
    assert client.status == 413
    assert client.read == 3


async def test_multipart_bodies_get_the_upload_limit_plus_framing() -> None:
    megabyte = 1024 * 1024
    app = guard(max_bytes=100, max_upload_bytes=2 * megabyte)
    assert app.max_multipart_bytes == 3 * megabyte
    client = Client([b"x" * megabyte] * 2, {"content-type": "multipart/form-data; boundary=b"})
    await app(client.scope, client.receive, client.send)
    assert client.status == 200


async def test_a_valid_json_body_reaches_the_app_unchanged() -> None:
    text = '{"question": "caf\\u00e9 \\ud83d\\ude00", "n": 1e300, "k": -3}'
    client = Client([text[:10].encode(), text[10:].encode()], {"content-type": "application/json"})
    await guard(max_bytes=1000)(client.scope, client.receive, client.send)
    assert client.status == 200
    assert client.body == {"echo": text}


async def test_a_body_without_content_type_is_checked_as_json_as_fastapi_parses_it() -> None:
    client = Client([b'{"a": NaN}'], {})
    await guard()(client.scope, client.receive, client.send)
    assert client.status == 422
    assert client.body["detail"][0]["loc"] == ["body", "a"]


@pytest.mark.parametrize(
    ("text", "loc", "kind"),
    [
        ('{"a": [1, {"b": NaN}]}', ["body", "a", 1, "b"], "finite_number"),
        ('{"a": -Infinity}', ["body", "a"], "finite_number"),
        ('{"a": 1e309}', ["body", "a"], "finite_number"),
        ('["ok", "\\udfff"]', ["body", 1], "string_unicode"),
        ('{"a": "x\\u0000"}', ["body", "a"], "string_unicode"),
        ('{"\\u0000": 1}', ["body", "\\u0000"], "string_unicode"),
    ],
)
def test_refused_values_are_named_by_their_path(text: str, loc: list[Any], kind: str) -> None:
    error = check_json(text.encode())
    assert error is not None
    assert (error["loc"], error["type"]) == (loc, kind)
    json.dumps(error, allow_nan=False).encode("utf-8")  # the error itself can be sent


def test_malformed_and_deeply_nested_json_is_left_to_fastapi() -> None:
    assert check_json(b'{"a": ') is None
    assert check_json(b"[" * 100_000 + b"]" * 100_000) is None


def test_decoded_messages_are_checked_the_same_way() -> None:
    refused = find_refused({"content": "\ud800", "n": float("nan")}, root="payload")
    assert refused is not None
    assert refused["loc"] == ["payload", "content"]
    assert find_refused({"room_id": "r", "content": "fine"}) is None
