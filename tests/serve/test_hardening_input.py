"""Bad input at the HTTP boundary answers 4xx naming the field, never 500, never driver text.

Each case was a 500, a dropped connection or a PostgreSQL message in a response body before the
body guard (``ragserve.body_guard``), the parameter check (``ragserve.params``), the UTC time type
(``ragplatform.timestamps``) and the driver error mapping (``ragplatform.db.errors``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"]
DRIVER_TEXT = ("invalid input syntax", "out of range", "psycopg", "PostgreSQL text fields", "timestamp too")


@pytest.fixture(scope="module")
def admin(platform: Platform, live_server: object) -> dict[str, str]:
    from ragserve.auth import create_token

    user = platform.content.get_user_by_username(platform.settings.admin_username)
    token, _ = create_token(platform, user)
    return {"Authorization": f"Bearer {token}"}


def send_json(
    client: httpx.Client, method: str, url: str, text: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """``text`` as the JSON body, byte for byte (httpx's own encoder refuses NaN and surrogates)."""
    return client.request(
        method,
        url,
        content=text.encode("utf-8"),
        headers={"content-type": "application/json", **(headers or {})},
    )


def refused(response: httpx.Response, *loc: str | int) -> dict[str, Any]:
    """Asserts a 422 in FastAPI's shape whose error names ``loc``; returns that error."""
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [list(loc)], errors
    return dict(errors[0])


# -- NaN, infinities, overflowing numbers --------------------------------------------------

EVENT = '{"name": "x", "date_start": "2030-01-01T10:00:00Z", "price": [{"type": "a", "amount": VALUE, "currency": "EUR"}]}'
NUMERIC_FIELDS = [
    ("/rag/chat", '{"question": "hi", "similarity_top_k": VALUE}', ("body", "similarity_top_k"), False),
    (
        "/rag/chat",
        '{"question": "hi", "vector_distance_threshold": VALUE}',
        ("body", "vector_distance_threshold"),
        False,
    ),
    ("/api/admin/playground", '{"question": "hi", "top_k": VALUE}', ("body", "top_k"), True),
    ("/api/admin/playground", '{"question": "hi", "alpha": VALUE}', ("body", "alpha"), True),
    ("/postgres/events", EVENT, ("body", "price", 0, "amount"), True),
]


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize(("url", "template", "loc", "as_admin"), NUMERIC_FIELDS)
def test_non_finite_and_overflowing_numbers_are_422_naming_the_field(
    client: httpx.Client,
    admin: dict[str, str],
    url: str,
    template: str,
    loc: tuple[str | int, ...],
    as_admin: bool,
    value: str,
) -> None:
    response = send_json(client, "POST", url, template.replace("VALUE", value), admin if as_admin else None)
    error = refused(response, *loc)
    assert error["type"] == "finite_number"
    assert error["input"] == value


def test_an_integer_with_more_digits_than_python_reads_is_422(client: httpx.Client) -> None:
    response = send_json(
        client, "POST", "/rag/chat", '{"question": "hi", "similarity_top_k": ' + "9" * 5000 + "}"
    )
    assert refused(response, "body", "similarity_top_k")["type"] == "int_too_long"


# -- times outside the calendar once converted to UTC -----------------------------------------

CALENDAR_EDGES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.mark.parametrize("when", CALENDAR_EDGES)
@pytest.mark.parametrize("param", ["since", "until"])
def test_metrics_window_at_the_calendar_edges_is_422_naming_the_parameter(
    client: httpx.Client, admin: dict[str, str], param: str, when: str
) -> None:
    response = client.get("/api/metrics", params={param: when}, headers=admin)
    error = refused(response, "query", param)
    assert "years 1..9999" in error["msg"]


def test_metrics_window_at_the_calendar_edges_in_utc_is_answered(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    response = client.get(
        "/api/metrics",
        params={"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59Z"},
        headers=admin,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("when", CALENDAR_EDGES)
@pytest.mark.parametrize("field", ["date_start", "date_end"])
def test_event_times_outside_the_calendar_in_utc_are_422(
    client: httpx.Client, admin: dict[str, str], field: str, when: str
) -> None:
    body = {"name": "edge", "date_start": "2030-01-01T00:00:00Z", field: when}
    if field == "date_end":
        body["date_start"] = "0002-01-01T00:00:00Z"
    response = client.post("/postgres/events", json=body, headers=admin)
    refused(response, "body", field)


def test_metrics_of_a_session_refuse_the_calendar_edges_too(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    response = client.get(
        "/api/metrics/sessions/whatever", params={"until": CALENDAR_EDGES[1]}, headers=admin
    )
    refused(response, "query", "until")


# -- lone surrogates and NUL in strings ------------------------------------------------------

STRING_FIELDS = [
    ("POST", "/postgres/faq", '{"question": "\\ud800", "answer": "a"}', ("body", "question"), True),
    ("POST", "/postgres/faq", '{"question": "q", "answer": "\\ud800"}', ("body", "answer"), True),
    ("POST", "/postgres/emergency", '{"name": "\\ud800", "phone_number": "1"}', ("body", "name"), True),
    (
        "POST",
        "/postgres/events",
        '{"name": "\\ud800", "date_start": "2030-01-01T00:00:00Z"}',
        ("body", "name"),
        True,
    ),
    ("POST", "/rag/chat", '{"question": "\\ud800"}', ("body", "question"), False),
    ("POST", "/rag/chat", '{"question": "hi", "user_id": "\\ud800"}', ("body", "user_id"), False),
    ("POST", "/rag/chat", '{"question": "hi", "session_id": "\\ud800"}', ("body", "session_id"), False),
    (
        "POST",
        "/mongodb/session",
        '{"session_id": "s", "message": "\\ud800", "user_id": "u"}',
        ("body", "message"),
        False,
    ),
    (
        "POST",
        "/mongodb/session",
        '{"session_id": "s", "message": "m", "user_id": "\\ud800"}',
        ("body", "user_id"),
        False,
    ),
    ("POST", "/sessions", '{"title": "\\ud800"}', ("body", "title"), False),
    ("POST", "/ask", '{"question": "\\ud800"}', ("body", "question"), False),
    (
        "POST",
        "/api/signup",
        '{"email": "a\\ud800@example.org", "password": "password1", "name": "A"}',
        ("body", "email"),
        False,
    ),
    (
        "POST",
        "/api/signup",
        '{"email": "b@example.org", "password": "pass\\udc00word", "name": "B"}',
        ("body", "password"),
        False,
    ),
    (
        "POST",
        "/api/signup",
        '{"email": "c@example.org", "password": "password1", "name": "\\ud800"}',
        ("body", "name"),
        False,
    ),
    (
        "POST",
        "/api/login",
        '{"email": "d@example.org", "password": "\\ud800"}',
        ("body", "password"),
        False,
    ),
    ("POST", "/api/v1/chat", '{"title": "\\ud800"}', ("body", "title"), True),
    ("POST", "/api/admin/playground", '{"question": "\\ud800"}', ("body", "question"), True),
    # a key, nested: the metadata of no route may carry one either
    ("POST", "/rag/chat", '{"question": "hi", "x": {"\\ud800": 1}}', ("body", "x", "\\ud800"), False),
    # NUL is refused the same way: PostgreSQL cannot store it
    ("POST", "/postgres/faq", '{"question": "a\\u0000b", "answer": "a"}', ("body", "question"), True),
]


@pytest.mark.parametrize(("method", "url", "text", "loc", "as_admin"), STRING_FIELDS)
def test_lone_surrogates_and_nul_in_strings_are_422_naming_the_field(
    client: httpx.Client,
    admin: dict[str, str],
    method: str,
    url: str,
    text: str,
    loc: tuple[str, ...],
    as_admin: bool,
) -> None:
    response = send_json(client, method, url, text, admin if as_admin else None)
    refused(response, *loc)


@pytest.mark.parametrize(
    ("url", "loc"),
    [
        ("/api/admin/sessions?user=%00", ["query", "user"]),
        ("/postgres/faq?query=a%00b", ["query", "query"]),
        ("/sessions/%00", ["path", "session_id"]),
        ("/api/v1/chat/a%00b", ["path", "chat_id"]),
        ("/mongodb/session/%00", ["path", "session_id"]),
    ],
)
def test_nul_in_query_and_path_parameters_is_422_naming_the_parameter(
    client: httpx.Client, admin: dict[str, str], url: str, loc: list[str]
) -> None:
    refused(client.get(url, headers=admin), *loc)


# -- body size: chunked bodies are counted as they arrive ---------------------------------------


def test_a_27_mb_chunked_json_body_is_refused_with_413(client: httpx.Client) -> None:
    sent = 0
    chunk = b" " * 65536

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"question": "hi", "pad": "'
        while sent < 27_000_000:
            sent += len(chunk)
            yield chunk
        yield b'"}'

    response = client.post("/rag/chat", content=body(), headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    assert "limit" in response.json()["detail"]


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    client: httpx.Client, platform: Platform
) -> None:
    size = platform.settings.serve.max_request_bytes + 1
    response = client.post("/rag/chat", content=b" " * size, headers={"content-type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize(("url", "field"), [("/api/upload", "file"), ("/api/v1/chat/any/upload", "files")])
def test_a_chunked_multipart_body_over_its_limit_is_refused_with_413(
    client: httpx.Client, admin: dict[str, str], platform: Platform, url: str, field: str
) -> None:
    from ragserve.body_guard import MULTIPART_OVERHEAD

    serve = platform.settings.serve
    size = max(serve.max_request_bytes, serve.max_upload_bytes + MULTIPART_OVERHEAD) + 1024 * 1024
    chunk = b"a" * 65536

    def body() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="%s"; filename="big.txt"\r\n' % field.encode()
        yield b"Content-Type: text/plain\r\n\r\n"
        for _ in range(size // len(chunk) + 1):
            yield chunk
        yield b"\r\n--b--\r\n"

    headers = {**admin, "content-type": "multipart/form-data; boundary=b"}
    response = client.post(url, content=body(), headers=headers)
    assert response.status_code == 413, response.text


# -- no driver text in any body ------------------------------------------------------------------

DRIVER_CASES = [
    # (method, url, JSON text): each answered with PostgreSQL's or psycopg's own words before
    ("POST", "/postgres/events", EVENT.replace("VALUE", "1e400")),  # invalid input syntax for type json
    (
        "POST",
        "/postgres/faq",
        '{"question": "a\\u0000b", "answer": "a"}',
    ),  # PostgreSQL text fields cannot contain NUL
    (
        "POST",
        "/postgres/events",
        '{"name": "x", "date_start": "0001-01-01T00:00:00+14:00"}',
    ),  # timestamp too small
    (
        "POST",
        "/postgres/events",
        '{"name": "x", "date_start": "9999-12-31T23:59:59-14:00"}',
    ),  # timestamp too large
    ("GET", "/api/admin/sessions?user=%00", ""),  # NUL in a text parameter
    ("GET", "/sessions/%00", ""),
]


@pytest.mark.parametrize(("method", "url", "text"), DRIVER_CASES)
def test_no_driver_text_in_error_bodies(
    client: httpx.Client, admin: dict[str, str], method: str, url: str, text: str
) -> None:
    response = send_json(client, method, url, text, admin) if text else client.get(url, headers=admin)
    assert 400 <= response.status_code < 500, response.text
    assert not [t for t in DRIVER_TEXT if t.lower() in response.text.lower()], response.text


def test_invalid_input_carries_field_and_value_beside_detail(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    response = client.get(
        "/api/metrics",
        params={"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"},
        headers=admin,
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "until"
    assert body["value"] == "2030-01-01T00:00:00+00:00"
    assert "must not be before" in body["detail"]


def test_a_reversed_admin_date_range_names_date_to(client: httpx.Client, admin: dict[str, str]) -> None:
    response = client.get(
        "/api/admin/metrics/daily", params={"date_from": "2030-01-02", "date_to": "2030-01-01"}, headers=admin
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["field"], body["value"]) == ("date_to", "2030-01-01")
    assert body["detail"] == "date_to (2030-01-01) must not be before date_from (2030-01-02)"


# -- WebSocket messages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame", ['{"message": "\\ud800"}', '{"message": "a\\u0000b"}', "plain text with a NUL \x00 inside"]
)
def test_ws_chat_refuses_unstorable_questions_and_stays_open(
    live_server: LiveServer, admin: dict[str, str], frame: str
) -> None:
    from websockets.sync.client import connect

    token = admin["Authorization"].removeprefix("Bearer ")
    url = live_server.url.replace("http://", "ws://") + f"/api/chat?token={token}"
    with connect(url, open_timeout=30) as ws:
        for _ in range(2):  # the connection survives the refusal
            ws.send(frame)
            reply = json.loads(ws.recv(timeout=30))
            assert reply["type"] == "error", reply
            assert reply["detail"].startswith("message: Input should")
