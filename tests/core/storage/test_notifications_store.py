"""Notifications in PostgreSQL: stored per user, listed newest first (optionally unread only),
fetched and marked read only by their owner, counted, and handed to ``on_created`` hooks; the
unanswered-question hook writes one warning per active admin."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from psycopg_pool import ConnectionPool

from ragplatform.answering.service import Answer
from ragplatform.content.postgres import PostgresContentStore
from ragplatform.errors import InvalidInput, NotFound
from ragplatform.notifications.store import Notification, NotificationStore
from ragplatform.notifications.unanswered import UnansweredNotifier


def user() -> str:
    return f"u-{uuid.uuid4().hex[:8]}"


def test_create_list_filter_and_counts(pg_pool: ConnectionPool[Any]) -> None:
    store, alice = NotificationStore(pg_pool), user()
    first = store.create(alice, "workflow_completed", "Rebuild done", "v7 serves", severity="success")
    second = store.create(alice, "unanswered_question", "Unanswered", "why?", severity="warning",
                          metadata={"session_id": "s1"}, action_url="/x")  # fmt: skip
    assert (first.read, first.severity, first.metadata) == (False, "success", {})
    assert (second.metadata, second.action_url) == ({"session_id": "s1"}, "/x")
    assert [n.id for n in store.list(alice)] == [second.id, first.id]
    assert store.count_unread(alice) == 2

    read = store.mark_read(first.id, alice)
    assert read.read is True
    assert [n.id for n in store.list(alice, unread_only=True)] == [second.id]
    assert store.count_unread(alice) == 1
    page = store.page(alice, unread_only=False, skip=1, limit=1)
    assert ([n.id for n in page.items], page.total, page.unread) == ([first.id], 2, 1)

    assert store.mark_all_read(alice) == 1
    assert store.mark_all_read(alice) == 0
    assert store.count_unread(alice) == 0
    assert store.get(second.id, alice).read is True


def test_another_users_notification_is_not_found(pg_pool: ConnectionPool[Any]) -> None:
    store, alice, bob = NotificationStore(pg_pool), user(), user()
    mine = store.create(alice, "note", "Private")
    with pytest.raises(NotFound):
        store.get(mine.id, bob)
    with pytest.raises(NotFound):
        store.mark_read(mine.id, bob)
    with pytest.raises(NotFound):
        store.get("not-a-uuid", alice)
    assert store.list(bob) == []
    assert store.mark_all_read(bob) == 0
    assert store.get(mine.id, alice).read is False


def test_bad_input_names_the_field(pg_pool: ConnectionPool[Any]) -> None:
    store = NotificationStore(pg_pool)
    with pytest.raises(InvalidInput) as bad:
        store.create(user(), "note", "t", severity="fatal")  # type: ignore[arg-type]
    assert (bad.value.field, bad.value.value) == ("severity", "fatal")
    with pytest.raises(InvalidInput) as empty:
        store.create(user(), "note", " ")
    assert empty.value.field == "title"
    with pytest.raises(InvalidInput) as paging:
        store.list(user(), limit=0)
    assert paging.value.field == "limit"


def test_hooks_receive_each_created_notification_and_a_failing_hook_loses_nothing(
    pg_pool: ConnectionPool[Any],
) -> None:
    seen: list[Notification] = []

    def broken(_: Notification) -> None:
        raise RuntimeError("listener down")

    store = NotificationStore(pg_pool, on_created=[broken, seen.append])
    alice, bob = user(), user()
    created = store.create_many([alice, bob], "note", "Hello both")
    assert [n.user_id for n in seen] == [alice, bob]
    assert [n.id for n in seen] == [n.id for n in created]
    assert store.get(created[0].id, alice).title == "Hello both"


def test_unanswered_questions_notify_every_active_admin(pg_pool: ConnectionPool[Any]) -> None:
    content = PostgresContentStore(pg_pool)
    tag = uuid.uuid4().hex[:8]
    admin = content.create_user(f"admin-{tag}", None, role="admin")
    retired = content.create_user(f"retired-{tag}", None, role="admin")
    with pg_pool.connection() as conn:
        conn.execute("UPDATE app_user SET is_active = false WHERE id = %s", [retired.id])
    member = content.create_user(f"member-{tag}", None)
    store = NotificationStore(pg_pool)
    answer = Answer(answer="I don't know.", citations=[], unanswered=True, source="llm", session_id="s-9",
                    index_version=None, generator="extractive")  # fmt: skip

    UnansweredNotifier(content, store)("What is a flux capacitor?", answer, "visitor-1")

    (note,) = store.list(admin.id)
    assert (note.notification_type, note.severity) == ("unanswered_question", "warning")
    assert note.metadata == {
        "question": "What is a flux capacitor?",
        "session_id": "s-9",
        "asked_by": "visitor-1",
    }
    assert store.list(retired.id) == []
    assert store.list(member.id) == []
