"""What a verified Stripe event asks of ``user_subscriptions``, read from the event alone.

Stripe sends amounts in the currency's smallest unit (cents; whole yen for zero-decimal
currencies), times as Unix seconds, and events in no guaranteed order: the changes below carry the
event's time so that the store can ignore one older than what it already applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

# https://docs.stripe.com/currencies#zero-decimal and #three-decimal
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())  # noqa: SIM905

CHECKOUT_COMPLETED = "checkout.session.completed"
ASYNC_PAYMENT_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_PAYMENT_FAILED = "checkout.session.async_payment_failed"
SUBSCRIPTION_CREATED = "customer.subscription.created"
SUBSCRIPTION_UPDATED = "customer.subscription.updated"
SUBSCRIPTION_DELETED = "customer.subscription.deleted"
HANDLED = (
    CHECKOUT_COMPLETED,
    ASYNC_PAYMENT_SUCCEEDED,
    ASYNC_PAYMENT_FAILED,
    SUBSCRIPTION_CREATED,
    SUBSCRIPTION_UPDATED,
    SUBSCRIPTION_DELETED,
)


def major_units(amount: Any, currency: str) -> Decimal:
    """Stripe's integer amount in the currency's major unit (``999`` usd → ``9.99``)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        return Decimal(0)
    if currency in ZERO_DECIMAL:
        return Decimal(amount)
    return Decimal(amount) / (1000 if currency in THREE_DECIMAL else 100)


def timestamp(value: Any) -> datetime | None:
    """A Unix time Stripe sent, as an aware UTC datetime (None when absent or not a time)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 253402300800:
        return None
    return datetime.fromtimestamp(value, UTC)


def _text(value: Any) -> str | None:
    """An id or a string field; an expanded object gives its ``id``."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _metadata(obj: dict[str, Any]) -> dict[str, str]:
    raw = obj.get("metadata")
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


@dataclass(frozen=True)
class CheckoutChange:
    """A completed (or asynchronously settled) Checkout Session."""

    kind: Literal["completed", "async_succeeded", "async_failed"]
    session_id: str
    mode: str
    status: str  # active (a subscription), paid (a one-off payment), incomplete, failed
    user_ids: tuple[str, ...]  # candidates, most trusted first: metadata user_id, client_reference_id
    customer_email: str | None
    plan: str
    final_price: Decimal
    currency: str
    start_date: datetime
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SubscriptionChange:
    """A subscription Stripe created, changed or ended."""

    stripe_subscription_id: str
    status: str
    plan: str
    end_date: datetime | None
    event_at: datetime
    user_ids: tuple[str, ...]
    stripe_customer_id: str | None
    start_date: datetime
    final_price: Decimal
    currency: str
    metadata: dict[str, str] = field(default_factory=dict)


Change = CheckoutChange | SubscriptionChange


def change_for(event: dict[str, Any]) -> Change | None:
    """The change ``event`` (a verified Stripe event) asks for; None for a type this platform
    does not act on (it is still acknowledged and remembered)."""
    kind = event["type"]
    obj: dict[str, Any] = event["data"]["object"]
    at = timestamp(event.get("created")) or datetime.now(UTC)
    if kind in (CHECKOUT_COMPLETED, ASYNC_PAYMENT_SUCCEEDED, ASYNC_PAYMENT_FAILED):
        return _checkout(kind, obj, at) if _text(obj.get("id")) else None
    if kind in (SUBSCRIPTION_CREATED, SUBSCRIPTION_UPDATED, SUBSCRIPTION_DELETED):
        return _subscription(kind, obj, at) if _text(obj.get("id")) else None
    return None


def _checkout(kind: str, session: dict[str, Any], at: datetime) -> CheckoutChange:
    metadata = _metadata(session)
    mode = session.get("mode") if session.get("mode") in ("subscription", "payment") else "payment"
    paid = session.get("payment_status") != "unpaid"
    settled = {
        CHECKOUT_COMPLETED: "completed",
        ASYNC_PAYMENT_SUCCEEDED: "async_succeeded",
        ASYNC_PAYMENT_FAILED: "async_failed",
    }[kind]
    if settled == "async_failed":
        status = "failed"
    elif settled == "async_succeeded" or paid:
        status = "active" if mode == "subscription" else "paid"
    else:  # a delayed payment method: settled later by an async_payment_* event
        status = "incomplete"
    email = _text(_object(session.get("customer_details")).get("email")) or _text(
        session.get("customer_email")
    )
    currency = str(session.get("currency") or "usd").lower()
    user_ids = tuple(u for u in (metadata.get("user_id"), _text(session.get("client_reference_id"))) if u)
    return CheckoutChange(
        kind=settled,  # type: ignore[arg-type]
        session_id=str(_text(session.get("id"))),
        mode=str(mode),
        status=status,
        user_ids=user_ids,
        customer_email=email,
        plan=metadata.get("price_id") or metadata.get("plan") or "",
        final_price=major_units(session.get("amount_total"), currency),
        currency=currency,
        start_date=timestamp(session.get("created")) or at,
        stripe_customer_id=_text(session.get("customer")),
        stripe_subscription_id=_text(session.get("subscription")),
        metadata=metadata,
    )


def _subscription(kind: str, sub: dict[str, Any], at: datetime) -> SubscriptionChange:
    metadata = _metadata(sub)
    first = _object((_list(_object(sub.get("items")).get("data")) or [{}])[0])
    price = _object(first.get("price"))
    currency = str(price.get("currency") or sub.get("currency") or "usd").lower()
    quantity, unit = first.get("quantity", 1), price.get("unit_amount")
    amount = unit * quantity if isinstance(unit, int) and isinstance(quantity, int) else None
    status = str(sub.get("status") or "active")
    if kind == SUBSCRIPTION_DELETED:
        status = "canceled"
    # The paid-through end: when it ended, else when it is set to end, else the current period's end
    # (on the subscription in older API versions, on its items since 2025-03-31).
    end = (
        timestamp(sub.get("ended_at"))
        or timestamp(sub.get("cancel_at"))
        or timestamp(sub.get("current_period_end"))
        or timestamp(first.get("current_period_end"))
    )
    if kind == SUBSCRIPTION_DELETED and end is None:
        end = timestamp(sub.get("canceled_at")) or at
    return SubscriptionChange(
        stripe_subscription_id=str(_text(sub.get("id"))),
        status=status,
        plan=_text(price.get("id")) or metadata.get("price_id") or "",
        end_date=end,
        event_at=at,
        user_ids=tuple(u for u in (metadata.get("user_id"),) if u),
        stripe_customer_id=_text(sub.get("customer")),
        start_date=timestamp(sub.get("start_date")) or timestamp(sub.get("created")) or at,
        final_price=major_units(amount, currency),
        currency=currency,
        metadata=metadata,
    )
