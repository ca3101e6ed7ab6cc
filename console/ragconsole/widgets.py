"""Small interaction patterns the pages share: a message that survives a rerun, and a button
that asks for confirmation before anything irreversible."""

from __future__ import annotations

from typing import Literal

import streamlit as st

Level = Literal["success", "info", "warning", "error"]


def flash(page: str, level: Level, message: str) -> None:
    """Queues ``message`` to show at the top of ``page`` on its next run (after ``st.rerun``)."""
    st.session_state.setdefault(f"{page}_flash", []).append((level, message))


def show_flashes(page: str) -> None:
    for level, message in st.session_state.pop(f"{page}_flash", []):
        getattr(st, level)(message)


def confirm_button(label: str, key: str, prompt: str, *, confirm_label: str | None = None) -> bool:
    """A button that asks once more: True only on the click that confirms ``prompt``.

    The pending question is remembered under ``<key>_confirm``; Cancel forgets it.
    """
    pending = f"{key}_confirm"
    if st.button(label, key=key):
        st.session_state[pending] = True
    if not st.session_state.get(pending):
        return False
    with st.container(border=True):
        st.warning(prompt, icon=":material/help:")
        yes, no = st.columns(2)
        if yes.button(confirm_label or f"Yes, {label.lower().rstrip('…')}", key=f"{key}_yes", type="primary"):
            st.session_state.pop(pending, None)
            return True
        if no.button("Cancel", key=f"{key}_no"):
            st.session_state.pop(pending, None)
            st.rerun()
    return False
