"""Calling the API from a page: results, or a message that says what went wrong and what to do.

An API that is down, slow or refusing never shows a traceback:

- ``fetch`` is for what a page cannot render without (a list, the overview): on failure it
  shows the message and stops the page.
- ``attempt`` is for an action (a button): on failure it shows the message and returns None;
  the rest of the page still renders. ``perform`` is the same for calls that return nothing.
- ``quietly`` is for an extra that may go missing (the unread badge): None, and nothing shown.
- ``FieldErrors`` puts a 422's messages under the form fields they name.

A 401 (expired or invalid token) signs the admin out with a notice on the sign-in page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import streamlit as st

from ragconsole import session
from ragplatform.client import (
    ApiError,
    ApiUnavailable,
    AuthError,
    ConflictError,
    NotFoundError,
    ValidationFailed,
)

P = ParamSpec("P")
T = TypeVar("T")


def unavailable_message(exc: ApiError) -> str:
    what = "The API is not answering" if exc.status is None else "The API failed"
    return (
        f"**{what}**: {exc}.\n\n"
        f"Check that ragserve is running at {session.api_url()} (`make run` starts it together with this "
        "console) and that `CONSOLE__API_URL` points at it, then reload the page. A slow API may only need "
        "a moment (`CONSOLE__API_TIMEOUT_S` sets how long the console waits); an action that timed out may "
        "still complete, so reload before trying it again."
    )


def show(exc: ApiError) -> None:
    """Shows ``exc`` as a person reads it; a 401 signs out instead."""
    if isinstance(exc, AuthError) and exc.status != 403:
        session.sign_out(f"Your session has ended ({exc}). Sign in again.")
    if isinstance(exc, ApiUnavailable):
        st.error(unavailable_message(exc), icon=":material/cloud_off:")
    elif isinstance(exc, AuthError):
        st.error(f"Not allowed: {exc}. Sign in with an admin account.", icon=":material/block:")
    elif isinstance(exc, NotFoundError | ConflictError):
        st.warning(str(exc), icon=":material/warning:")
    else:
        st.error(str(exc), icon=":material/error:")


def fail(exc: ApiError) -> NoReturn:
    show(exc)
    st.stop()


def fetch(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args, **kwargs)``; on an API error, show it and stop the page."""
    try:
        return call(*args, **kwargs)
    except ApiError as exc:
        fail(exc)


def attempt(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    """``call(*args, **kwargs)``; on an API error, show it and return None."""
    try:
        return call(*args, **kwargs)
    except ApiError as exc:
        show(exc)
        return None


def quietly(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    """``call(*args, **kwargs)``; on an API error, None and nothing shown: for extras around a page
    (a badge in the navigation) whose own page reports the error."""
    try:
        return call(*args, **kwargs)
    except ApiError:
        return None


def perform(call: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> bool:
    """``call(*args, **kwargs)`` for its effect; on an API error, show it and return False."""
    try:
        call(*args, **kwargs)
    except ApiError as exc:
        show(exc)
        return False
    return True


class FieldErrors:
    """Empty slots under a form's fields that a 422 fills, each next to the field it names.

    Call ``slot("question")`` right after the widget for ``question``; ``submit`` runs the call
    and, on a ``ValidationFailed``, writes each message into its field's slot. Messages for no
    slot (or for the whole form, ``""``) show in one error where ``submit`` is called.
    """

    def __init__(self) -> None:
        self._slots: dict[str, st.delta_generator.DeltaGenerator] = {}

    def slot(self, field: str) -> None:
        self._slots[field] = st.empty()

    def submit(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        try:
            return call(*args, **kwargs)
        except ValidationFailed as exc:
            self.show(exc)
        except ApiError as exc:
            show(exc)
        return None

    def show(self, exc: ValidationFailed) -> None:
        placed: dict[str, list[str]] = {}
        loose: list[str] = []
        for field, message in exc.field_errors.items():
            top = field.split(".", 1)[0]
            if top in self._slots:
                where = field if field != top else ""
                placed.setdefault(top, []).append(f"{where}: {message}" if where else message)
            else:
                loose.append(f"{field}: {message}" if field else message)
        for top, messages in placed.items():
            self._slots[top].error("  \n".join(messages), icon=":material/error:")
        if loose or not placed:
            st.error("  \n".join(loose) or str(exc), icon=":material/error:")
