"""Contract suite for ContentStore: each implementation subclasses ``ContentStoreContract``
and overrides the ``content_store`` fixture with an empty store (Haystack's
``testing/document_store.py`` pattern)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from ragplatform.content.base import (
    ContentStore,
    DocumentCreate,
    EmergencyContactCreate,
    EmergencyContactUpdate,
    EventCreate,
    EventPrice,
    EventUpdate,
    FaqCreate,
    FaqUpdate,
)
from ragplatform.errors import Conflict, InvalidInput, NotFound

SQLISH = '\'; DROP TABLE faq_item; -- 100% _sure_ \\ "quoted" $1 {}'


class _Base:
    @pytest.fixture
    def content_store(self) -> ContentStore:
        raise NotImplementedError("override content_store in the implementation's test class")


class FaqTest(_Base):
    def test_is_a_content_store(self, content_store: ContentStore) -> None:
        assert isinstance(content_store, ContentStore)

    def test_create_get_round_trip(self, content_store: ContentStore) -> None:
        created = content_store.create_faq(FaqCreate(question="Opening hours?", answer="9 to 5"))
        assert created.id > 0
        assert created.is_active is True
        assert created.created_at.tzinfo is not None
        fetched = content_store.get_faq(created.id)
        assert fetched == created

    def test_update_changes_only_given_fields_and_moves_updated_at(self, content_store: ContentStore) -> None:
        created = content_store.create_faq(FaqCreate(question="Q?", answer="A"))
        updated = content_store.update_faq(created.id, FaqUpdate(answer="B", is_active=False))
        assert (updated.question, updated.answer, updated.is_active) == ("Q?", "B", False)
        assert updated.updated_at > created.updated_at
        assert updated.created_at == created.created_at
        assert content_store.get_faq(created.id) == updated

    def test_delete_then_get_is_not_found(self, content_store: ContentStore) -> None:
        created = content_store.create_faq(FaqCreate(question="Q?", answer="A"))
        content_store.delete_faq(created.id)
        with pytest.raises(NotFound, match=f"FAQ item {created.id} not found"):
            content_store.get_faq(created.id)

    @pytest.mark.parametrize("faq_id", [424242, 0, -1, 2**70])
    def test_unknown_ids_are_not_found(self, content_store: ContentStore, faq_id: int) -> None:
        with pytest.raises(NotFound, match=f"FAQ item {faq_id} not found"):
            content_store.get_faq(faq_id)
        with pytest.raises(NotFound, match=f"FAQ item {faq_id} not found"):
            content_store.update_faq(faq_id, FaqUpdate(answer="x"))
        with pytest.raises(NotFound, match=f"FAQ item {faq_id} not found"):
            content_store.delete_faq(faq_id)

    def test_pagination_skip_and_limit_in_id_order(self, content_store: ContentStore) -> None:
        ids = [content_store.create_faq(FaqCreate(question=f"Q{i}?", answer="A")).id for i in range(5)]
        assert [f.id for f in content_store.list_faqs()] == ids
        assert [f.id for f in content_store.list_faqs(skip=1, limit=2)] == ids[1:3]
        assert content_store.list_faqs(skip=5) == []

    @pytest.mark.parametrize(("skip", "limit", "message"), [(-1, 10, "skip"), (0, 0, "limit")])
    def test_bad_page_is_invalid_input(
        self, content_store: ContentStore, skip: int, limit: int, message: str
    ) -> None:
        with pytest.raises(InvalidInput, match=message):
            content_store.list_faqs(skip=skip, limit=limit)

    def test_query_matches_question_or_answer_case_insensitively(self, content_store: ContentStore) -> None:
        a = content_store.create_faq(FaqCreate(question="Where is PARKING?", answer="Behind"))
        b = content_store.create_faq(FaqCreate(question="Food?", answer="The parking lot has trucks"))
        content_store.create_faq(FaqCreate(question="Wifi?", answer="Yes"))
        assert [f.id for f in content_store.list_faqs(query="parking")] == [a.id, b.id]

    def test_query_wildcards_are_literal(self, content_store: ContentStore) -> None:
        pct = content_store.create_faq(FaqCreate(question="Is it 100% free?", answer="yes"))
        content_store.create_faq(FaqCreate(question="Is it 1000 free?", answer="no"))
        under = content_store.create_faq(FaqCreate(question="a_b", answer="x"))
        content_store.create_faq(FaqCreate(question="axb", answer="x"))
        assert [f.id for f in content_store.list_faqs(query="100%")] == [pct.id]
        assert [f.id for f in content_store.list_faqs(query="a_b")] == [under.id]
        assert content_store.list_faqs(query="%") == [pct]

    def test_active_only(self, content_store: ContentStore) -> None:
        active = content_store.create_faq(FaqCreate(question="On?", answer="A"))
        content_store.create_faq(FaqCreate(question="Off?", answer="A", is_active=False))
        assert content_store.list_faqs(active_only=True) == [active]
        assert len(content_store.list_faqs()) == 2

    def test_sql_looking_text_is_stored_verbatim(self, content_store: ContentStore) -> None:
        created = content_store.create_faq(FaqCreate(question=SQLISH, answer=SQLISH))
        assert content_store.get_faq(created.id).question == SQLISH
        assert content_store.list_faqs(query="DROP TABLE")[0].answer == SQLISH
        assert len(content_store.list_faqs()) == 1

    def test_empty_question_is_refused_before_the_store(self) -> None:
        with pytest.raises(ValidationError, match="question"):
            FaqCreate(question="", answer="A")
        with pytest.raises(ValidationError, match="answer"):
            FaqUpdate(answer="")


class ContactTest(_Base):
    def test_crud(self, content_store: ContentStore) -> None:
        created = content_store.create_contact(EmergencyContactCreate(name="Police", phone_number="112"))
        assert created.description == ""
        assert content_store.get_contact(created.id) == created
        updated = content_store.update_contact(created.id, EmergencyContactUpdate(description="Emergencies"))
        assert (updated.name, updated.description) == ("Police", "Emergencies")
        content_store.delete_contact(created.id)
        with pytest.raises(NotFound, match=f"emergency contact {created.id} not found"):
            content_store.get_contact(created.id)

    def test_query_and_active_only(self, content_store: ContentStore) -> None:
        fire = content_store.create_contact(EmergencyContactCreate(name="Fire brigade", phone_number="18"))
        content_store.create_contact(
            EmergencyContactCreate(name="Old fire line", phone_number="19", is_active=False)
        )
        content_store.create_contact(EmergencyContactCreate(name="Doctor", phone_number="15"))
        assert [c.id for c in content_store.list_contacts(query="FIRE", active_only=True)] == [fire.id]
        assert len(content_store.list_contacts(query="fire")) == 2

    def test_explicit_null_does_not_erase_a_required_field(self, content_store: ContentStore) -> None:
        created = content_store.create_contact(EmergencyContactCreate(name="Police", phone_number="112"))
        updated = content_store.update_contact(created.id, EmergencyContactUpdate(name=None, is_active=False))
        assert (updated.name, updated.is_active) == ("Police", False)

    def test_unknown_is_not_found(self, content_store: ContentStore) -> None:
        with pytest.raises(NotFound, match="emergency contact 99 not found"):
            content_store.update_contact(99, EmergencyContactUpdate(name="x"))


START = datetime(2030, 5, 1, 18, 0, tzinfo=UTC)


class EventTest(_Base):
    def test_price_list_round_trip(self, content_store: ContentStore) -> None:
        prices = [
            EventPrice(type="adult", amount=12.5, currency="EUR"),
            EventPrice(type="child", amount=0, currency="EUR"),
        ]
        created = content_store.create_event(
            EventCreate(name="Concert", date_start=START, date_end=START + timedelta(hours=2), price=prices)
        )
        fetched = content_store.get_event(created.id)
        assert fetched.price == prices
        assert fetched.date_start == START
        assert fetched == created

    def test_update_price_and_clear_end_date(self, content_store: ContentStore) -> None:
        created = content_store.create_event(
            EventCreate(name="Fair", date_start=START, date_end=START + timedelta(days=1))
        )
        assert created.price == []
        new_price = [EventPrice(type="standard", amount=5, currency="USD")]
        updated = content_store.update_event(created.id, EventUpdate(price=new_price, date_end=None))
        assert updated.price == new_price
        assert updated.date_end is None
        assert updated.name == "Fair"

    def test_update_that_ends_before_start_is_invalid(self, content_store: ContentStore) -> None:
        created = content_store.create_event(EventCreate(name="Fair", date_start=START))
        with pytest.raises(InvalidInput, match="date_end must not be before date_start"):
            content_store.update_event(created.id, EventUpdate(date_end=START - timedelta(days=1)))
        assert content_store.get_event(created.id).date_end is None

    def test_list_by_start_date_with_query_and_active(self, content_store: ContentStore) -> None:
        late = content_store.create_event(
            EventCreate(name="Jazz night", date_start=START + timedelta(days=3))
        )
        early = content_store.create_event(EventCreate(name="Jazz brunch", date_start=START))
        content_store.create_event(EventCreate(name="Jazz off", date_start=START, is_active=False))
        rock = content_store.create_event(EventCreate(name="Rock", date_start=START, address="Jazz street"))
        listed = content_store.list_events(query="jazz", active_only=True)
        assert [e.id for e in listed] == [early.id, rock.id, late.id]
        assert [e.id for e in content_store.list_events(query="JAZZ N")] == [late.id]
        assert len(content_store.list_events()) == 4

    def test_bad_event_input_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="date_end must not be before date_start"):
            EventCreate(name="x", date_start=START, date_end=START - timedelta(seconds=1))
        with pytest.raises(ValidationError, match="amount"):
            EventPrice(type="adult", amount=-1, currency="EUR")

    def test_unknown_is_not_found(self, content_store: ContentStore) -> None:
        with pytest.raises(NotFound, match="event 7 not found"):
            content_store.delete_event(7)


class DocumentTest(_Base):
    def _doc(self, owner: str = "alice", chat_id: str | None = None) -> DocumentCreate:
        return DocumentCreate(
            owner=owner, filename="a.pdf", size_bytes=10, storage_key=f"{owner}/a.pdf", chat_id=chat_id
        )

    def test_create_update_status_and_delete(self, content_store: ContentStore) -> None:
        created = content_store.create_document(self._doc())
        assert created.status == "uploaded"
        assert len(created.id) == 36
        parsed = content_store.update_document(created.id, status="parsed", chunks=12)
        assert (parsed.status, parsed.chunks, parsed.error) == ("parsed", 12, None)
        assert parsed.updated_at > created.updated_at
        failed = content_store.update_document(created.id, status="failed", error="bad PDF")
        assert content_store.get_document(created.id) == failed
        content_store.delete_document(created.id)
        with pytest.raises(NotFound, match=f"document {created.id} not found"):
            content_store.get_document(created.id)

    def test_bad_updates_are_invalid_input(self, content_store: ContentStore) -> None:
        created = content_store.create_document(self._doc())
        with pytest.raises(InvalidInput, match="status"):
            content_store.update_document(created.id, status="exploded")
        with pytest.raises(InvalidInput, match="owner"):
            content_store.update_document(created.id, owner="mallory")
        with pytest.raises(NotFound, match="document nope not found"):
            content_store.update_document("nope", status="parsed")

    def test_list_filters_by_owner_and_chat_newest_first(self, content_store: ContentStore) -> None:
        a1 = content_store.create_document(self._doc("alice"))
        a2 = content_store.create_document(self._doc("alice", chat_id="chat-1"))
        content_store.create_document(self._doc("bob"))
        assert [d.id for d in content_store.list_documents(owner="alice")] == [a2.id, a1.id]
        assert [d.id for d in content_store.list_documents(chat_id="chat-1")] == [a2.id]
        assert len(content_store.list_documents()) == 3
        assert [d.id for d in content_store.list_documents(owner="alice", skip=1)] == [a1.id]


class UserTest(_Base):
    def test_create_and_lookup(self, content_store: ContentStore) -> None:
        user = content_store.create_user("alice", "hash", role="admin", full_name="Alice A.")
        assert (user.username, user.role, user.full_name, user.is_active) == (
            "alice",
            "admin",
            "Alice A.",
            True,
        )
        assert content_store.get_user(user.id) == user
        assert content_store.get_user_by_username("alice") == user

    def test_duplicate_username_is_conflict(self, content_store: ContentStore) -> None:
        content_store.create_user("bob", None)
        with pytest.raises(Conflict, match="username 'bob' is already taken"):
            content_store.create_user("bob", "other")
        assert [u.username for u in content_store.list_users()] == ["bob"]

    def test_unknown_user_is_not_found(self, content_store: ContentStore) -> None:
        with pytest.raises(NotFound, match="user 'ghost' not found"):
            content_store.get_user_by_username("ghost")
        with pytest.raises(NotFound, match="user 123 not found"):
            content_store.get_user("123")

    def test_bad_user_input(self, content_store: ContentStore) -> None:
        with pytest.raises(InvalidInput, match="username"):
            content_store.create_user("  ", None)
        with pytest.raises(InvalidInput, match="role"):
            content_store.create_user("carol", None, role="root")  # type: ignore[arg-type]

    def test_list_users_paginates_oldest_first(self, content_store: ContentStore) -> None:
        for name in ("u1", "u2", "u3"):
            content_store.create_user(name, None)
        assert [u.username for u in content_store.list_users(skip=1, limit=1)] == ["u2"]


class HealthTest(_Base):
    def test_health_names_engine_and_tables(self, content_store: ContentStore) -> None:
        health = content_store.health()
        assert health["status"] == "healthy"
        assert isinstance(health["tables"], list)


class ContentStoreContract(FaqTest, ContactTest, EventTest, DocumentTest, UserTest, HealthTest):
    """Everything a ContentStore must do."""
