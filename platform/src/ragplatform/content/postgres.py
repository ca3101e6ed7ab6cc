"""ContentStore on PostgreSQL (psycopg 3, parametrised SQL only).

Schema: ``ragplatform/db/migrations``. Text search (``query``) is a
case-insensitive substring match: ``%``, ``_`` and ``\\`` in the user's text
are escaped, never treated as wildcards.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, LiteralString, get_args

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from ragplatform.content.base import (
    DocumentCreate,
    DocumentRecord,
    DocumentStatus,
    EmergencyContact,
    EmergencyContactCreate,
    EmergencyContactUpdate,
    Event,
    EventCreate,
    EventUpdate,
    FaqCreate,
    FaqItem,
    FaqUpdate,
    Role,
    User,
)
from ragplatform.db.pool import connection
from ragplatform.errors import BackendUnavailable, Conflict, InvalidInput, NotFound

log = logging.getLogger(__name__)

MAX_LIMIT = 10_000
_BIGINT_MAX = 2**63 - 1
_NOT_NULL = {"question", "answer", "is_active", "name", "phone_number", "description", "address"}
_NOT_NULL |= {"date_start", "featured", "price"}
_DOCUMENT_FIELDS = {
    "status",
    "chunks",
    "error",
    "filename",
    "content_type",
    "size_bytes",
    "storage_key",
    "chat_id",
}
_CONTENT_TABLES = ("faq_item", "emergency_contact", "event", "document", "app_user", "chat_session")


def escape_like(text: str) -> str:
    """``text`` as a literal ILIKE pattern that matches it anywhere."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def check_page(skip: int, limit: int) -> None:
    """Raise ``InvalidInput`` for a negative ``skip`` or a ``limit`` outside 1..MAX_LIMIT."""
    if skip < 0:
        raise InvalidInput(f"skip must be >= 0, got {skip}", field="skip", value=skip)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit must be between 1 and {MAX_LIMIT}, got {limit}", field="limit", value=limit
        )


class _Table:
    """What differs between the three integer-id content tables."""

    def __init__(
        self,
        name: LiteralString,
        label: str,
        model: type[BaseModel],
        search: Sequence[LiteralString],
        order: LiteralString,
    ) -> None:
        self.name = name
        self.label = label
        self.model = model
        self.search = search
        self.order = order


_FAQ = _Table("faq_item", "FAQ item", FaqItem, ("question", "answer"), "id")
_CONTACT = _Table(
    "emergency_contact", "emergency contact", EmergencyContact, ("name", "phone_number", "description"), "id"
)
_EVENT = _Table("event", "event", Event, ("name", "description", "address"), "date_start, id")


def _adapt(column: str, value: Any) -> Any:
    return Jsonb(value) if column in {"price", "metadata"} else value


