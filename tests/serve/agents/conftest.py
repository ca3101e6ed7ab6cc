"""Accounts API 02's tests share: two users signed up through the API for each test, and the admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from agents_support import Account, admin_account, sign_up

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform


@pytest.fixture
def alice(client: httpx.Client) -> Account:
    return sign_up(client, "Alice")


@pytest.fixture
def bob(client: httpx.Client) -> Account:
    return sign_up(client, "Bob")


@pytest.fixture
def admin(platform: Platform, live_server: LiveServer) -> Account:
    return admin_account(platform)
