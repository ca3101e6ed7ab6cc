"""Leads (API 02): the contact form, the chat's consent box, and reading and updating leads.

Who reads what: an admin every lead; a signed-in account the leads that came through it; another
account's lead answers 404, exactly as one that does not exist. The form is open (a public
website form): with a bearer token the lead belongs to that account. Every call is one call to
``platform.leads`` (``ragplatform/leads``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from ragplatform.content.base import User
from ragplatform.leads.base import LeadStatus, Submission
from ragplatform.leads.service import Viewer
from ragserve.agents.leads_schemas import (
    LeadAnalysesPublic,
    LeadAnalysisPublic,
    LeadConsentCreate,
    LeadConsentPublic,
    LeadCreate,
    LeadPublic,
    LeadsPublic,
    LeadUpdate,
)
from ragserve.auth import AdminUser, CurrentUser, OptionalUser
from ragserve.deps import PlatformDep
from ragserve.params import Limit, Offset

router = APIRouter(prefix="/api/leads", tags=["leads (API 02)"])

AUTH: dict[int | str, dict[str, str]] = {401: {"description": "no or an invalid bearer token"}}
ONE: dict[int | str, dict[str, str]] = {**AUTH, 404: {"description": "no such lead for the caller"}}


def viewer(user: User | None) -> Viewer:
    return Viewer(user.id, user.role == "admin") if user else Viewer()


@router.post(
    "",
    response_model=LeadPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Leave contact details (the lead form)",
    description=(
        "Open to anyone; with a bearer token the lead belongs to that account. `consent` is required "
        "and must be true (422 naming `consent` otherwise): nothing is stored without it. A lead is "
        "one person: a second submission with the same e-mail address (case and spaces aside) merges "
        "into the first instead of adding one. The lead is qualified at once by the rules and the "
        "answer carries that `analysis`. When the address merged into a lead the caller may not read "
        "(an anonymous visitor, another account's lead), the answer shows only what the caller sent, "
        "qualified on its own, so the form discloses nothing of other submissions."
    ),
    responses={401: {"description": "a bearer token was sent but is invalid"}},
)
def create_lead(body: LeadCreate, platform: PlatformDep, user: OptionalUser) -> LeadPublic:
    submission = Submission(body.email, body.name, body.company, body.message, body.consent)
    receipt = platform.leads.submit(submission, viewer(user))
    return LeadPublic.of(receipt.lead, receipt.analysis)


@router.post(
    "/consent",
    response_model=LeadConsentPublic,
    summary="Record whether a chat's visitor agrees to be contacted",
    description=(
        'The chat widget\'s "you may contact me" box. With consent, an e-mail address the visitor '
        "writes in that chat (or wrote earlier: the newest one) becomes a lead tied to the session; "
        "without it no address in the chat is stored as a lead. Open like the chats themselves: a "
        "private session (one a signed-in account started) answers 404 to anyone but its account "
        "and admins."
    ),
    responses={404: {"description": "no such session for the caller"}},
)
def chat_consent(body: LeadConsentCreate, platform: PlatformDep, user: OptionalUser) -> LeadConsentPublic:
    who = viewer(user)
    result = platform.leads.set_chat_consent(body.session_id, body.consent, who)
    shown = result.lead if result.lead is not None and who.may_read(result.lead) else None
    return LeadConsentPublic(
        session_id=result.session_id,
        consent=result.consent,
        captured=result.lead is not None,
        lead=LeadPublic.of(shown) if shown is not None else None,
    )


@router.get(
    "",
    response_model=LeadsPublic,
    summary="Leads, newest first: every lead for an admin, the caller's own for anyone else",
    responses=AUTH,
)
def list_leads(
    platform: PlatformDep,
    user: CurrentUser,
    lead_status: Annotated[LeadStatus | None, Query(alias="status", description="only this status")] = None,
    min_score: Annotated[
        int | None, Query(ge=0, le=100, description="only leads scoring at least this")
    ] = None,
    skip: Offset = 0,
    limit: Limit = 50,
) -> LeadsPublic:
    page, latest = platform.leads.page(
        viewer(user), status=lead_status, min_score=min_score, skip=skip, limit=limit
    )
    return LeadsPublic(
        data=[LeadPublic.of(lead, latest.get(lead.id)) for lead in page.items], count=page.total
    )


@router.get("/{lead_id}", response_model=LeadPublic, summary="One lead with its newest qualification",
            responses=ONE)  # fmt: skip
def get_lead(lead_id: str, platform: PlatformDep, user: CurrentUser) -> LeadPublic:
    return LeadPublic.of(*platform.leads.get(lead_id, viewer(user)))


@router.patch(
    "/{lead_id}",
    response_model=LeadPublic,
    summary="Change a lead's status (admins)",
    responses={**ONE, 403: {"description": "not an admin"}},
)
def update_lead(lead_id: str, body: LeadUpdate, platform: PlatformDep, admin: AdminUser) -> LeadPublic:
    return LeadPublic.of(*platform.leads.set_status(lead_id, body.status, viewer(admin)))


@router.get(
    "/{lead_id}/analyses",
    response_model=LeadAnalysesPublic,
    summary="Every qualification of a lead, newest first",
    responses=ONE,
)
def lead_analyses(
    lead_id: str, platform: PlatformDep, user: CurrentUser, limit: Limit = 50
) -> LeadAnalysesPublic:
    analyses = platform.leads.analyses(lead_id, viewer(user), limit)
    return LeadAnalysesPublic(data=[LeadAnalysisPublic.of(a) for a in analyses], count=len(analyses))
