"""What a recorded payment tells others: the analytics event API 02 documents
(``subscription_created`` / ``subscription_updated``) and the notification texts for the paying
user and for the admins."""

from __future__ import annotations

from dataclasses import dataclass

from ragplatform.events import PlatformEvent
from ragplatform.notifications.store import Severity
from ragplatform.payments.subscriptions import Applied, Subscription
from ragplatform.payments.webhook import CheckoutChange, SubscriptionChange

TROUBLE = ("canceled", "failed", "past_due", "unpaid", "incomplete_expired")
GOOD = ("active", "paid", "trialing")


def analytics_event(applied: Applied) -> PlatformEvent:
    """``subscription_created`` for a new row, ``subscription_updated`` otherwise, with the data
    API 02 shows; owned by the paying account (admins only when it is unknown)."""
    sub = applied.subscription
    data: dict[str, str | None] = {"subscription_id": sub.id, "user_id": sub.user_id, "plan": sub.plan}
    if applied.created:
        data["created_at"] = sub.created_at.isoformat()
        return PlatformEvent("analytics", "subscription_created", data, owner=sub.user_id)
    data["updated_at"] = sub.updated_at.isoformat()
    return PlatformEvent("analytics", "subscription_updated", data, owner=sub.user_id)


@dataclass(frozen=True)
class Announcement:
    kind: str  # the notification_type
    severity: Severity
    to_payer: tuple[str, str]  # title, message
    to_admins: tuple[str, str]

    @classmethod
    def of(
        cls, sub: Subscription, created: bool, change: CheckoutChange | SubscriptionChange
    ) -> Announcement:
        price = f"{sub.final_price:.2f} {sub.currency.upper()}" if sub.final_price else "no charge"
        plan = sub.plan or "a plan"
        severity: Severity = "info"
        if sub.status in TROUBLE:
            severity = "warning"
        elif sub.status in GOOD and (created or isinstance(change, CheckoutChange)):
            severity = "success"
        if isinstance(change, CheckoutChange) and sub.status in ("active", "paid"):
            return cls(
                "payment_received",
                severity,
                ("Payment received", f"Your payment for {plan} ({price}) went through; it is {sub.status}."),
                ("New payment", f"{sub.customer_email or 'A customer'} paid {price} for {plan}."),
            )
        if sub.status == "canceled":
            return cls(
                "subscription_canceled",
                severity,
                ("Subscription canceled", f"Your subscription to {plan} was canceled."),
                ("Subscription canceled", f"The subscription {sub.id} to {plan} was canceled."),
            )
        return cls(
            "subscription_updated",
            severity,
            ("Subscription updated", f"Your subscription to {plan} is now {sub.status}."),
            ("Subscription updated", f"The subscription {sub.id} to {plan} is now {sub.status}."),
        )
