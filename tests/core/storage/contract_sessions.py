"""Contract suite for SessionStore: each implementation subclasses ``SessionStoreContract``
and overrides the ``session_store`` fixture with an empty store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from ragplatform.errors import Conflict, InvalidInput, NotFound
from ragplatform.sessions.base import SessionStore

INJECTIONS: list[Any] = [
    "$where",
    '{"$gt": ""}',
    "'; DROP TABLE chat_session; --",
    ".*",
    "a.b.$c",
    "%_\\",
]
HOSTILE_METADATA: dict[str, Any] = {
    "$where": "sleep(1000)",
    "a.b": {"$gt": ""},
    "%24x": 1,
    "nested": [{"$ne": None, "k.e.y": "v"}],
}


class _Base:
    @pytest.fixture
    def session_store(self) -> SessionStore:
        raise NotImplementedError("override session_store in the implementation's test class")


class SessionCrudTest(_Base):
    def test_is_a_session_store(self, session_store: SessionStore) -> None:
        assert isinstance(session_store, SessionStore)

    def test_create_and_get(self, session_store: SessionStore) -> None:
        created = session_store.create_session("alice", title="Trip", metadata={"lang": "en"})
        assert uuid.UUID(created.id).version == 4
        assert created.created_at.tzinfo is not None
        assert created.created_at.utcoffset() == timedelta(0)
        assert created.created_at == created.updated_at
        assert session_store.get_session(created.id) == created

    def test_caller_provided_id_and_duplicate_conflict(self, session_store: SessionStore) -> None:
        created = session_store.create_session("alice", session_id="my-chat")
        assert created.id == "my-chat"
        with pytest.raises(Conflict, match="session my-chat already exists"):
            session_store.create_session("bob", session_id="my-chat")
        assert session_store.get_session("my-chat").user_id == "alice"

    def test_list_newest_first_with_user_filter_and_pages(self, session_store: SessionStore) -> None:
        s1 = session_store.create_session("alice")
        s2 = session_store.create_session("alice")
        s3 = session_store.create_session("bob")
        assert [s.id for s in session_store.list_sessions()] == [s3.id, s2.id, s1.id]
        assert [s.id for s in session_store.list_sessions(user_id="alice")] == [s2.id, s1.id]
        assert [s.id for s in session_store.list_sessions(skip=1, limit=1)] == [s2.id]
        session_store.add_message(s1.id, "user", "hi")  # activity moves s1 to the top
        assert next(s.id for s in session_store.list_sessions()) == s1.id

    def test_count(self, session_store: SessionStore) -> None:
        for user in ("alice", "alice", "bob"):
            session_store.create_session(user)
        assert session_store.count_sessions() == 3
        assert session_store.count_sessions(user_id="alice") == 2
        assert session_store.count_sessions(user_id="nobody") == 0

    def test_update_merges_metadata_and_bumps_updated_at(self, session_store: SessionStore) -> None:
        created = session_store.create_session("alice", title="Old", metadata={"a": 1, "b": 2})
        updated = session_store.update_session(created.id, metadata={"b": 3, "c": 4})
        assert updated.metadata == {"a": 1, "b": 3, "c": 4}
        assert updated.title == "Old"
        assert updated.updated_at > created.updated_at
        retitled = session_store.update_session(created.id, title="New")
        assert (retitled.title, retitled.metadata) == ("New", {"a": 1, "b": 3, "c": 4})
        assert session_store.get_session(created.id) == retitled

    def test_delete_cascades_to_messages(self, session_store: SessionStore) -> None:
        created = session_store.create_session("alice")
        message = session_store.add_message(created.id, "user", "hello")
        session_store.delete_session(created.id)
        with pytest.raises(NotFound, match=f"session {created.id} not found"):
            session_store.get_session(created.id)
        with pytest.raises(NotFound, match=f"message {message.id} not found"):
            session_store.get_message(message.id)
        assert session_store.search_messages(text="hello") == []

    def test_unknown_ids_are_not_found(self, session_store: SessionStore) -> None:
        for call in (
            lambda: session_store.get_session("nope"),
            lambda: session_store.update_session("nope", title="x"),
            lambda: session_store.delete_session("nope"),
            lambda: session_store.add_message("nope", "user", "x"),
            lambda: session_store.list_messages("nope"),
        ):
            with pytest.raises(NotFound, match="session nope not found"):
                call()
        with pytest.raises(NotFound, match="message nope not found"):
            session_store.get_message("nope")
        with pytest.raises(NotFound, match="message nope not found"):
            session_store.update_message("nope", content="x")


class MessageTest(_Base):
    def test_add_and_list_in_order_with_limit(self, session_store: SessionStore) -> None:
        session = session_store.create_session("alice")
        contents = [f"m{i}" for i in range(6)]
        for i, text in enumerate(contents):
            session_store.add_message(session.id, "user" if i % 2 == 0 else "assistant", text)
        assert [m.content for m in session_store.list_messages(session.id)] == contents
        assert [m.content for m in session_store.list_messages(session.id, limit=2)] == ["m4", "m5"]
        assert session_store.list_messages(session_store.create_session("bob").id) == []

    def test_count_messages(self, session_store: SessionStore) -> None:
        session = session_store.create_session("alice")
        assert session_store.count_messages(session.id) == 0
        for text in ("q", "a", "q2"):
            session_store.add_message(session.id, "user", text)
        assert session_store.count_messages(session.id) == 3
        with pytest.raises(NotFound):
            session_store.count_messages("no-such-session")

    def test_add_message_bumps_session_updated_at(self, session_store: SessionStore) -> None:
        session = session_store.create_session("alice")
        message = session_store.add_message(session.id, "user", "hi")
        after = session_store.get_session(session.id)
        assert after.updated_at > session.updated_at
        assert after.updated_at >= message.created_at

    def test_message_metadata_round_trip_and_update(self, session_store: SessionStore) -> None:
        session = session_store.create_session("alice")
        citations = [{"source": "faq/1", "score": 0.9, "text": "Opening hours"}]
        added = session_store.add_message(
            session.id, "assistant", "9 to 5", metadata={"citations": citations, "unanswered": False}
        )
        assert session_store.get_message(added.id) == added
        assert added.metadata["citations"] == citations
        updated = session_store.update_message(added.id, content="9 to 6", metadata={"latency_ms": 12.5})
        assert updated.content == "9 to 6"
        assert updated.metadata == {"citations": citations, "unanswered": False, "latency_ms": 12.5}
        assert session_store.list_messages(session.id) == [updated]

    def test_bad_role_is_invalid_input(self, session_store: SessionStore) -> None:
        session = session_store.create_session("alice")
        with pytest.raises(InvalidInput, match="role"):
            session_store.add_message(session.id, cast(Any, "wizard"), "x")
        assert session_store.list_messages(session.id) == []

    def test_history_pairs_oldest_first_across_sessions(self, session_store: SessionStore) -> None:
        s1 = session_store.create_session("alice")
        s2 = session_store.create_session("alice")
        other = session_store.create_session("bob")
        session_store.add_message(s1.id, "user", "q1")
        session_store.add_message(s1.id, "assistant", "a1")
        session_store.add_message(other.id, "user", "bob-q")
        session_store.add_message(other.id, "assistant", "bob-a")
        session_store.add_message(s2.id, "user", "q2")
        session_store.add_message(s1.id, "user", "q3")
        session_store.add_message(s2.id, "system", "note")
        session_store.add_message(s2.id, "assistant", "a2")
        session_store.add_message(s1.id, "assistant", "a3")
        session_store.add_message(s1.id, "user", "q4-unanswered")
        assert session_store.history("alice", n=3) == [("q1", "a1"), ("q2", "a2"), ("q3", "a3")]
        assert session_store.history("alice", n=2) == [("q2", "a2"), ("q3", "a3")]
        assert session_store.history("bob") == [("bob-q", "bob-a")]
        assert session_store.history("nobody") == []
        assert session_store.history("alice", n=0) == []


class SearchTest(_Base):
    @pytest.fixture
    def conversation(self, session_store: SessionStore) -> dict[str, Any]:
        alice = session_store.create_session("alice")
        bob = session_store.create_session("bob")
        q1 = session_store.add_message(alice.id, "user", "Where is the PARKING?")
        a1 = session_store.add_message(alice.id, "assistant", "I don't know.", metadata={"unanswered": True})
        q2 = session_store.add_message(bob.id, "user", "parking price?")
        a2 = session_store.add_message(bob.id, "assistant", "5 EUR", metadata={"unanswered": False})
        return {"q1": q1, "a1": a1, "q2": q2, "a2": a2}

    def test_by_user_newest_first(self, session_store: SessionStore, conversation: dict[str, Any]) -> None:
        found = session_store.search_messages(user_id="alice")
        assert [m.id for m in found] == [conversation["a1"].id, conversation["q1"].id]

    def test_by_text_case_insensitive(
        self, session_store: SessionStore, conversation: dict[str, Any]
    ) -> None:
        found = session_store.search_messages(text="parking")
        assert [m.id for m in found] == [conversation["q2"].id, conversation["q1"].id]
        assert [m.id for m in session_store.search_messages(text="parking", role="user", limit=1)] == [
            conversation["q2"].id
        ]

    def test_text_is_never_a_pattern(self, session_store: SessionStore, conversation: dict[str, Any]) -> None:
        for pattern in (".*", "%", "_", "P.RKING", "(", "[a-z]"):
            assert session_store.search_messages(text=pattern) == [], pattern
        assert [m.id for m in session_store.search_messages(text="don't")] == [conversation["a1"].id]

    def test_unanswered(self, session_store: SessionStore, conversation: dict[str, Any]) -> None:
        assert [m.id for m in session_store.search_messages(unanswered=True)] == [conversation["a1"].id]
        answered = session_store.search_messages(unanswered=False, role="assistant")
        assert [m.id for m in answered] == [conversation["a2"].id]

    def test_by_date(self, session_store: SessionStore, conversation: dict[str, Any]) -> None:
        q2 = conversation["q2"]
        since = session_store.search_messages(since=q2.created_at)
        assert [m.id for m in since] == [conversation["a2"].id, q2.id]
        until = session_store.search_messages(until=q2.created_at)
        assert next(m.id for m in until) == q2.id
        assert len(until) == 3
        naive_future = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None)
        assert session_store.search_messages(since=naive_future) == []


class UnansweredQueueTest(_Base):
    """``resolved`` and ``skip`` of ``search_messages``: the admins' unanswered queue."""

    def test_resolved_filter_reads_metadata_resolved(self, session_store: SessionStore) -> None:
        session = session_store.create_session("alice")
        old = session_store.add_message(session.id, "assistant", "I don't know", {"unanswered": True})
        new = session_store.add_message(session.id, "assistant", "I don't know", {"unanswered": True})
        session_store.add_message(session.id, "assistant", "5 EUR", {"unanswered": False})

        def queue() -> list[str]:
            found = session_store.search_messages(role="assistant", unanswered=True, resolved=False)
            return [m.id for m in found]

        assert queue() == [new.id, old.id]
        session_store.update_message(new.id, metadata={"resolved": {"faq_id": 7, "by": "admin"}})
        assert queue() == [old.id]
        done = session_store.search_messages(resolved=True)
        assert [m.id for m in done] == [new.id]
        assert done[0].metadata["resolved"] == {"faq_id": 7, "by": "admin"}
        session_store.update_message(old.id, metadata={"resolved": None})  # null counts as not resolved
        assert queue() == [old.id]

    def test_skip_pages_newest_first(self, session_store: SessionStore) -> None:
        session = session_store.create_session("alice")
        ids = [session_store.add_message(session.id, "user", f"m{i}").id for i in range(5)]
        newest_first = list(reversed(ids))
        assert [m.id for m in session_store.search_messages(skip=1, limit=2)] == newest_first[1:3]
        assert session_store.search_messages(skip=5) == []
        with pytest.raises(InvalidInput, match="skip"):
            session_store.search_messages(skip=-1)


