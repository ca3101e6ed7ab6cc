"""SessionStore on MongoDB (pymongo): collections ``sessions`` and ``messages``.

User data never becomes a query or update operator: ids and text are checked
to be strings, text search uses an escaped regex, and metadata keys are
escaped on the way in (``%`` → ``%25``, ``$`` → ``%24``, ``.`` → ``%2E``) and
restored on the way out, so ``{"$where": ...}`` or ``"a.b"`` is stored as data.
MongoDB keeps milliseconds: timestamps are truncated to them (and made
strictly increasing per store) so what ``create_*`` returns equals what is read back.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bson.errors import BSONError
from pymongo import ASCENDING, DESCENDING, MongoClient, ReturnDocument
from pymongo.errors import (
    ConnectionFailure,
    DocumentTooLarge,
    DuplicateKeyError,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from ragplatform.content.postgres import check_page
from ragplatform.errors import BackendUnavailable, Conflict, InvalidInput, NotFound, TooLarge
from ragplatform.sessions.base import (
    Message,
    MessageRole,
    Session,
    SessionSearchResult,
    SessionSummary,
)
from ragplatform.sessions.postgres import (
    MAX_ID_LENGTH,
    check_metadata,
    check_role,
    check_text,
    check_windows,
)
from ragplatform.timestamps import to_utc

log = logging.getLogger(__name__)


def _escape_key(key: str) -> str:
    return key.replace("%", "%25").replace("$", "%24").replace(".", "%2E")


def _unescape_key(key: str) -> str:
    return key.replace("%2E", ".").replace("%24", "$").replace("%25", "%")


def _encode(value: Any, key: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {key(str(k)): _encode(v, key) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v, key) for v in value]
    return value


class MongoSessionStore:
    """Chat sessions and messages in MongoDB; works with ``pymongo.MongoClient`` and ``mongomock.MongoClient``."""

    def __init__(
        self, client: MongoClient[Any], database: str = "ragplatform", *, create_indexes: bool = True
    ) -> None:
        self._client = client
        self._db = client[database]
        self._sessions = self._db["sessions"]
        self._messages = self._db["messages"]
        self._clock_lock = threading.Lock()
        self._last = datetime.min.replace(tzinfo=UTC)
        if create_indexes:
            self.ensure_indexes()

    def ensure_indexes(self) -> None:
        """Create the indexes the queries use (idempotent). Raises ``BackendUnavailable``."""
        with _translate():
            self._sessions.create_index([("user_id", ASCENDING), ("updated_at", DESCENDING)])
            self._sessions.create_index([("updated_at", DESCENDING)])
            self._messages.create_index([("session_id", ASCENDING), ("seq", ASCENDING)])
            self._messages.create_index([("user_id", ASCENDING), ("created_at", DESCENDING)])
            self._messages.create_index([("created_at", DESCENDING)])

    def _now(self) -> datetime:
        """Now, in whole milliseconds (what MongoDB keeps), strictly after the last value handed out."""
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        with self._clock_lock:
            if now <= self._last:
                now = self._last + timedelta(milliseconds=1)
            self._last = now
        return now

    @staticmethod
    def _session(doc: dict[str, Any]) -> Session:
        return Session(
            id=doc["_id"],
            user_id=doc["user_id"],
            title=doc.get("title", ""),
            metadata=_encode(doc.get("metadata", {}), _unescape_key),
            created_at=to_utc(doc["created_at"]),
            updated_at=to_utc(doc["updated_at"]),
        )

    @staticmethod
    def _message(doc: dict[str, Any]) -> Message:
        return Message(
            id=doc["_id"],
            session_id=doc["session_id"],
            role=doc["role"],
            content=doc["content"],
            metadata=_encode(doc.get("metadata", {}), _unescape_key),
            created_at=to_utc(doc["created_at"]),
        )

    # -- sessions -----------------------------------------------------------------

    def create_session(
        self,
        user_id: str,
        title: str = "",
        metadata: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> Session:
        """A new session, with a UUID4 id unless ``session_id`` is given. Raises ``Conflict``, ``InvalidInput``."""
        check_text("user_id", user_id)
        check_text("title", title, allow_empty=True)
        if session_id is None:
            session_id = str(uuid.uuid4())
        elif len(check_text("session_id", session_id)) > MAX_ID_LENGTH:
            raise InvalidInput(
                f"session_id must be at most {MAX_ID_LENGTH} characters, got {len(session_id)}",
                field="session_id",
            )
        now = self._now()
        doc = {
            "_id": session_id,
            "user_id": user_id,
            "title": title,
            "metadata": _encode(check_metadata(metadata), _escape_key),
            "created_at": now,
            "updated_at": now,
            "message_count": 0,
        }
        try:
            with _translate():
                self._sessions.insert_one(doc)
        except Conflict as exc:
            raise Conflict(f"session {session_id} already exists") from exc
        return self._session(doc)

    def get_session(self, session_id: str) -> Session:
        with _translate():
            doc = self._sessions.find_one({"_id": check_text("session_id", session_id)})
        if doc is None:
            raise NotFound(f"session {session_id} not found")
        return self._session(doc)

    def _user_filter(self, user_id: str | None) -> dict[str, Any]:
        return {} if user_id is None else {"user_id": check_text("user_id", user_id)}

    def list_sessions(self, user_id: str | None = None, skip: int = 0, limit: int = 100) -> list[Session]:
        """Newest (by ``updated_at``) first."""
        check_page(skip, limit)
        with _translate():
            cursor = (
                self._sessions.find(self._user_filter(user_id))
                .sort([("updated_at", DESCENDING), ("created_at", DESCENDING), ("_id", ASCENDING)])
                .skip(skip)
                .limit(limit)
            )
            return [self._session(d) for d in cursor]

    def close(self) -> None:
        """Closes the MongoDB client (its connection pool and monitor threads)."""
        self._client.close()

    def count_sessions(self, user_id: str | None = None) -> int:
        with _translate():
            return int(self._sessions.count_documents(self._user_filter(user_id)))

    def update_session(
        self, session_id: str, title: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Session:
        """Set the title and/or merge ``metadata`` (shallow) into the stored one; bumps ``updated_at``."""
        check_text("session_id", session_id)
        changes: dict[str, Any] = {"updated_at": self._now()}
        if title is not None:
            changes["title"] = check_text("title", title, allow_empty=True)
        for key, value in _encode(check_metadata(metadata), _escape_key).items():
            changes[f"metadata.{key}"] = value  # escaped: no dots or $ left in the key
        with _translate():
            doc = self._sessions.find_one_and_update(
                {"_id": session_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
            )
        if doc is None:
            raise NotFound(f"session {session_id} not found")
        return self._session(doc)

    def delete_session(self, session_id: str) -> None:
        """Deletes the session and all its messages."""
        check_text("session_id", session_id)
        with _translate():
            result = self._sessions.delete_one({"_id": session_id})
            self._messages.delete_many({"session_id": session_id})
        if result.deleted_count == 0:
            raise NotFound(f"session {session_id} not found")

    # -- messages ---------------------------------------------------------------------

    def add_message(
        self, session_id: str, role: MessageRole, content: str, metadata: dict[str, Any] | None = None
    ) -> Message:
        """Append a message and bump the session's ``updated_at``. Raises ``NotFound``, ``InvalidInput``."""
        check_text("session_id", session_id)
        check_role(role)
        check_text("content", content, allow_empty=True)
        meta = _encode(check_metadata(metadata), _escape_key)
        now = self._now()
        with _translate():
            session = self._sessions.find_one_and_update(
                {"_id": session_id},
                {"$set": {"updated_at": now}, "$inc": {"message_count": 1}},
                return_document=ReturnDocument.AFTER,
            )
            if session is None:
                raise NotFound(f"session {session_id} not found")
            doc = {
                "_id": str(uuid.uuid4()),
                "session_id": session_id,
                "user_id": session["user_id"],
                "seq": session["message_count"],
                "role": role,
                "content": content,
                "metadata": meta,
                "created_at": now,
            }
            self._messages.insert_one(doc)
        return self._message(doc)

    def get_message(self, message_id: str) -> Message:
        with _translate():
            doc = self._messages.find_one({"_id": check_text("message_id", message_id)})
        if doc is None:
            raise NotFound(f"message {message_id} not found")
        return self._message(doc)

    def update_message(
        self, message_id: str, content: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Message:
        """Replace the content and/or merge ``metadata`` (shallow), e.g. after a streamed answer ends."""
        check_text("message_id", message_id)
        changes: dict[str, Any] = {}
        if content is not None:
            changes["content"] = check_text("content", content, allow_empty=True)
        for key, value in _encode(check_metadata(metadata), _escape_key).items():
            changes[f"metadata.{key}"] = value
        with _translate():
            if changes:
                doc = self._messages.find_one_and_update(
                    {"_id": message_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
                )
            else:
                doc = self._messages.find_one({"_id": message_id})
        if doc is None:
            raise NotFound(f"message {message_id} not found")
        return self._message(doc)

    def list_messages(self, session_id: str, limit: int | None = None) -> list[Message]:
        """Oldest first; with ``limit``, the last ``limit`` messages. Raises ``NotFound`` for an unknown session."""
        check_text("session_id", session_id)
        if limit is not None:
            check_page(0, limit)
        with _translate():
            if self._sessions.count_documents({"_id": session_id}, limit=1) == 0:
                raise NotFound(f"session {session_id} not found")
            cursor = self._messages.find({"session_id": session_id}).sort([("seq", DESCENDING)])
            if limit is not None:
                cursor = cursor.limit(limit)
            docs = list(cursor)
        return [self._message(d) for d in reversed(docs)]

    def count_messages(self, session_id: str) -> int:
        """Messages stored in the session. Raises ``NotFound`` for an unknown session."""
        check_text("session_id", session_id)
        with _translate():
            if self._sessions.count_documents({"_id": session_id}, limit=1) == 0:
                raise NotFound(f"session {session_id} not found")
            return int(self._messages.count_documents({"session_id": session_id}))

    def history(self, user_id: str, n: int = 3) -> list[tuple[str, str]]:
        """The user's last ``n`` (question, answer) pairs across sessions, oldest first.

        A pair is a user message and the assistant message that directly
        follows it in the same session (system messages skipped).
        """
        check_text("user_id", user_id)
        if n < 0:
            raise InvalidInput(f"n must be >= 0, got {n}", field="n", value=n)
        pairs: list[tuple[str, str]] = []
        following: dict[str, dict[str, Any] | None] = {}  # per session: the next user/assistant message
        with _translate():
            cursor = self._messages.find(
                {"user_id": user_id, "role": {"$in": ["user", "assistant"]}},
                {"session_id": 1, "role": 1, "content": 1},
            ).sort([("created_at", DESCENDING), ("seq", DESCENDING)])
            for doc in cursor:
                if len(pairs) >= n:
                    break
                nxt = following.get(doc["session_id"])
                if doc["role"] == "user" and nxt is not None and nxt["role"] == "assistant":
                    pairs.append((doc["content"], nxt["content"]))
                following[doc["session_id"]] = doc
        return list(reversed(pairs))

    def search_messages(
        self,
        user_id: str | None = None,
        text: str | None = None,
        role: MessageRole | None = None,
        unanswered: bool | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        resolved: bool | None = None,
        skip: int = 0,
    ) -> list[Message]:
        """Newest first. ``text``: case-insensitive substring; ``unanswered`` reads ``metadata.unanswered``,
        ``resolved`` whether ``metadata.resolved`` is set (not null); ``since``/``until`` are inclusive
        (naive values are UTC)."""
        check_page(skip, limit)
        check_role(role)
        query: dict[str, Any] = self._user_filter(user_id)
        if text:
            query["content"] = {"$regex": re.escape(check_text("text", text)), "$options": "i"}
        if role is not None:
            query["role"] = role
        if unanswered is True:
            query["metadata.unanswered"] = True
        elif unanswered is False:
            query["metadata.unanswered"] = {"$ne": True}
        if resolved is True:
            query["metadata.resolved"] = {"$ne": None}
        elif resolved is False:
            query["metadata.resolved"] = None
        window: dict[str, datetime] = {}
        if since is not None:
            window["$gte"] = to_utc(since)
        if until is not None:
            window["$lte"] = to_utc(until)
        if window:
            query["created_at"] = window
        with _translate():
            cursor = (
                self._messages.find(query)
                .sort([("created_at", DESCENDING), ("seq", DESCENDING)])
                .skip(skip)
                .limit(limit)
            )
            return [self._message(d) for d in cursor]

    def search_sessions(
        self,
        user_id: str | None = None,
        text: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        skip: int = 0,
        limit: int = 50,
    ) -> SessionSearchResult:
        """Sessions newest first with their counts; ``text`` matches the title or any message,
        ``since``/``until`` keep sessions active in that window. Raises ``InvalidInput``."""
        check_page(skip, limit)
        query: dict[str, Any] = self._user_filter(user_id)
        if since is not None:
            query["updated_at"] = {"$gte": to_utc(since)}
        if until is not None:
            query["created_at"] = {"$lte": to_utc(until)}
        with _translate():
            if text:
                pattern = {"$regex": re.escape(check_text("text", text)), "$options": "i"}
                ids = self._messages.distinct("session_id", {"content": pattern})
                query["$or"] = [{"title": pattern}, {"_id": {"$in": ids}}]
            total = int(self._sessions.count_documents(query))
            docs = list(
                self._sessions.find(query)
                .sort([("updated_at", DESCENDING), ("created_at", DESCENDING), ("_id", ASCENDING)])
                .skip(skip)
                .limit(limit)
            )
            unanswered = {
                row["_id"]: int(row["n"])
                for row in self._messages.aggregate(
                    [
                        {
                            "$match": {
                                "session_id": {"$in": [d["_id"] for d in docs]},
                                "role": "assistant",
                                "metadata.unanswered": True,
                            }
                        },
                        {"$group": {"_id": "$session_id", "n": {"$sum": 1}}},
                    ]
                )
            }
        sessions = [
            SessionSummary(
                **self._session(d).model_dump(),
                message_count=int(d.get("message_count", 0)),
                unanswered_count=unanswered.get(d["_id"], 0),
            )
            for d in docs
        ]
        return SessionSearchResult(sessions=sessions, total=total)

    def count_active_sessions(
        self, windows: Sequence[tuple[datetime, datetime]], user_id: str | None = None
    ) -> list[int]:
        """For each ``[start, end)`` window, the sessions (``user_id``'s, or everyone's) with a message
        created in it: one ``distinct`` per window over the ``created_at`` index (messages carry their
        session's owner). Raises ``InvalidInput``."""
        checked = check_windows(windows)
        owner = self._user_filter(user_id)
        with _translate():
            return [
                len(self._messages.distinct("session_id", {**owner, "created_at": {"$gte": s, "$lt": e}}))
                for s, e in checked
            ]

    def health(self) -> dict[str, Any]:
        """``{"status": "healthy", "backend": "mongodb", "version": ..., "sessions": n}``; raises ``BackendUnavailable``."""
        with _translate():
            info = self._db.client.server_info()
            sessions = self._sessions.estimated_document_count()
        return {
            "status": "healthy",
            "backend": "mongodb",
            "version": f"MongoDB {info.get('version', 'unknown')}",
            "sessions": sessions,
        }


@contextmanager
def _translate() -> Iterator[None]:
    """pymongo's errors as platform errors, with messages for people (the driver's text is logged).

    Only the driver's own types are translated (``PyMongoError``, bson's ``BSONError`` and the
    ``OverflowError`` bson documents for an integer over 8 bytes); anything else raised in the
    block is a bug and passes through unchanged.
    """
    try:
        yield
    except DuplicateKeyError as exc:
        log.info("MongoDB: %s", exc)
        raise Conflict("an object with this id exists already") from exc
    except (ServerSelectionTimeoutError, ConnectionFailure) as exc:
        log.warning("MongoDB: %s", exc)
        raise BackendUnavailable("MongoDB is unavailable; try again shortly") from exc
    except DocumentTooLarge as exc:
        log.info("MongoDB: %s", exc)
        raise TooLarge("the message is too large for the session store (16 MiB per document)") from exc
    except PyMongoError as exc:
        log.warning("MongoDB: %s", exc)
        raise BackendUnavailable("the session store failed; try again shortly") from exc
    except OverflowError as exc:  # bson's own answer to an integer over 8 bytes, raised by the driver call
        log.info("MongoDB: %s", exc)
        raise InvalidInput(
            "numbers in metadata must be between -2**63 and 2**63-1 to be stored", field="metadata"
        ) from exc
    except BSONError as exc:  # a value BSON cannot encode (bson's InvalidDocument, InvalidStringData)
        log.info("MongoDB: %s", exc)
        raise InvalidInput(
            "a value cannot be stored in the session store (metadata takes JSON values: text, "
            "numbers, true/false, null, lists and objects)",
            field="metadata",
        ) from exc
