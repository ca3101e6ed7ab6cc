"""Notifications page: the admin's notifications with the unread count (on the page and in the
navigation), marking one read, marking all read, and the unread-only view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console_support import assert_clean, button, console, open_page, page_text
from streamlit.testing.v1 import AppTest

from ragplatform.client import RagClient

if TYPE_CHECKING:
    from ragplatform.factory import Platform


def unread_metric(at: AppTest) -> int:
    return int(next(m.value for m in at.metric if m.label == "Unread"))


def navigation_titles(at: AppTest) -> list[str]:
    """The page titles the navigation shows (AppTest keeps the pages ``st.navigation`` registered)."""
    return [str(page.get("page_name", "")) for page in at._registered_pages.values()]


def test_mark_one_then_all_read_changes_the_count(
    platform: Platform, admin_token: str, api: RagClient
) -> None:
    admin_id = platform.content.get_user_by_username(platform.settings.admin_username).id
    api.mark_all_notifications_read()
    older = platform.notifications.create(admin_id, "workflow_completed", "Rebuild done", severity="success")
    newer = platform.notifications.create(
        admin_id, "lead_qualified", "A hot lead", "ada@example.org scored 91", severity="info"
    )

    at = open_page(console(admin_token), "notifications")
    assert_clean(at)
    assert unread_metric(at) == 2 == api.notifications(unread_only=True).unread
    assert "Notifications (2)" in navigation_titles(at)
    text = page_text(at)
    assert "**A hot lead** · new" in text and "ada@example.org scored 91" in text
    assert text.index("A hot lead") < text.index("Rebuild done")  # newest first

    button(at, f"notifications_read_{newer.id}")
    assert_clean(at)
    assert api.notification(newer.id).read and not api.notification(older.id).read
    assert unread_metric(at) == 1 and "Notifications (1)" in navigation_titles(at)
    assert not [b for b in at.button if b.key == f"notifications_read_{newer.id}"]

    at.toggle(key="notifications_unread_only").set_value(True).run()
    assert "Rebuild done" in page_text(at) and "A hot lead" not in page_text(at)

    button(at, "notifications_read_all")
    assert_clean(at)
    assert api.notifications(unread_only=True).unread == 0
    assert unread_metric(at) == 0 and "Notifications" in navigation_titles(at)
    assert "Marked 1 notifications read." in page_text(at) and "Nothing unread." in page_text(at)
    assert at.button(key="notifications_read_all").disabled


def test_a_notification_opens_what_it_is_about(admin_token: str, api: RagClient) -> None:
    api.mark_all_notifications_read()
    run = api.execute_workflow("qualify_leads", {"lead_ids": []})
    note = next(
        n
        for n in api.notifications(unread_only=True).data
        if n.metadata.get("workflow_run_id") == run.workflow_run_id
    )
    at = open_page(console(admin_token), "notifications")
    button(at, f"notifications_open_{note.id}")
    assert_clean(at)
    assert at.title[0].value == "Workflows"
    assert f"run `{run.workflow_run_id}`" in page_text(at) and "Current run" in page_text(at)
    assert api.notification(note.id).read
