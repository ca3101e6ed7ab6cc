"""Driving the console with ``streamlit.testing.v1.AppTest``: sign in, open a page, read it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Node

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "console" / "streamlit_app.py"
RUN_TIMEOUT_S = 120  # a generous ceiling for one script run against the live API, never asserted on

T = TypeVar("T")


def console(token: str | None = None, username: str = "admin@example.com") -> AppTest:
    """The console after its first run; signed in with ``token`` when given (the real JWT)."""
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)
    if token:
        at.session_state["auth_token"] = token
        at.session_state["auth_user"] = username
    return at.run()


def open_page(at: AppTest, page: str) -> AppTest:
    """Switches to ``console/app_pages/<page>.py`` through the navigation and runs it."""
    return at.switch_page(f"app_pages/{page}.py").run()


def assert_clean(at: AppTest) -> None:
    """No traceback and no error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def page_text(at: AppTest) -> str:
    """Every piece of text on the page (markdown, captions, alerts, metrics, titles), one per line."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "success", "info", "warning"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [str(e.value) for e in at.error]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    return "\n".join(parts)


def next_to(at: AppTest, key: str) -> Node:
    """The element placed right after the widget with ``key`` (where a field's error shows)."""

    def walk(node: Node) -> Node | None:
        children = list(getattr(node, "children", {}).values())
        for i, child in enumerate(children):
            if getattr(child, "key", None) == key:
                return children[i + 1] if i + 1 < len(children) else None
            found = walk(child)
            if found is not None:
                return found
        return None

    found = walk(at.main)
    assert found is not None, f"no element after {key!r}"
    return found


def button(at: AppTest, key: str) -> None:
    """Clicks the button with ``key`` and runs the page."""
    at.button(key=key).click().run()


def ask(api_url: str, user_id: str, question: str, session_id: str | None = None) -> dict[str, Any]:
    """A user's question through the served API (API 01 ``POST /rag/chat``): an answer in a (new)
    session, metrics, and an unanswered item when nothing relevant was found."""
    body = {"user_id": user_id, "question": question, "session_id": session_id}
    r = httpx.post(f"{api_url}/rag/chat", json=body, timeout=120)
    assert r.status_code == 200, r.text
    reply: dict[str, Any] = r.json()
    return reply


def submit(at: AppTest, form: str, label: str) -> None:
    """Clicks the submit button ``label`` of the form with key ``form`` and runs the page."""
    at.button(key=f"FormSubmitter:{form}-{label}").click().run()


def wait_for(check: Callable[[], T | None], timeout_s: float = 120, every_s: float = 0.5) -> T:
    """Polls ``check`` until it returns something truthy (background work on the server)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout_s:g} s")
        time.sleep(every_s)
