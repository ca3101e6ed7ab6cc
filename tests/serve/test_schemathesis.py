"""Property-based requests over the whole OpenAPI schema (a bounded number of examples per
operation), anonymous and as a signed-in user: no response may be a 5xx."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform

MAX_EXAMPLES = 8


@pytest.fixture(scope="module")
def api_schema(live_server: LiveServer) -> Any:
    return schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")


@pytest.fixture(scope="module")
def user_headers(platform: Platform) -> dict[str, str]:
    from ragplatform.errors import NotFound
    from ragserve.auth import create_token, hash_password

    try:
        user = platform.content.get_user_by_username("fuzz@example.com")
    except NotFound:
        user = platform.content.create_user(
            "fuzz@example.com", hash_password("fuzz-password"), full_name="Fuzz"
        )
    token, _ = create_token(platform, user)
    return {"Authorization": f"Bearer {token}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, user_headers: dict[str, str]) -> None:
    # Never follow redirects: an OAuth login redirects to the provider, which is off-limits here.
    case.call_and_validate(checks=[not_a_server_error], allow_redirects=False, timeout=60)
    case.call_and_validate(
        headers=user_headers, checks=[not_a_server_error], allow_redirects=False, timeout=60
    )
