"""Content rows (FAQ items, events, emergency contacts) as Documents for the next index build.

Each row becomes one Document whose id and ``source`` are ``faq/<id>``,
``event/<id>`` or ``contact/<id>``, so a citation leads an admin back to the
row. The text reads as a person would write it (question and answer; event
name, dates, place and prices; contact name and phone), because that is what
the embedder and the answer see.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ragplatform.content.base import EmergencyContact, Event, FaqItem
from ragplatform.schema import Document


def faq_document(item: FaqItem) -> Document:
    """``Question: ...`` / ``Answer: ...``; the title is the question."""
    source = f"faq/{item.id}"
    text = f"Question: {item.question.strip()}\nAnswer: {item.answer.strip()}"
    meta = {
        "source": source,
        "title": item.question.strip(),
        "kind": "faq",
        "content_id": item.id,
        "updated_at": item.updated_at.isoformat(),
    }
    return Document(id=source, text=text, metadata=meta)


def event_document(event: Event) -> Document:
    """Name, dates, address, description and the price list, one per line."""
    source = f"event/{event.id}"
    lines = [f"Event: {event.name.strip()}", f"Starts: {_when(event.date_start)}"]
    if event.date_end is not None:
        lines.append(f"Ends: {_when(event.date_end)}")
    if event.address.strip():
        lines.append(f"Address: {event.address.strip()}")
    if event.price:
        prices = "; ".join(f"{p.type}: {p.amount:.2f} {p.currency}" for p in event.price)
        lines.append(f"Prices: {prices}")
    else:
        lines.append("Prices: free")
    if event.featured:
        lines.append("Featured event")
    if event.description.strip():
        lines.append(f"\n{event.description.strip()}")
    meta = {
        "source": source,
        "title": event.name.strip(),
        "kind": "event",
        "content_id": event.id,
        "date_start": event.date_start.isoformat(),
        "updated_at": event.updated_at.isoformat(),
    }
    return Document(id=source, text="\n".join(lines), metadata=meta)


def contact_document(contact: EmergencyContact) -> Document:
    """Name and phone number first (what people ask for), then the description."""
    source = f"contact/{contact.id}"
    lines = [
        f"Emergency contact: {contact.name.strip()}",
        f"Phone number: {contact.phone_number.strip()}",
    ]
    if contact.description.strip():
        lines.append(contact.description.strip())
    meta = {
        "source": source,
        "title": contact.name.strip(),
        "kind": "contact",
        "content_id": contact.id,
        "updated_at": contact.updated_at.isoformat(),
    }
    return Document(id=source, text="\n".join(lines), metadata=meta)


def content_documents(
    faqs: Iterable[FaqItem] = (),
    events: Iterable[Event] = (),
    contacts: Iterable[EmergencyContact] = (),
    active_only: bool = True,
) -> list[Document]:
    """All content rows as Documents, FAQ items first, each group in id order; inactive rows skipped unless asked."""
    docs: list[Document] = []
    docs += [faq_document(f) for f in sorted(faqs, key=lambda r: r.id) if f.is_active or not active_only]
    docs += [event_document(e) for e in sorted(events, key=lambda r: r.id) if e.is_active or not active_only]
    docs += [
        contact_document(c) for c in sorted(contacts, key=lambda r: r.id) if c.is_active or not active_only
    ]
    return docs


def _when(moment: datetime) -> str:
    text = moment.strftime("%A %d %B %Y, %H:%M")
    return f"{text} {moment.tzname()}" if moment.tzinfo is not None and moment.tzname() else text
