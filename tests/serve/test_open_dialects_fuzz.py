"""Property: the JSON bodies of the open dialects, filled with nasty values, never get a 5xx.

Hypothesis feeds NaN, infinities, huge integers, lone surrogates, NUL, very long strings, wrong
types and nested junk into the fields of ``POST /rag/chat``, ``POST /mongodb/session``,
``POST /sessions``, ``POST /ask`` and (as an admin) ``POST /postgres/faq``; every answer must be
below 500 and carry no database driver text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform

DRIVER_TEXT = ("invalid input syntax", "out of range", "psycopg", "PostgreSQL text fields", "timestamp too")

# Every character, lone surrogates (category Cs) and NUL included.
any_text = st.text(st.characters(exclude_categories=()), max_size=40)
nasty_scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63, -(2**63) - 1, 10**400, 0, -1]),
    any_text,
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "nul\x00in the middle", " ", "", "x" * 100_000]),
    st.booleans(),
    st.none(),
)
nasty = st.recursive(
    nasty_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=8,
)

DIALECTS: dict[str, list[str]] = {
    "/rag/chat": [
        "user_id",
        "question",
        "include_history",
        "use_rag",
        "similarity_top_k",
        "vector_distance_threshold",
        "session_id",
        "first_name",
        "last_name",
        "username",
    ],
    "/mongodb/session": ["session_id", "factor", "action", "message", "user_id", "username"],
    "/sessions": ["title"],
    "/ask": ["question"],
    "/postgres/faq": ["question", "answer", "is_active"],
}
VALID: dict[str, dict[str, Any]] = {
    "/rag/chat": {"question": "What is oxygen?", "user_id": "fuzz"},
    "/mongodb/session": {"session_id": "fuzz", "message": "What is oxygen?", "user_id": "fuzz"},
    "/sessions": {"title": "fuzz"},
    "/ask": {"question": "What is oxygen?"},
    "/postgres/faq": {"question": "fuzz?", "answer": "fuzz", "is_active": False},
}


def bodies(url: str) -> st.SearchStrategy[Any]:
    """A valid body with some fields replaced by nasty values, or a nasty document altogether."""
    fields = DIALECTS[url]
    mutated = st.fixed_dictionaries({}, optional={name: nasty for name in [*fields, "unexpected"]}).map(
        lambda changes: {**VALID[url], **changes}
    )
    return st.one_of(mutated, mutated, nasty)


def as_json(body: Any) -> bytes:
    """JSON text as a hostile client writes it: NaN and Infinity tokens, surrogates as escapes."""
    return json.dumps(body, allow_nan=True, ensure_ascii=True).encode("ascii")


@pytest.fixture(scope="module")
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=120) as c:
        yield c


@pytest.fixture(scope="module")
def admin(platform: Platform, live_server: LiveServer) -> dict[str, str]:
    from ragserve.auth import create_token

    user = platform.content.get_user_by_username(platform.settings.admin_username)
    token, _ = create_token(platform, user)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", autouse=True)
def faq_restored(platform: Platform) -> Iterator[None]:
    """Removes the FAQ items the examples created (an active one could answer a later test)."""
    before = {f.id for f in platform.content.list_faqs(limit=10_000)}
    yield
    for faq in platform.content.list_faqs(limit=10_000):
        if faq.id not in before:
            platform.content.delete_faq(faq.id)


@pytest.mark.slow
@pytest.mark.parametrize("url", list(DIALECTS))
def test_nasty_json_bodies_never_get_a_server_error(
    http: httpx.Client, admin: dict[str, str], url: str
) -> None:
    headers = {"content-type": "application/json", **(admin if url == "/postgres/faq" else {})}

    @given(body=bodies(url))
    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    def post(body: Any) -> None:
        response = http.post(url, content=as_json(body), headers=headers)
        assert response.status_code < 500, (body, response.status_code, response.text[:500])
        text = response.text.lower()
        assert not [t for t in DRIVER_TEXT if t.lower() in text], response.text[:500]

    post()