class PostgresContentStore:
    """FAQ items, emergency contacts, events, document records and users in PostgreSQL.

    Takes an open pool (see ``ragplatform.db.pool.make_pool``); the schema must
    be migrated (``ragplatform.db.migrate.upgrade``).
    """

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self._pool = pool

    # -- plumbing -----------------------------------------------------------

    @contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        with connection(self._pool) as conn, conn.cursor(row_factory=dict_row) as cur:
            yield cur

    def _fetch(
        self, query: sql.Composed | sql.SQL | LiteralString, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        with self._cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description is not None else []

    # -- generic integer-id tables --------------------------------------------

    def _list(self, table: _Table, skip: int, limit: int, active_only: bool, query: str | None) -> list[Any]:
        check_page(skip, limit)
        where: list[sql.Composable] = []
        params: list[Any] = []
        if active_only:
            where.append(sql.SQL("is_active"))
        if query:
            pattern = escape_like(query)
            where.append(
                sql.SQL("({})").format(
                    sql.SQL(" OR ").join(
                        sql.SQL("{} ILIKE %s").format(sql.Identifier(c)) for c in table.search
                    )
                )
            )
            params.extend([pattern] * len(table.search))
        stmt = sql.SQL("SELECT * FROM {} {} ORDER BY {} OFFSET %s LIMIT %s").format(
            sql.Identifier(table.name),
            sql.SQL("WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL(""),
            sql.SQL(table.order),
        )
        rows = self._fetch(stmt, [*params, skip, limit])
        return [table.model.model_validate(row) for row in rows]

    def _get(self, table: _Table, row_id: int) -> Any:
        if not 0 < row_id <= _BIGINT_MAX:
            raise NotFound(f"{table.label} {row_id} not found")
        rows = self._fetch(
            sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier(table.name)), [row_id]
        )
        if not rows:
            raise NotFound(f"{table.label} {row_id} not found")
        return table.model.model_validate(rows[0])

    def _insert(self, table: LiteralString, values: dict[str, Any]) -> dict[str, Any]:
        cols = list(values)
        stmt = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING *").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, cols)),
            sql.SQL(", ").join(sql.Placeholder() * len(cols)),
        )
        return self._fetch(stmt, [_adapt(c, values[c]) for c in cols])[0]

    def _update(
        self, table: LiteralString, label: str, row_id: int | str, values: dict[str, Any]
    ) -> dict[str, Any]:
        if isinstance(row_id, int) and not 0 < row_id <= _BIGINT_MAX:
            raise NotFound(f"{label} {row_id} not found")
        sets: list[sql.Composable] = [sql.SQL("{} = %s").format(sql.Identifier(c)) for c in values]
        sets.append(sql.SQL("updated_at = now()"))
        stmt = sql.SQL("UPDATE {} SET {} WHERE id = %s RETURNING *").format(
            sql.Identifier(table), sql.SQL(", ").join(sets)
        )
        rows = self._fetch(stmt, [*(_adapt(c, v) for c, v in values.items()), row_id])
        if not rows:
            raise NotFound(f"{label} {row_id} not found")
        return rows[0]

    def _delete(self, table: LiteralString, label: str, row_id: int | str) -> None:
        if isinstance(row_id, int) and not 0 < row_id <= _BIGINT_MAX:
            raise NotFound(f"{label} {row_id} not found")
        stmt = sql.SQL("DELETE FROM {} WHERE id = %s RETURNING id").format(sql.Identifier(table))
        if not self._fetch(stmt, [row_id]):
            raise NotFound(f"{label} {row_id} not found")

    @staticmethod
    def _changes(data: BaseModel) -> dict[str, Any]:
        """Fields the caller set; ``None`` clears only nullable columns (``date_end``)."""
        fields = data.model_dump(mode="python", exclude_unset=True)
        return {k: v for k, v in fields.items() if v is not None or k not in _NOT_NULL}

    # -- FAQ ------------------------------------------------------------------

    def list_faqs(
        self, skip: int = 0, limit: int = 100, active_only: bool = False, query: str | None = None
    ) -> list[FaqItem]:
        """FAQ items by id; ``query`` matches question or answer. Raises ``InvalidInput``, ``BackendUnavailable``."""
        return self._list(_FAQ, skip, limit, active_only, query)

    def get_faq(self, faq_id: int) -> FaqItem:
        result: FaqItem = self._get(_FAQ, faq_id)
        return result

    def create_faq(self, data: FaqCreate) -> FaqItem:
        return FaqItem.model_validate(self._insert("faq_item", data.model_dump()))

    def update_faq(self, faq_id: int, data: FaqUpdate) -> FaqItem:
        return FaqItem.model_validate(self._update("faq_item", "FAQ item", faq_id, self._changes(data)))

    def delete_faq(self, faq_id: int) -> None:
        self._delete("faq_item", "FAQ item", faq_id)

    # -- emergency contacts -----------------------------------------------------

    def list_contacts(
        self, skip: int = 0, limit: int = 100, active_only: bool = False, query: str | None = None
    ) -> list[EmergencyContact]:
        """Contacts by id; ``query`` matches name, phone number or description."""
        return self._list(_CONTACT, skip, limit, active_only, query)

    def get_contact(self, contact_id: int) -> EmergencyContact:
        result: EmergencyContact = self._get(_CONTACT, contact_id)
        return result

    def create_contact(self, data: EmergencyContactCreate) -> EmergencyContact:
        return EmergencyContact.model_validate(self._insert("emergency_contact", data.model_dump()))

    def update_contact(self, contact_id: int, data: EmergencyContactUpdate) -> EmergencyContact:
        row = self._update("emergency_contact", "emergency contact", contact_id, self._changes(data))
        return EmergencyContact.model_validate(row)

    def delete_contact(self, contact_id: int) -> None:
        self._delete("emergency_contact", "emergency contact", contact_id)

    # -- events -------------------------------------------------------------------

    def list_events(
        self, skip: int = 0, limit: int = 100, active_only: bool = False, query: str | None = None
    ) -> list[Event]:
        """Events by start date; ``query`` matches name, description or address."""
        return self._list(_EVENT, skip, limit, active_only, query)

    def get_event(self, event_id: int) -> Event:
        result: Event = self._get(_EVENT, event_id)
        return result

    def create_event(self, data: EventCreate) -> Event:
        return Event.model_validate(self._insert("event", data.model_dump(mode="python")))

    def update_event(self, event_id: int, data: EventUpdate) -> Event:
        """Raises ``InvalidInput`` when the result would end before it starts."""
        changes = self._changes(data)
        if "price" in changes:
            changes["price"] = [p.model_dump() if isinstance(p, BaseModel) else p for p in changes["price"]]
        try:
            row = self._update("event", "event", event_id, changes)
        except InvalidInput as exc:
            if "event_end_after_start" in exc.message:
                raise InvalidInput("date_end must not be before date_start", field="date_end") from exc
            raise
        return Event.model_validate(row)

    def delete_event(self, event_id: int) -> None:
        self._delete("event", "event", event_id)

    # -- documents ------------------------------------------------------------------

    def create_document(self, data: DocumentCreate) -> DocumentRecord:
        values = {"id": str(uuid.uuid4()), **data.model_dump()}
        return DocumentRecord.model_validate(self._insert("document", values))

    def get_document(self, document_id: str) -> DocumentRecord:
        rows = self._fetch("SELECT * FROM document WHERE id = %s", [document_id])
        if not rows:
            raise NotFound(f"document {document_id} not found")
        return DocumentRecord.model_validate(rows[0])

    def list_documents(
        self, owner: str | None = None, chat_id: str | None = None, skip: int = 0, limit: int = 100
    ) -> list[DocumentRecord]:
        """Newest first, optionally only one owner's and/or one chat's."""
        check_page(skip, limit)
        rows = self._fetch(
            "SELECT * FROM document WHERE (%(owner)s::text IS NULL OR owner = %(owner)s)"
            " AND (%(chat)s::text IS NULL OR chat_id = %(chat)s)"
            " ORDER BY created_at DESC, id OFFSET %(skip)s LIMIT %(limit)s",
            {"owner": owner, "chat": chat_id, "skip": skip, "limit": limit},
        )
        return [DocumentRecord.model_validate(r) for r in rows]

    def update_document(self, document_id: str, **fields: Any) -> DocumentRecord:
        """Set ``status``, ``chunks``, ``error`` (and other metadata fields); raises ``InvalidInput``, ``NotFound``."""
        unknown = sorted(set(fields) - _DOCUMENT_FIELDS)
        if unknown:
            raise InvalidInput(
                f"cannot update document field(s) {unknown}; allowed: {sorted(_DOCUMENT_FIELDS)}",
                field=unknown[0],
            )
        if "status" in fields and fields["status"] not in get_args(DocumentStatus):
            raise InvalidInput(
                f"status must be one of {list(get_args(DocumentStatus))}, got {fields['status']!r}",
                field="status",
                value=fields["status"],
            )
        if "chunks" in fields and (not isinstance(fields["chunks"], int) or fields["chunks"] < 0):
            raise InvalidInput(
                f"chunks must be an integer >= 0, got {fields['chunks']!r}",
                field="chunks",
                value=fields["chunks"],
            )
        return DocumentRecord.model_validate(self._update("document", "document", document_id, fields))

    def delete_document(self, document_id: str) -> None:
        self._delete("document", "document", document_id)

    # -- users ------------------------------------------------------------------------

    def create_user(
        self, username: str, password_hash: str | None, role: Role = "user", full_name: str = ""
    ) -> User:
        """Raises ``Conflict`` when the username is taken, ``InvalidInput`` for an empty one or unknown role."""
        if not username or not username.strip():
            raise InvalidInput("username must not be empty", field="username")
        if role not in get_args(Role):
            raise InvalidInput(
                f"role must be one of {list(get_args(Role))}, got {role!r}", field="role", value=role
            )
        values = {
            "id": str(uuid.uuid4()),
            "username": username,
            "password_hash": password_hash,
            "role": role,
            "full_name": full_name,
        }
        try:
            row = self._insert("app_user", values)
        except pg_errors.UniqueViolation as exc:
            raise Conflict(f"username {username!r} is already taken") from exc
        return User.model_validate(row)

    def get_user(self, user_id: str) -> User:
        rows = self._fetch("SELECT * FROM app_user WHERE id = %s", [user_id])
        if not rows:
            raise NotFound(f"user {user_id} not found")
        return User.model_validate(rows[0])

    def get_user_by_username(self, username: str) -> User:
        rows = self._fetch("SELECT * FROM app_user WHERE username = %s", [username])
        if not rows:
            raise NotFound(f"user {username!r} not found")
        return User.model_validate(rows[0])

    def list_users(self, skip: int = 0, limit: int = 100) -> list[User]:
        """Oldest first."""
        check_page(skip, limit)
        rows = self._fetch("SELECT * FROM app_user ORDER BY created_at, id OFFSET %s LIMIT %s", [skip, limit])
        return [User.model_validate(r) for r in rows]

    def user_ids_with_role(self, role: Role) -> list[str]:
        """Ids of the active accounts with ``role`` (the admins to notify), in one query."""
        rows = self._fetch("SELECT id FROM app_user WHERE role = %s AND is_active ORDER BY id", [role])
        return [str(r["id"]) for r in rows]

    # -- health -------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``{"status": "healthy", "version": "PostgreSQL 16.2", "tables": [...]}``; raises ``BackendUnavailable``."""
        try:
            version = self._fetch("SHOW server_version")[0]["server_version"]
            rows = self._fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        except psycopg.Error as exc:
            log.warning("PostgreSQL health check failed", exc_info=True)
            raise BackendUnavailable("PostgreSQL health check failed (see the server log)") from exc
        tables = [r["table_name"] for r in rows if r["table_name"] != "alembic_version"]
        missing = [t for t in _CONTENT_TABLES if t not in tables]
        if missing:
            raise BackendUnavailable(f"database schema is not migrated: missing tables {missing}")
        return {"status": "healthy", "version": f"PostgreSQL {version.split()[0]}", "tables": tables}
