"""Signing in and out, and what a page shows when the token expired or the API is down or slow."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import jwt
import pytest
from console_support import assert_clean, console, open_page, page_text, submit
from serve_support import free_port
from streamlit.testing.v1 import AppTest

from ragplatform.client import RagClient
from ragplatform.factory import Platform

PAGES = ("overview", "content", "sessions", "indexes", "metrics", "playground")


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="sign_in_username").input(username)
    at.text_input(key="sign_in_password").input(password)
    submit(at, "sign_in_form", "Sign in")
    return at


def test_signed_out_only_the_sign_in_page_shows(console_api: object) -> None:
    at = console()
    assert_clean(at)
    assert at.title[0].value == "ragplatform console"
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert "auth_token" not in at.session_state


def test_wrong_password_says_so_and_stays_signed_out(admin_credentials: tuple[str, str]) -> None:
    at = sign_in(console(), admin_credentials[0], "not-the-password")
    assert not at.exception
    assert "Wrong email or password" in at.error[0].value
    assert "auth_token" not in at.session_state


def test_sign_in_opens_the_overview_and_sign_out_returns(
    admin_credentials: tuple[str, str], api: RagClient
) -> None:
    at = sign_in(console(), *admin_credentials)
    assert_clean(at)
    assert at.title[0].value == "Overview"
    token = at.session_state["auth_token"]
    with RagClient(api.base_url, token=token) as own:
        assert own.overview().status in ("healthy", "degraded")  # the page holds a real admin token

    at.button(key="auth_sign_out").click().run()
    assert "auth_token" not in at.session_state
    assert "You signed out." in page_text(at)


def test_a_non_admin_account_is_refused(api: RagClient) -> None:
    email = f"console-user-{time.time_ns()}@example.org"
    body = {"email": email, "password": "a-user-password", "name": "Console User"}
    assert httpx.post(f"{api.base_url}/api/signup", json=body).status_code == 201
    at = sign_in(console(), email, "a-user-password")
    assert not at.exception
    assert "may not use the console" in at.error[0].value
    assert "auth_token" not in at.session_state


def test_an_expired_token_sends_back_to_sign_in_with_a_notice(platform: Platform, admin_token: str) -> None:
    secret = platform.settings.jwt_secret.get_secret_value()
    claims = jwt.decode(admin_token, secret, algorithms=["HS256"])
    claims["exp"] = int(time.time()) - 60
    expired = jwt.encode(claims, secret, algorithm="HS256")

    at = console(expired)  # the overview's first call answers 401
    assert not at.exception
    assert "auth_token" not in at.session_state
    assert "session has ended" in page_text(at) and "expired" in page_text(at)
    assert [t.label for t in at.text_input] == ["Email", "Password"]


@pytest.fixture
def dead_api(monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("CONSOLE__API_URL", url)
    return url


@pytest.fixture
def silent_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A port that accepts connections and never answers: a hung API."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        monkeypatch.setenv("CONSOLE__API_URL", url)
        monkeypatch.setenv("CONSOLE__API_TIMEOUT_S", "0.5")
        yield url


def test_sign_in_with_the_api_down_says_what_to_do(dead_api: str, admin_credentials: tuple[str, str]) -> None:
    at = sign_in(console(), *admin_credentials)
    assert not at.exception
    message = at.error[0].value
    assert "The API is not answering" in message and f"{dead_api} is not reachable" in message
    assert "make run" in message and "CONSOLE__API_URL" in message


@pytest.mark.parametrize("page", PAGES)
def test_every_page_with_the_api_down_shows_a_message_not_a_traceback(
    dead_api: str, admin_token: str, page: str
) -> None:
    at = open_page(console(admin_token), page)
    assert not at.exception
    assert any("The API is not answering" in e.value and dead_api in e.value for e in at.error)
    assert "auth_token" in at.session_state  # still signed in: the API is down, not the session


def test_a_slow_api_shows_a_message(silent_api: str, admin_token: str) -> None:
    at = open_page(console(admin_token), "overview")
    assert not at.exception
    assert any("did not answer within 0.5 s" in e.value for e in at.error)
