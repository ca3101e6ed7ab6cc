"""Who is signed in, and the API client that acts for them.

The JWT from ``/api/login`` lives in this browser session's ``st.session_state`` and nowhere
else; the client is rebuilt when the token or the API URL changes. Keys every page shares
start with ``auth_``; page keys start with the page's name (``content_``, ``indexes_``, ...).
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from ragplatform.client import RagClient
from ragplatform.settings import ConsoleSettings, Settings

TOKEN = "auth_token"
USER = "auth_user"
NOTICE = "auth_notice"
CLIENT = "auth_client"
SLOW_CALL_S = 300.0


def console_settings() -> ConsoleSettings:
    """Read on every run (cheap), so a changed ``CONSOLE__API_URL`` applies without a restart."""
    return Settings().console


def api_url() -> str:
    return console_settings().api_url


def client(*, slow: bool = False) -> RagClient:
    """The API client for this browser session, carrying the admin's token when signed in.

    ``slow=True`` waits at least ``SLOW_CALL_S`` per call: for calls that do real work before they
    answer, such as a promotion (the gate evaluates both versions first).
    """
    settings = console_settings()
    timeout = max(settings.api_timeout_s, SLOW_CALL_S) if slow else settings.api_timeout_s
    key = (settings.api_url, st.session_state.get(TOKEN), timeout)
    slot = f"{CLIENT}_slow" if slow else CLIENT
    cached: tuple[tuple[str, str | None, float], RagClient] | None = st.session_state.get(slot)
    if cached is not None and cached[0] == key:
        return cached[1]
    if cached is not None:
        cached[1].close()
    made = RagClient(settings.api_url, token=key[1], timeout=timeout)
    st.session_state[slot] = (key, made)
    return made


def signed_in() -> bool:
    return bool(st.session_state.get(TOKEN))


def user_name() -> str:
    return str(st.session_state.get(USER) or "")


def sign_in(token: str, username: str) -> None:
    st.session_state[TOKEN] = token
    st.session_state[USER] = username
    st.session_state.pop(NOTICE, None)


def sign_out(notice: str | None = None) -> NoReturn:
    """Forget the token and every page's state, then show the sign-in page (with ``notice``)."""
    for key in list(st.session_state.keys()):
        if not str(key).startswith(CLIENT):
            del st.session_state[key]
    if notice:
        st.session_state[NOTICE] = notice
    st.rerun()


def take_notice() -> str | None:
    """The message the sign-in page shows once (why the admin was signed out)."""
    notice = st.session_state.pop(NOTICE, None)
    return str(notice) if notice else None
