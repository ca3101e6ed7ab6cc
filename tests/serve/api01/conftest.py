"""Fixtures for API 01 tests: an admin's bearer header for content writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ragplatform.factory import Platform


@pytest.fixture(scope="session")
def admin_headers(platform: Platform, live_server: object) -> dict[str, str]:
    """The admin the app creates at startup (ADMIN_USERNAME), as an ``Authorization`` header."""
    from ragserve.auth import create_token

    admin = platform.content.get_user_by_username(platform.settings.admin_username)
    token, _ = create_token(platform, admin)
    return {"Authorization": f"Bearer {token}"}
