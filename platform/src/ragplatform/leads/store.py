"""Leads and their qualifications in PostgreSQL (tables ``lead`` and ``lead_analysis``, migration 0006).

A lead is one person: ``email_key`` (the address trimmed and lower-cased) is unique, and a second
submission with the same address merges into the first (``submit``) instead of adding a row.
Reads take ``owner``: None reads every lead (admins), an account id only that account's leads, so
the scoping happens in the query and another account's lead is ``NotFound`` as if it did not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from ragplatform.content.postgres import check_page
from ragplatform.db.pool import connection
from ragplatform.errors import NotFound
from ragplatform.leads.base import (
    MAX_STORED_MESSAGE,
    Lead,
    LeadAnalysis,
    LeadStatus,
    Qualification,
    Submission,
    email_key,
)

ALL = None  # ``owner`` for a reader who sees every lead (an admin)


@dataclass(frozen=True)
class Upserted:
    lead: Lead
    created: bool  # False: merged into the lead that had this e-mail address


@dataclass(frozen=True)
class Analysed:
    analysis: LeadAnalysis
    lead: Lead
    became_qualified: bool  # the status moved from new to qualified with this analysis
    note: str = ""  # why the configured LLM's qualification was not used, when it was not

    @property
    def score(self) -> int:
        return self.analysis.score

    @property
    def intent(self) -> str:
        return self.analysis.intent


@dataclass(frozen=True)
class LeadPage:
    items: list[Lead]
    total: int  # matching the filters, over every page


@dataclass(frozen=True)
class Prospect:
    lead: Lead
    matched: int  # how many of the query's terms the lead's text contains


def _lead(row: dict[str, Any]) -> Lead:
    return Lead.model_validate({**row, "id": str(row["id"])})


def _analysis(row: dict[str, Any]) -> LeadAnalysis:
    return LeadAnalysis.model_validate({**row, "id": str(row["id"]), "lead_id": str(row["lead_id"])})


def _uuid(lead_id: str) -> uuid.UUID:
    """A malformed id names no lead: NotFound, never a database error."""
    try:
        return uuid.UUID(str(lead_id))
    except ValueError:
        raise NotFound(f"lead {lead_id} not found") from None


_UPSERT = """
INSERT INTO lead (id, email, email_key, name, company, message, source, consent, user_id, session_id,
                  metadata)
VALUES (%(id)s, %(email)s, %(key)s, %(name)s, %(company)s, %(message)s, %(source)s, %(consent)s,
        %(user_id)s, %(session_id)s, %(metadata)s)
ON CONFLICT (email_key) DO UPDATE SET
  name = COALESCE(NULLIF(EXCLUDED.name, ''), lead.name),
  company = COALESCE(NULLIF(EXCLUDED.company, ''), lead.company),
  message = CASE
    WHEN EXCLUDED.message = '' OR strpos(lead.message, EXCLUDED.message) > 0 THEN lead.message
    WHEN lead.message = '' THEN EXCLUDED.message
    ELSE right(lead.message || E'\\n\\n' || EXCLUDED.message, %(max_message)s)
  END,
  consent = lead.consent OR EXCLUDED.consent,
  session_id = COALESCE(EXCLUDED.session_id, lead.session_id),
  metadata = lead.metadata || EXCLUDED.metadata
    || jsonb_build_object('submissions', COALESCE((lead.metadata ->> 'submissions')::int, 1) + 1,
                          'last_source', EXCLUDED.source),
  updated_at = now()