class SessionSearchTest(_Base):
    @pytest.fixture
    def sessions(self, session_store: SessionStore) -> dict[str, Any]:
        alice_old = session_store.create_session("alice", title="Opening hours")
        session_store.add_message(alice_old.id, "user", "When do you open?")
        session_store.add_message(alice_old.id, "assistant", "At 9.", {"unanswered": False})
        bob = session_store.create_session("bob", title="Trip")
        session_store.add_message(bob.id, "user", "Where is the PARKING?")
        session_store.add_message(bob.id, "assistant", "I don't know.", {"unanswered": True})
        session_store.add_message(bob.id, "user", "And the bus?")
        session_store.add_message(bob.id, "assistant", "I don't know.", {"unanswered": True})
        alice_new = session_store.create_session("alice", title="Parking lot")
        return {"alice_old": alice_old, "bob": bob, "alice_new": alice_new}

    def test_all_newest_first_with_counts(
        self, session_store: SessionStore, sessions: dict[str, Any]
    ) -> None:
        result = session_store.search_sessions()
        assert result.total == 3
        assert [s.id for s in result.sessions] == [sessions[k].id for k in ("alice_new", "bob", "alice_old")]
        counts = {s.id: (s.message_count, s.unanswered_count) for s in result.sessions}
        assert counts == {
            sessions["alice_new"].id: (0, 0),
            sessions["bob"].id: (4, 2),
            sessions["alice_old"].id: (2, 0),
        }
        assert result.sessions[1].user_id == "bob" and result.sessions[1].title == "Trip"

    def test_by_user_and_pages(self, session_store: SessionStore, sessions: dict[str, Any]) -> None:
        alice = session_store.search_sessions(user_id="alice")
        assert (alice.total, [s.id for s in alice.sessions]) == (
            2,
            [sessions["alice_new"].id, sessions["alice_old"].id],
        )
        page = session_store.search_sessions(skip=1, limit=1)
        assert (page.total, [s.id for s in page.sessions]) == (3, [sessions["bob"].id])
        assert session_store.search_sessions(skip=3).sessions == []
        assert session_store.search_sessions(user_id="nobody").total == 0

    def test_text_matches_title_or_any_message(
        self, session_store: SessionStore, sessions: dict[str, Any]
    ) -> None:
        parking = session_store.search_sessions(text="parking")
        assert {s.id for s in parking.sessions} == {sessions["bob"].id, sessions["alice_new"].id}
        assert parking.total == 2
        assert [s.id for s in session_store.search_sessions(text="OPEN").sessions] == [
            sessions["alice_old"].id
        ]
        assert session_store.search_sessions(text="parking", user_id="alice").total == 1
        for pattern in (".*", "%", "_", "P.RKING"):
            assert session_store.search_sessions(text=pattern).total == 0, pattern

    def test_by_activity_window(self, session_store: SessionStore, sessions: dict[str, Any]) -> None:
        bob = session_store.get_session(sessions["bob"].id)
        later = session_store.search_sessions(since=bob.updated_at)
        assert [s.id for s in later.sessions] == [sessions["alice_new"].id, sessions["bob"].id]
        earlier = session_store.search_sessions(until=bob.created_at)
        assert [s.id for s in earlier.sessions] == [sessions["bob"].id, sessions["alice_old"].id]
        future = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None)
        assert session_store.search_sessions(since=future).total == 0
        past = datetime.now(UTC) - timedelta(days=1)
        assert session_store.search_sessions(until=past).total == 0

    def test_bad_input_is_refused(self, session_store: SessionStore) -> None:
        with pytest.raises(InvalidInput, match="limit"):
            session_store.search_sessions(limit=0)
        with pytest.raises(InvalidInput, match="user_id must be a string"):
            session_store.search_sessions(user_id=cast(Any, {"$ne": None}))
        with pytest.raises(InvalidInput, match="text must be a string"):
            session_store.search_sessions(text=cast(Any, {"$regex": ".*"}))


