"""Property-based requests over the whole OpenAPI schema (a bounded number of examples per
operation), anonymous and as a signed-in user: no response may be a 5xx.

Drives schemathesis' per-operation Hypothesis strategies directly (its pytest
``from_fixture`` integration relies on a pytest internal that pytest 9 removed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform

MAX_EXAMPLES = 8
# Never follow redirects: an OAuth login redirects to the provider, which is off-limits here.
CALL = {"allow_redirects": False, "timeout": 60}


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


@pytest.mark.slow
def test_no_operation_answers_with_a_server_error(
    live_server: LiveServer, user_headers: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case: Any) -> None:
            case.call_and_validate(base_url=live_server.url, checks=[not_a_server_error], **CALL)
            case.call_and_validate(
                base_url=live_server.url, headers=user_headers, checks=[not_a_server_error], **CALL
            )

        try:
            run()
        except Exception as exc:  # collect every failing operation, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert operations > 20, f"the schema lists only {operations} operations"
    assert not failures, "\n\n".join(failures)
