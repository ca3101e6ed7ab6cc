"""ContentStore: FAQ items, emergency contacts, events, document records and users.

Models here are the platform's own; ``ragserve`` reuses the ``*Create`` /
``*Update`` inputs as request bodies and the records as responses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ragplatform.timestamps import UtcDatetime

MAX_SHORT = 500
MAX_LONG = 20_000


class FaqCreate(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_SHORT)
    answer: str = Field(min_length=1, max_length=MAX_LONG)
    is_active: bool = True


class FaqUpdate(BaseModel):
    question: str | None = Field(default=None, min_length=1, max_length=MAX_SHORT)
    answer: str | None = Field(default=None, min_length=1, max_length=MAX_LONG)
    is_active: bool | None = None


class FaqItem(FaqCreate):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: datetime
    updated_at: datetime


class EmergencyContactCreate(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_SHORT)
    phone_number: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=MAX_LONG)
    is_active: bool = True


class EmergencyContactUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=MAX_SHORT)
    phone_number: str | None = Field(default=None, min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=MAX_LONG)
    is_active: bool | None = None


class EmergencyContact(EmergencyContactCreate):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: datetime
    updated_at: datetime


class EventPrice(BaseModel):
    type: str = Field(min_length=1, max_length=100)
    amount: float = Field(ge=0, allow_inf_nan=False)
    currency: str = Field(min_length=1, max_length=10)


class EventCreate(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_SHORT)
    description: str = Field(default="", max_length=MAX_LONG)
    address: str = Field(default="", max_length=MAX_SHORT)
    date_start: UtcDatetime
    date_end: UtcDatetime | None = None
    is_active: bool = True
    featured: bool = False
    price: list[EventPrice] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _end_after_start(self) -> EventCreate:
        if self.date_end is not None and self.date_end < self.date_start:
            raise ValueError("date_end must not be before date_start")
        return self


class EventUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=MAX_SHORT)
    description: str | None = Field(default=None, max_length=MAX_LONG)
    address: str | None = Field(default=None, max_length=MAX_SHORT)
    date_start: UtcDatetime | None = None
    date_end: UtcDatetime | None = None
    is_active: bool | None = None
    featured: bool | None = None
    price: list[EventPrice] | None = Field(default=None, max_length=50)


class Event(EventCreate):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: datetime
    updated_at: datetime


DocumentStatus = Literal["uploaded", "parsed", "failed"]


class DocumentCreate(BaseModel):
    owner: str = Field(min_length=1, max_length=MAX_SHORT)
    filename: str = Field(min_length=1, max_length=MAX_SHORT)
    content_type: str = Field(default="application/octet-stream", max_length=200)
    size_bytes: int = Field(ge=0)
    storage_key: str = Field(min_length=1, max_length=1000)
    chat_id: str | None = None


class DocumentRecord(DocumentCreate):
    """Metadata of an uploaded file; the bytes live in the FileStore under ``storage_key``."""

    id: str
    status: DocumentStatus = "uploaded"
    chunks: int = 0
    error: str | None = None
    created_at: datetime
    updated_at: datetime


Role = Literal["user", "admin"]


class User(BaseModel):
    id: str
    username: str
    password_hash: str | None = None
    role: Role = "user"
    full_name: str = ""
    is_active: bool = True
    created_at: datetime


@runtime_checkable
class ContentStore(Protocol):
    """Relational content. Ids: integers for FAQ/contacts/events (as API 01 shows), UUID4 strings otherwise.

    Every ``get_*``/``update_*``/``delete_*`` raises ``NotFound`` for an unknown id;
    ``create_user`` raises ``Conflict`` for a taken username.
    """

    def list_faqs(
        self, skip: int = 0, limit: int = 100, active_only: bool = False, query: str | None = None
    ) -> list[FaqItem]: ...
    def get_faq(self, faq_id: int) -> FaqItem: ...
    def create_faq(self, data: FaqCreate) -> FaqItem: ...
    def update_faq(self, faq_id: int, data: FaqUpdate) -> FaqItem: ...
    def delete_faq(self, faq_id: int) -> None: ...

    def list_contacts(
        self, skip: int = 0, limit: int = 100, active_only: bool = False, query: str | None = None
    ) -> list[EmergencyContact]: ...
    def get_contact(self, contact_id: int) -> EmergencyContact: ...
    def create_contact(self, data: EmergencyContactCreate) -> EmergencyContact: ...
    def update_contact(self, contact_id: int, data: EmergencyContactUpdate) -> EmergencyContact: ...
    def delete_contact(self, contact_id: int) -> None: ...

    def list_events(
        self, skip: int = 0, limit: int = 100, active_only: bool = False, query: str | None = None
    ) -> list[Event]: ...
    def get_event(self, event_id: int) -> Event: ...
    def create_event(self, data: EventCreate) -> Event: ...
    def update_event(self, event_id: int, data: EventUpdate) -> Event: ...
    def delete_event(self, event_id: int) -> None: ...

    def create_document(self, data: DocumentCreate) -> DocumentRecord: ...
    def get_document(self, document_id: str) -> DocumentRecord: ...
    def list_documents(
        self, owner: str | None = None, chat_id: str | None = None, skip: int = 0, limit: int = 100
    ) -> list[DocumentRecord]: ...
    def update_document(self, document_id: str, **fields: Any) -> DocumentRecord: ...
    def delete_document(self, document_id: str) -> None: ...

    def create_user(
        self, username: str, password_hash: str | None, role: Role = "user", full_name: str = ""
    ) -> User: ...
    def get_user(self, user_id: str) -> User: ...
    def get_user_by_username(self, username: str) -> User: ...
    def list_users(self, skip: int = 0, limit: int = 100) -> list[User]: ...
    def user_ids_with_role(self, role: Role) -> list[str]: ...

    def health(self) -> dict[str, Any]:
        """``{"status": "healthy", "version": "PostgreSQL 16.x", "tables": [...]}``; raises BackendUnavailable."""
        ...
