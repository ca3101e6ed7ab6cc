"""Notifications: what the platform told this admin (unanswered questions, finished workflows,
hot leads, payments), newest first; mark one or all read, or open what one is about on its page.
The navigation shows the unread count."""

from __future__ import annotations

import streamlit as st

from ragconsole import calls, session
from ragconsole.widgets import flash, show_flashes
from ragplatform.client import NotificationPublic

PAGE = "notifications"
PAGE_SIZE = 50
SEVERITY_ICONS = {
    "info": ":material/info:",
    "success": ":material/check_circle:",
    "warning": ":material/warning:",
    "error": ":material/error:",
}
api = session.client()


def console_target(action_url: str | None) -> tuple[str, str, dict[str, object]] | None:
    """Where the console shows what ``action_url`` (an API path) is about: (button label, page,
    the state that page opens with); None for anything else."""
    path = (action_url or "").rstrip("/")
    kind, _, ident = path.rpartition("/")
    if kind == "/api/agents/workflows/runs" and ident:
        return "Open run", "app_pages/workflows.py", {"workflows_run": ident}
    if kind == "/api/leads" and ident:
        return "Open lead", "app_pages/leads.py", {"leads_selected": ident}
    if kind == "/api/admin/sessions" and ident:
        return "Answer it", "app_pages/sessions.py", {"sessions_view": "Unanswered queue"}
    return None


def card(note: NotificationPublic) -> None:
    with st.container(border=True):
        text, action = st.columns([5, 1])
        with text:
            title = note.title if note.read else f"**{note.title}** · new"
            st.markdown(f"{SEVERITY_ICONS.get(note.severity, '')} {title}")
            if note.message:
                st.caption(note.message)
            st.caption(f"{note.notification_type.replace('_', ' ')} · {note.created_at:%Y-%m-%d %H:%M} UTC")
        with action:
            if not note.read and st.button("Mark read", key=f"{PAGE}_read_{note.id}", icon=":material/done:"):
                marked = calls.attempt(api.mark_notification_read, note.id)
                if marked is not None:
                    st.rerun()
            target = console_target(note.action_url)
            if target is not None and st.button(target[0], key=f"{PAGE}_open_{note.id}"):
                if not note.read:
                    calls.attempt(api.mark_notification_read, note.id)
                st.session_state.update(target[2])
                st.switch_page(target[1])


st.title("Notifications")
show_flashes(PAGE)
unread_only = st.toggle("Unread only", key=f"{PAGE}_unread_only")
page = int(st.session_state.get(f"{PAGE}_page", 1))
found = calls.fetch(
    api.notifications, unread_only=unread_only, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
)
pages = max(1, -(-found.count // PAGE_SIZE))
if page > pages:  # fewer now (marked read, or the filter narrowed): back to the first page
    st.session_state[f"{PAGE}_page"] = 1
    st.rerun()

count, mark_all = st.columns([3, 1])
count.metric("Unread", found.unread)
if mark_all.button(
    "Mark all read", key=f"{PAGE}_read_all", icon=":material/done_all:", disabled=found.unread == 0
):
    updated = calls.attempt(api.mark_all_notifications_read)
    if updated is not None:
        flash(PAGE, "success", f"Marked {updated} notifications read.")
        st.rerun()

if pages > 1:
    st.number_input("Page", min_value=1, max_value=pages, key=f"{PAGE}_page")
if not found.data:
    st.info(
        "Nothing unread." if unread_only else "No notifications yet.", icon=":material/notifications_off:"
    )
for note in found.data:
    card(note)
st.caption(
    f"{len(found.data)} of {found.count} notifications" + (f", page {page} of {pages}" if pages > 1 else "")
)