class InjectionTest(_Base):
    @pytest.mark.parametrize("text", INJECTIONS)
    def test_hostile_strings_are_stored_verbatim(self, session_store: SessionStore, text: str) -> None:
        session = session_store.create_session(text, title=text, session_id=f"id-{text}")
        message = session_store.add_message(session.id, "user", text)
        again = session_store.get_session(f"id-{text}")
        assert (again.user_id, again.title) == (text, text)
        assert session_store.get_message(message.id).content == text
        assert [m.id for m in session_store.search_messages(user_id=text, text=text)] == [message.id]
        assert session_store.count_sessions(user_id=text) == 1
        assert session_store.count_sessions() == 1

    def test_hostile_metadata_keys_round_trip(self, session_store: SessionStore) -> None:
        session = session_store.create_session("alice", metadata=HOSTILE_METADATA)
        assert session_store.get_session(session.id).metadata == HOSTILE_METADATA
        merged = session_store.update_session(session.id, metadata={"$set": {"x": 1}, "x.y": 2})
        assert merged.metadata == {**HOSTILE_METADATA, "$set": {"x": 1}, "x.y": 2}
        message = session_store.add_message(session.id, "assistant", "a", metadata=HOSTILE_METADATA)
        assert session_store.get_message(message.id).metadata == HOSTILE_METADATA

    def test_non_string_ids_are_refused(self, session_store: SessionStore) -> None:
        session_store.create_session("alice")
        operator = cast(Any, {"$ne": None})
        with pytest.raises(InvalidInput, match="user_id must be a string"):
            session_store.search_messages(user_id=operator)
        with pytest.raises(InvalidInput, match="session_id must be a string"):
            session_store.get_session(operator)
        with pytest.raises(InvalidInput, match="user_id must be a string"):
            session_store.list_sessions(user_id=operator)


