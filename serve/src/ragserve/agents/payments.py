"""Stripe payments (API 02, "Payments (Stripe)"): one call each to ``platform.payments``
(``ragplatform/payments``).

- ``POST /api/payments/create-checkout-session`` needs a bearer token: the document's frontend calls
  it for a signed-in user, and the caller's id is written into the session so that the webhook
  links the subscription to the account (an anonymous checkout could only be matched by e-mail).
- ``POST /api/payments/webhook`` is open: the ``Stripe-Signature`` header is its authentication. It
  reads the raw body, which the signature covers byte for byte.
- ``GET /api/payments/subscriptions``: the caller's own; an admin's are everyone's.

Until ``STRIPE_API_KEY`` (and, for the webhook, ``STRIPE_WEBHOOK_SECRET``) is set, the two POSTs
answer 503 with a ``detail`` naming what to set.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from ragplatform.errors import PermissionDenied
from ragplatform.payments.service import MAX_WEBHOOK_BYTES, CheckoutRequest
from ragplatform.payments.subscriptions import Subscription
from ragserve.agents.schemas import (
    CheckoutSessionCreate,
    CheckoutSessionPublic,
    SubscriptionPublic,
    SubscriptionsPublic,
    WebhookReceiptPublic,
)
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.params import Limit, Offset

router = APIRouter(prefix="/api/payments", tags=["payments (API 02)"])

NOT_CONFIGURED = "payments are not configured: the detail names the STRIPE_* variables to set"
CHECKOUT_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "no price (send price_id or set STRIPE_PRICE_ID), a bad URL, e-mail or "
        "metadata, or a price Stripe refuses"
    },
    401: {"description": "no or an invalid bearer token"},
    503: {"description": f"{NOT_CONFIGURED} (STRIPE_API_KEY), or Stripe cannot be reached"},
}
WEBHOOK_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "unsigned, forged or stale (older than STRIPE_WEBHOOK_TOLERANCE_S): nothing changes"
    },
    413: {"description": f"a body over {MAX_WEBHOOK_BYTES} bytes"},
    503: {"description": f"{NOT_CONFIGURED} (STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET)"},
}
RAW_EVENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a Stripe event, exactly as Stripe sent it (the signature covers these bytes)",
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
    }
}


def public(subscription: Subscription) -> SubscriptionPublic:
    return SubscriptionPublic.model_validate(subscription.model_dump())


@router.post(
    "/create-checkout-session",
    response_model=CheckoutSessionPublic,
    responses=CHECKOUT_ERRORS,
    summary="Create a Stripe Checkout Session for the caller",
    description=(
        "Every field is optional and falls back to its setting (`STRIPE_PRICE_ID`, `STRIPE_MODE`, "
        "`STRIPE_SUCCESS_URL`, `STRIPE_CANCEL_URL`). The caller's id is written into the session's "
        "`metadata.user_id` and `client_reference_id`, so the subscription Stripe reports to the webhook "
        "is linked to the account. Answers `{id, url}`: send the buyer to `url`."
    ),
)
def create_checkout_session(
    body: CheckoutSessionCreate, platform: PlatformDep, user: CurrentUser
) -> CheckoutSessionPublic:
    session = platform.payments.create_checkout_session(user, CheckoutRequest(**body.model_dump()))
    return CheckoutSessionPublic(id=session.id, url=session.url)


@router.post(
    "/webhook",
    response_model=WebhookReceiptPublic,
    responses=WEBHOOK_ERRORS,
    openapi_extra=RAW_EVENT_BODY,
    summary="Receive a Stripe event (verified by its Stripe-Signature)",
    description=(
        "No bearer token: the `Stripe-Signature` header (HMAC-SHA256 under `STRIPE_WEBHOOK_SECRET`, "
        "at most `STRIPE_WEBHOOK_TOLERANCE_S` seconds old) is the authentication. Each event id is "
        "processed once; a redelivery answers `duplicate: true` and changes nothing. "
        "`checkout.session.completed` records a subscription (`status` active, `start_date`, "
        "`final_price`); `customer.subscription.updated` / `deleted` update it; other types are "
        "acknowledged."
    ),
)
async def webhook(
    request: Request,
    platform: PlatformDep,
    stripe_signature: Annotated[str | None, Header(description="t=<unix time>,v1=<hex HMAC>")] = None,
) -> WebhookReceiptPublic:
    payload = await request.body()
    result = await run_in_threadpool(platform.payments.handle_webhook, payload, stripe_signature)
    return WebhookReceiptPublic(
        received=result.received, duplicate=result.duplicate, event_type=result.event_type
    )


@router.get(
    "/subscriptions",
    response_model=SubscriptionsPublic,
    responses={
        401: {"description": "no or an invalid bearer token"},
        403: {"description": "user_id names another account and the caller is not an admin"},
    },
    summary="Subscriptions and payments, newest first: the caller's own, or an admin's pick",
)
def list_subscriptions(
    platform: PlatformDep,
    user: CurrentUser,
    user_id: Annotated[
        str | None, Query(max_length=200, description="an admin: this account's only (unset: everyone's)")
    ] = None,
    status: Annotated[str | None, Query(max_length=40, description="only this status, e.g. active")] = None,
    skip: Offset = 0,
    limit: Limit = 50,
) -> SubscriptionsPublic:
    if user.role != "admin" and user_id not in (None, user.id):
        raise PermissionDenied("only an admin may list another account's subscriptions")
    owner = user_id if user.role == "admin" else user.id
    page = platform.payments.subscriptions(owner, status, skip, limit)
    return SubscriptionsPublic(data=[public(s) for s in page.items], count=page.total)
