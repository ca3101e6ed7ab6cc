"""Seed content: FAQ items, emergency contacts and events from ``datasets/seed/*.json``,
loaded once into an empty ContentStore so a fresh ``make run`` shows something real."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ragplatform.content.base import ContentStore, EmergencyContactCreate, EventCreate, FaqCreate

log = logging.getLogger(__name__)


def seed_content(store: ContentStore, seed_dir: Path) -> dict[str, int]:
    """Loads each seed file whose table is empty; returns how many rows each file added.
    Raises pydantic.ValidationError naming the bad row for a malformed file."""
    added = {"faq": 0, "emergency_contacts": 0, "events": 0}
    if not seed_dir.is_dir():
        return added

    def rows(name: str) -> list[dict[str, object]]:
        path = seed_dir / f"{name}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []

    if not store.list_faqs(limit=1):
        for row in rows("faq"):
            store.create_faq(FaqCreate.model_validate(row))
            added["faq"] += 1
    if not store.list_contacts(limit=1):
        for row in rows("emergency_contacts"):
            store.create_contact(EmergencyContactCreate.model_validate(row))
            added["emergency_contacts"] += 1
    if not store.list_events(limit=1):
        for row in rows("events"):
            store.create_event(EventCreate.model_validate(row))
            added["events"] += 1
    if any(added.values()):
        log.info("seeded content: %s", added)
    return added