class ActivityTest(_Base):
    """``count_active_sessions``: sessions with a message inside each half-open window."""

    def test_counts_per_window_and_owner(self, session_store: SessionStore) -> None:
        before = datetime.now(UTC) - timedelta(seconds=1)
        a1, a2, b1 = (session_store.create_session(u) for u in ("alice", "alice", "bob"))
        session_store.create_session("alice")  # no message: never active
        first = session_store.add_message(a1.id, "user", "one")
        session_store.add_message(a1.id, "assistant", "two")
        session_store.add_message(a2.id, "user", "three")
        last = session_store.add_message(b1.id, "user", "four")
        after = last.created_at + timedelta(seconds=1)
        windows = [
            (before, after),
            (first.created_at, first.created_at),  # empty
            (before, first.created_at),  # the end is excluded
            (first.created_at, last.created_at),  # the start is included, bob's message is not
            (after, after + timedelta(days=1)),
        ]
        assert session_store.count_active_sessions(windows) == [3, 0, 0, 2, 0]
        assert session_store.count_active_sessions(windows, user_id="alice") == [2, 0, 0, 2, 0]
        assert session_store.count_active_sessions(windows, user_id="carol") == [0, 0, 0, 0, 0]
        naive = [(before.replace(tzinfo=None), after.replace(tzinfo=None))]
        assert session_store.count_active_sessions(naive, user_id="bob") == [1]
        assert session_store.count_active_sessions([]) == []

    def test_a_window_that_ends_before_it_starts_is_refused(self, session_store: SessionStore) -> None:
        now = datetime.now(UTC)
        with pytest.raises(InvalidInput, match="window 1 ends"):
            session_store.count_active_sessions([(now, now), (now, now - timedelta(seconds=1))])
        with pytest.raises(InvalidInput):
            session_store.count_active_sessions([(now, now)], user_id=cast(Any, {"$ne": None}))


class HealthTest(_Base):
    def test_health(self, session_store: SessionStore) -> None:
        assert session_store.health()["status"] == "healthy"


class SessionStoreContract(
    SessionCrudTest,
    MessageTest,
    SearchTest,
    UnansweredQueueTest,
    SessionSearchTest,
    InjectionTest,
    ActivityTest,
    HealthTest,
):
    """Everything a SessionStore must do."""
