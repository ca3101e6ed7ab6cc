"""``lead_agent``: qualifies leads (score, intent, next step, reasons) and finds the best prospects.

Three ways to call it, exactly one per call:

- ``lead_id``: qualifies that stored lead again (with the configured LLM when there is one, the
  rules otherwise) and stores the analysis; an admin may name any lead, a user only their own
  (any other is "not found").
- ``query``: the leads the caller reads that match the query's content words (name, company,
  message, e-mail address), best scored first, each with its newest qualification; the document's
  ``{"query": "Find top prospects in SaaS"}`` looks for "saas". No lead matching: an empty list.
- ``lead``: details that are not stored (``email``, ``name``, ``company``, ``message``), qualified
  and returned; nothing is written.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ragplatform.agents.base import AgentContext
from ragplatform.errors import InvalidInput
from ragplatform.leads.base import MAX_COMPANY, MAX_EMAIL, MAX_MESSAGE, MAX_NAME, Qualification, Submission
from ragplatform.leads.service import Viewer

MAX_QUERY = 500


class LeadDetails(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=MAX_EMAIL, description="The person's e-mail address.")
    name: str = Field(default="", max_length=MAX_NAME)
    company: str = Field(default="", max_length=MAX_COMPANY)
    message: str = Field(default="", max_length=MAX_MESSAGE, description="What they wrote.")
    consent: bool = Field(default=False, description="Whether they agreed to be contacted.")


class LeadInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Qualify this stored lead (yours, or any for an admin).",
    )
    query: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_QUERY,
        description='Find the best prospects among the leads you read, e.g. "Find top prospects in SaaS".',
    )
    lead: LeadDetails | None = Field(default=None, description="Qualify these details without storing them.")
    limit: int = Field(default=10, ge=1, le=50, description="Prospects a query returns (1..50).")

    @model_validator(mode="after")
    def exactly_one(self) -> LeadInput:
        given = [name for name in ("lead_id", "query", "lead") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of lead_id, query or lead, got {len(given)}")
        return self


class LeadAgent:
    name = "lead_agent"
    description = (
        "Qualifies a lead (score 0-100, intent, next step and the reasons) with the configured LLM or "
        "transparent rules, and finds the best prospects among the leads the caller reads."
    )
    Input = LeadInput

    def run(self, params: LeadInput, context: AgentContext) -> dict[str, Any]:
        """Raises NotFound (a lead the caller may not read, or none such), InvalidInput (a bad e-mail
        address in ``lead``), BackendUnavailable."""
        viewer = Viewer(context.user_id, context.is_admin)
        leads = context.platform.leads
        if params.lead_id is not None:
            analysed = leads.qualify(params.lead_id, viewer)
            return {
                "lead": analysed.lead.model_dump(mode="json"),
                "analysis": analysed.analysis.model_dump(mode="json"),
                "qualified": analysed.lead.status == "qualified",
                **({"note": analysed.note} if analysed.note else {}),
            }
        if params.query is not None:
            terms, found = leads.prospects(params.query, viewer, params.limit)
            prospects = [
                {
                    "lead": p.lead.model_dump(mode="json"),
                    "matched_terms": p.matched,
                    "analysis": p.analysis.model_dump(mode="json") if p.analysis else None,
                }
                for p in found
            ]
            return {"query": params.query, "terms": terms, "prospects": prospects, "count": len(prospects)}
        assert params.lead is not None
        details = params.lead
        try:
            submission = Submission(
                details.email, details.name, details.company, details.message, details.consent
            )
            result = leads.preview(submission)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=f"lead.{exc.field}", value=exc.value) from exc
        return {"analysis": qualification(result), "stored": False}


def qualification(result: Qualification) -> dict[str, Any]:
    return {
        "score": result.score,
        "intent": result.intent,
        "next_step": result.next_step,
        "reasons": [r.model_dump() for r in result.reasons],
        "method": result.method,
        **({"note": result.note} if result.note else {}),
    }
