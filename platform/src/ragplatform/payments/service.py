"""``PaymentService``: API 02's Stripe payments over the platform's stores.

- ``create_checkout_session``: a Checkout Session for the caller, priced by the request or by
  ``STRIPE_PRICE_ID``; the caller's id rides in the session's metadata (and the subscription's), which
  is how the webhook links what Stripe reports back to the account.
- ``handle_webhook``: verifies ``Stripe-Signature``, then remembers the event id and applies it in
  one transaction (a redelivered event changes nothing), and once that has committed, raises the
  ``subscription_created`` / ``subscription_updated`` analytics events and notifies the paying
  user and the admins.
- ``subscriptions`` and ``revenue`` for the console, the API and analytics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlsplit

from psycopg_pool import ConnectionPool

from ragplatform.content.base import ContentStore, User
from ragplatform.db.pool import connection
from ragplatform.errors import (
    BackendUnavailable,
    BadRequest,
    InvalidInput,
    NotFound,
    RagPlatformError,
    TooLarge,
)
from ragplatform.events import EventBus
from ragplatform.notifications.store import NotificationStore
from ragplatform.payments.announcements import Announcement, analytics_event
from ragplatform.payments.stripe_gateway import CheckoutSession, StripeGateway, verify_webhook
from ragplatform.payments.subscriptions import Applied, SubscriptionPage, SubscriptionStore
from ragplatform.payments.webhook import CheckoutChange, SubscriptionChange, change_for
from ragplatform.settings import StripeSettings

log = logging.getLogger(__name__)

Mode = Literal["subscription", "payment"]
MODES: tuple[Mode, ...] = ("subscription", "payment")
MAX_WEBHOOK_BYTES = 256 * 1024  # Stripe's events are a few KiB
MAX_URL_CHARS = 2048
MAX_EMAIL_CHARS = 320
# Stripe's metadata limits: 50 keys of up to 40 characters, values of up to 500; two keys are ours.
RESERVED_METADATA = ("user_id", "price_id")
MAX_METADATA_KEYS = 50 - len(RESERVED_METADATA)
MAX_METADATA_KEY_CHARS = 40
MAX_METADATA_VALUE_CHARS = 500


@dataclass(frozen=True)
class CheckoutRequest:
    """What a caller asks for; every field left None falls back to its ``STRIPE_*`` setting."""

    price_id: str | None = None
    mode: str | None = None
    success_url: str | None = None
    cancel_url: str | None = None
    customer_email: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookResult:
    received: bool
    duplicate: bool
    event_type: str


class PaymentService:
    """``settings`` is read on every call, so a platform can be pointed at another Stripe (a
    stand-in in tests) by replacing it."""

    def __init__(
        self,
        pool: ConnectionPool[Any],
        content: ContentStore,
        notifications: NotificationStore,
        events: EventBus,
        settings: StripeSettings,
    ) -> None:
        self.store = SubscriptionStore(pool)
        self._pool = pool
        self._content = content
        self._notifications = notifications
        self._events = events
        self.settings = settings

    # -- checkout ----------------------------------------------------------------------------------

    def create_checkout_session(self, user: User, request: CheckoutRequest) -> CheckoutSession:
        """A Stripe Checkout Session for ``user``, who is written into its metadata as ``user_id``
        (and ``client_reference_id``) so the webhook can link the subscription to the account.
        Raises BackendUnavailable (STRIPE_API_KEY unset or refused, Stripe unreachable), BadRequest
        (no price, a bad mode, URL, e-mail or metadata; a price Stripe does not know)."""
        s = self.settings
        if s.api_key is None or not s.api_key.get_secret_value().strip():
            raise BackendUnavailable(
                "payments are not configured: set STRIPE_API_KEY (and STRIPE_WEBHOOK_SECRET for the webhook)"
            )
        price = _required(request.price_id or s.price_id, "price_id", "STRIPE_PRICE_ID", "a price to charge")
        mode = request.mode or s.mode
        if mode not in MODES:
            raise BadRequest(
                f"mode must be one of {', '.join(MODES)}, got {mode!r}", field="mode", value=mode
            )
        success_url = _url(
            _required(
                request.success_url or s.success_url, "success_url", "STRIPE_SUCCESS_URL", "a success page"
            ),
            "success_url",
        )
        cancel_url = request.cancel_url or s.cancel_url
        email = _email(request.customer_email or (user.username if "@" in user.username else None))
        metadata = {**_metadata(request.metadata), "user_id": user.id, "price_id": price}
        params: dict[str, Any] = {
            "mode": mode,
            "line_items": [{"price": price, "quantity": 1}],
            "success_url": success_url,
            "client_reference_id": user.id,
            "metadata": metadata,
        }
        if cancel_url:
            params["cancel_url"] = _url(cancel_url, "cancel_url")
        if email:
            params["customer_email"] = email
        params["subscription_data" if mode == "subscription" else "payment_intent_data"] = {
            "metadata": metadata
        }
        gateway = StripeGateway(s.api_key.get_secret_value(), s.api_base, s.timeout_s)
        return gateway.create_checkout_session(params)

    # -- webhook -----------------------------------------------------------------------------------

    def handle_webhook(self, payload: bytes, signature: str | None) -> WebhookResult:
        """Verifies and applies one webhook delivery, at most once per Stripe event id. Types this
        platform does not act on are acknowledged and remembered.
        Raises BackendUnavailable (not configured), TooLarge, BadRequest (unsigned, forged, stale or
        not an event: nothing is stored)."""
        secret = self._webhook_secret()
        if len(payload) > MAX_WEBHOOK_BYTES:
            raise TooLarge(
                f"a webhook body may be at most {MAX_WEBHOOK_BYTES} bytes, got {len(payload)}",
                field="body",
                value=len(payload),
            )
        event = verify_webhook(payload, signature, secret, self.settings.webhook_tolerance_s)
        change = change_for(event)
        user_id = self._user_for(change) if change is not None else None
        with connection(self._pool) as conn:
            if not self.store.remember_event(conn, event["id"], event["type"]):
                return WebhookResult(received=True, duplicate=True, event_type=event["type"])
            applied = self._apply(conn, change, user_id)
        if applied is not None and change is not None:
            self._announce(applied, change)
        return WebhookResult(received=True, duplicate=False, event_type=event["type"])

    def _webhook_secret(self) -> str:
        s = self.settings
        missing = [
            name
            for name, value in (("STRIPE_API_KEY", s.api_key), ("STRIPE_WEBHOOK_SECRET", s.webhook_secret))
            if value is None or not value.get_secret_value().strip()
        ]
        if missing or s.webhook_secret is None:
            raise BackendUnavailable(f"payments are not configured: set {' and '.join(missing)}")
        return s.webhook_secret.get_secret_value()

    @staticmethod
    def _apply(
        conn: Any, change: CheckoutChange | SubscriptionChange | None, user_id: str | None
    ) -> Applied | None:
        if isinstance(change, SubscriptionChange):
            return SubscriptionStore.apply_subscription(conn, change, user_id)
        if isinstance(change, CheckoutChange):
            if change.kind == "completed":
                return SubscriptionStore.apply_checkout(conn, change, user_id)
            return SubscriptionStore.settle_checkout(conn, change.session_id, change.status)
        return None

    def _user_for(self, change: CheckoutChange | SubscriptionChange) -> str | None:
        """The account a payment belongs to: the first of the candidate ids (our metadata, then
        ``client_reference_id``) that names an account, else the account whose e-mail paid."""
        email = change.customer_email if isinstance(change, CheckoutChange) else None
        lookups: list[tuple[Callable[[str], User], str]] = [
            (self._content.get_user, c) for c in change.user_ids
        ]
        if email:
            lookups.append((self._content.get_user_by_username, email))
        for lookup, key in lookups:
            try:
                return lookup(key).id
            except (NotFound, InvalidInput):  # no such account, or a value the database refuses
                continue
        return None

    # -- announcements -----------------------------------------------------------------------------

    def _announce(self, applied: Applied, change: CheckoutChange | SubscriptionChange) -> None:
        """The analytics event and the notifications for a committed change. Best effort: the
        payment is stored already, so a failure here is logged, never raised to Stripe."""
        sub = applied.subscription
        self._events.publish(analytics_event(applied))
        news = Announcement.of(sub, applied.created, change)
        metadata = {
            "subscription_id": sub.id,
            "status": sub.status,
            "plan": sub.plan,
            "final_price": str(sub.final_price),
            "currency": sub.currency,
        }
        try:
            if sub.user_id:
                self._notifications.create(
                    sub.user_id, news.kind, *news.to_payer, severity=news.severity, metadata=metadata
                )
            admins = [a for a in self._content.user_ids_with_role("admin") if a != sub.user_id]
            self._notifications.create_many(
                admins, news.kind, *news.to_admins, severity=news.severity, metadata=metadata
            )
        except RagPlatformError:
            log.warning("payment notifications for subscription %s failed", sub.id, exc_info=True)

    # -- reads -------------------------------------------------------------------------------------

    def subscriptions(
        self, user_id: str | None = None, status: str | None = None, skip: int = 0, limit: int = 50
    ) -> SubscriptionPage:
        """Newest first; ``user_id`` None lists everyone's (for admins). Raises InvalidInput (paging),
        BackendUnavailable."""
        return self.store.page(user_id, status, skip, limit)

    def revenue(self, start: datetime, end: datetime, user_id: str | None = None) -> Decimal:
        """Paid in ``[start, end)`` (by start date), in major units. Raises InvalidInput, BackendUnavailable."""
        return self.store.revenue(start, end, user_id)


# -- request checks --------------------------------------------------------------------------------


def _required(value: str | None, name: str, setting: str, what: str) -> str:
    if value is None or not value.strip():
        raise BadRequest(f"no {what}: send {name} or set {setting}", field=name)
    return value.strip()


def _url(value: str, name: str) -> str:
    parts = urlsplit(value)
    if len(value) > MAX_URL_CHARS or parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest(
            f"{name} must be an http(s) URL of at most {MAX_URL_CHARS} characters, got {value[:100]!r}",
            field=name,
            value=value[:200],
        )
    return value


def _email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(value) > MAX_EMAIL_CHARS
        or any(c.isspace() for c in value)
    ):
        raise BadRequest(
            f"customer_email is not an e-mail address: {value[:100]!r}",
            field="customer_email",
            value=value[:200],
        )
    return value


def _metadata(metadata: dict[str, str]) -> dict[str, str]:
    """The caller's metadata within Stripe's limits; ``user_id`` and ``price_id`` are set by the
    server (a caller's value for them is replaced)."""
    own = {k: v for k, v in metadata.items() if k not in RESERVED_METADATA}
    if len(own) > MAX_METADATA_KEYS:
        raise BadRequest(
            f"metadata may hold at most {MAX_METADATA_KEYS} keys, got {len(own)}",
            field="metadata",
            value=len(own),
        )
    for key, value in own.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise BadRequest("metadata keys and values must be strings", field=f"metadata.{key}")
        if not key or len(key) > MAX_METADATA_KEY_CHARS or "[" in key or "]" in key:
            raise BadRequest(
                f"metadata keys must be 1 to {MAX_METADATA_KEY_CHARS} characters without square brackets,"
                f" got {key[:60]!r}",
                field="metadata",
                value=key[:60],
            )
        if len(value) > MAX_METADATA_VALUE_CHARS:
            raise BadRequest(
                f"metadata values may be at most {MAX_METADATA_VALUE_CHARS} characters,"
                f" got {len(value)} for {key!r}",
                field=f"metadata.{key}",
                value=len(value),
            )
    return own
