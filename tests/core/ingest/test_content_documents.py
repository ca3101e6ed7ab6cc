"""Content rows (FAQ items, events, emergency contacts) become citable Documents."""

from __future__ import annotations

from datetime import UTC, datetime

from ragplatform.content.base import EmergencyContact, Event, EventPrice, FaqItem
from ragplatform.ingest.content import contact_document, content_documents, event_document, faq_document

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def faq(faq_id: int, question: str, active: bool = True) -> FaqItem:
    return FaqItem(
        id=faq_id,
        question=question,
        answer="Ask at the front desk.",
        is_active=active,
        created_at=NOW,
        updated_at=NOW,
    )


def test_faq_document_reads_as_question_and_answer() -> None:
    doc = faq_document(faq(12, "Where do I get a parking permit?"))
    assert doc.id == "faq/12"
    assert doc.text == "Question: Where do I get a parking permit?\nAnswer: Ask at the front desk."
    assert doc.metadata["source"] == "faq/12"
    assert doc.metadata["title"] == "Where do I get a parking permit?"
    assert doc.metadata["kind"] == "faq"


def test_event_document_has_dates_address_and_every_price() -> None:
    event = Event(
        id=3,
        name="Spring concert",
        description="Orchestra and choir.",
        address="Main hall, Campus North",
        date_start=datetime(2025, 4, 12, 19, 30),
        date_end=datetime(2025, 4, 12, 22, 0),
        price=[
            EventPrice(type="Adult", amount=25, currency="CHF"),
            EventPrice(type="Student", amount=10.5, currency="CHF"),
        ],
        created_at=NOW,
        updated_at=NOW,
    )
    doc = event_document(event)
    assert doc.id == "event/3"
    assert doc.metadata["kind"] == "event"
    assert doc.metadata["title"] == "Spring concert"
    assert "Event: Spring concert" in doc.text
    assert "Starts: Saturday 12 April 2025, 19:30" in doc.text
    assert "Ends: Saturday 12 April 2025, 22:00" in doc.text
    assert "Address: Main hall, Campus North" in doc.text
    assert "Prices: Adult: 25.00 CHF; Student: 10.50 CHF" in doc.text
    assert doc.text.endswith("Orchestra and choir.")


def test_event_without_prices_says_free() -> None:
    event = Event(
        id=4, name="Open day", date_start=datetime(2025, 5, 1, 10, 0), created_at=NOW, updated_at=NOW
    )
    assert "Prices: free" in event_document(event).text


def test_contact_document_leads_with_name_and_phone() -> None:
    contact = EmergencyContact(
        id=5,
        name="Campus security",
        phone_number="+41 44 632 30 30",
        description="Around the clock.",
        created_at=NOW,
        updated_at=NOW,
    )
    doc = contact_document(contact)
    assert doc.id == "contact/5"
    assert doc.text == "Emergency contact: Campus security\nPhone number: +41 44 632 30 30\nAround the clock."
    assert doc.metadata["kind"] == "contact"
    assert doc.metadata["title"] == "Campus security"


def test_content_documents_orders_groups_and_skips_inactive_rows() -> None:
    faqs = [faq(2, "Second?"), faq(1, "First?"), faq(3, "Retired?", active=False)]
    contact = EmergencyContact(id=1, name="Nurse", phone_number="144", created_at=NOW, updated_at=NOW)
    docs = content_documents(faqs=faqs, contacts=[contact])
    assert [d.id for d in docs] == ["faq/1", "faq/2", "contact/1"]
    everything = content_documents(faqs=faqs, active_only=False)
    assert [d.id for d in everything] == ["faq/1", "faq/2", "faq/3"]