RETURNING *, (xmax = 0) AS inserted
"""


class LeadStore:
    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self._pool = pool

    def submit(
        self, submission: Submission, user_id: str | None = None, session_id: str | None = None
    ) -> Upserted:
        """Stores a lead, or merges ``submission`` into the lead with the same e-mail address: a given
        name or company replaces the stored one, a new message is appended (the newest
        ``MAX_STORED_MESSAGE`` characters kept), consent once given stays given, the account the lead
        came through never changes. Raises InvalidInput, BackendUnavailable."""
        params = {
            "id": str(uuid.uuid4()),
            "email": submission.email,
            "key": email_key(submission.email),
            "name": submission.name,
            "company": submission.company,
            "message": submission.message,
            "source": submission.source,
            "consent": submission.consent,
            "user_id": user_id,
            "session_id": session_id,
            "metadata": Jsonb(submission.metadata),
            "max_message": MAX_STORED_MESSAGE,
        }
        with connection(self._pool) as conn:
            row = conn.execute(_UPSERT, params).fetchone()
        assert row is not None
        inserted = bool(row.pop("inserted"))
        return Upserted(_lead(row), inserted)

    def get(self, lead_id: str, owner: str | None = ALL) -> Lead:
        """Raises NotFound when it does not exist or ``owner`` is given and is not the lead's."""
        with connection(self._pool) as conn:
            row = conn.execute(
                "SELECT * FROM lead WHERE id = %s AND (%s::text IS NULL OR user_id = %s)",
                [_uuid(lead_id), owner, owner],
            ).fetchone()
        if row is None:
            raise NotFound(f"lead {lead_id} not found")
        return _lead(row)

    def page(
        self,
        owner: str | None = ALL,
        *,
        status: LeadStatus | None = None,
        min_score: int | None = None,
        skip: int = 0,
        limit: int = 50,
    ) -> LeadPage:
        """Newest first. Raises InvalidInput (paging), BackendUnavailable."""
        check_page(skip, limit)
        where = (
            " WHERE (%(owner)s::text IS NULL OR user_id = %(owner)s)"
            " AND (%(status)s::text IS NULL OR status = %(status)s)"
            " AND (%(min_score)s::int IS NULL OR score >= %(min_score)s)"
        )
        params = {"owner": owner, "status": status, "min_score": min_score, "skip": skip, "limit": limit}
        with connection(self._pool) as conn:
            rows = conn.execute(
                "SELECT * FROM lead"
                + where
                + " ORDER BY created_at DESC, id OFFSET %(skip)s LIMIT %(limit)s",
                params,
            ).fetchall()
            total = conn.execute("SELECT count(*) AS n FROM lead" + where, params).fetchone()
        return LeadPage([_lead(r) for r in rows], int(total["n"]) if total else 0)

    def set_status(self, lead_id: str, status: LeadStatus) -> Lead:
        """Raises NotFound, InvalidInput (a status the table refuses), BackendUnavailable."""
        with connection(self._pool) as conn:
            row = conn.execute(
                "UPDATE lead SET status = %s, updated_at = now() WHERE id = %s RETURNING *",
                [status, _uuid(lead_id)],
            ).fetchone()
        if row is None:
            raise NotFound(f"lead {lead_id} not found")
        return _lead(row)

    def add_analysis(self, lead_id: str, result: Qualification, qualified_score: int) -> Analysed:
        """Stores a qualification, sets the lead's score, and moves a ``new`` lead to ``qualified``
        when the score reaches ``qualified_score``. Raises NotFound, BackendUnavailable."""
        with connection(self._pool) as conn:
            before = conn.execute(
                "SELECT status FROM lead WHERE id = %s FOR UPDATE", [_uuid(lead_id)]
            ).fetchone()
            if before is None:
                raise NotFound(f"lead {lead_id} not found")
            row = conn.execute(
                "INSERT INTO lead_analysis (id, lead_id, score, intent, next_step, reasons, method)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING *",
                [
                    str(uuid.uuid4()),
                    lead_id,
                    result.score,
                    result.intent,
                    result.next_step,
                    Jsonb([r.model_dump() for r in result.reasons]),
                    result.method,
                ],
            ).fetchone()
            lead = conn.execute(
                "UPDATE lead SET score = %s, updated_at = now(),"
                " status = CASE WHEN status = 'new' AND %s >= %s THEN 'qualified' ELSE status END"
                " WHERE id = %s RETURNING *",
                [result.score, result.score, qualified_score, lead_id],
            ).fetchone()
        assert row is not None and lead is not None
        stored = _lead(lead)
        return Analysed(_analysis(row), stored, before["status"] == "new" and stored.status == "qualified")

    def analyses(self, lead_id: str, limit: int = 50) -> list[LeadAnalysis]:
        """The lead's qualifications, newest first. Raises InvalidInput (limit), BackendUnavailable."""
        check_page(0, limit)
        with connection(self._pool) as conn:
            rows = conn.execute(
                "SELECT * FROM lead_analysis WHERE lead_id = %s ORDER BY created_at DESC, id LIMIT %s",
                [_uuid(lead_id), limit],
            ).fetchall()
        return [_analysis(r) for r in rows]

    def latest_analyses(self, lead_ids: Sequence[str]) -> dict[str, LeadAnalysis]:
        """Each lead's newest qualification, by lead id (leads without one are absent)."""
        if not lead_ids:
            return {}
        with connection(self._pool) as conn:
            rows = conn.execute(
                "SELECT DISTINCT ON (lead_id) * FROM lead_analysis WHERE lead_id = ANY(%s::uuid[])"
                " ORDER BY lead_id, created_at DESC, id",
                [list(lead_ids)],
            ).fetchall()
        return {str(r["lead_id"]): _analysis(r) for r in rows}

    def unqualified(self, limit: int = 100) -> list[Lead]:
        """Leads with no qualification yet, oldest first (what ``qualify_pending`` works through)."""
        check_page(0, limit)
        with connection(self._pool) as conn:
            rows = conn.execute(
                "SELECT * FROM lead l WHERE NOT EXISTS (SELECT 1 FROM lead_analysis a WHERE a.lead_id = l.id)"
                " ORDER BY created_at, id LIMIT %s",
                [limit],
            ).fetchall()
        return [_lead(r) for r in rows]

    def search(self, terms: Sequence[str], owner: str | None = ALL, limit: int = 10) -> list[Prospect]:
        """Leads whose name, company, message or e-mail address contain the most of ``terms`` (plain
        words, each matched case-insensitively as a substring), then the best scored; without terms,
        the best scored. Raises InvalidInput (limit), BackendUnavailable."""
        check_page(0, limit)
        with connection(self._pool) as conn:
            rows = conn.execute(
                """
                SELECT * FROM (
                  SELECT l.*, (
                    SELECT count(*) FROM unnest(%(terms)s::text[]) AS t(term)
                    WHERE concat_ws(' ', l.name, l.company, l.message, l.email_key) ILIKE '%%' || t.term || '%%'
                  ) AS matched
                  FROM lead l WHERE (%(owner)s::text IS NULL OR l.user_id = %(owner)s)
                ) scored
                WHERE cardinality(%(terms)s::text[]) = 0 OR matched > 0
                ORDER BY matched DESC, score DESC NULLS LAST, created_at DESC, id
                LIMIT %(limit)s
                """,
                {"terms": list(terms), "owner": owner, "limit": limit},
            ).fetchall()
        found = []
        for row in rows:
            matched = int(row.pop("matched"))
            found.append(Prospect(_lead(row), matched))
        return found
