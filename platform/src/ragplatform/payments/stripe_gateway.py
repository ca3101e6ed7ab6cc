"""Stripe at the network boundary, through the official ``stripe`` library: creating a Checkout
Session and verifying a webhook's ``Stripe-Signature``.

Each gateway holds its own ``StripeClient`` (API key, API base, timeout), so nothing is set on the
``stripe`` module and a stand-in for Stripe's API can be named per platform. The library's errors
are translated here into the platform's tree; their text is never passed on to a caller.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from ragplatform.errors import BackendUnavailable, BadRequest, RagPlatformError

log = logging.getLogger(__name__)

MAX_NETWORK_RETRIES = 2  # the library retries connection errors and 409/5xx answers, idempotently
SIGNATURE_HEADER = "Stripe-Signature"


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None


def _refused_by_stripe(exc: Exception) -> RagPlatformError:
    """Stripe's answer to a request it refused, as the platform's error for the caller."""
    import stripe

    if isinstance(exc, stripe.InvalidRequestError):
        # Stripe's own message is written for the integrator ("No such price: 'price_x'").
        message = getattr(exc, "user_message", None) or (exc.error.message if exc.error else None)
        param = getattr(exc, "param", None)
        return BadRequest(
            f"Stripe refused the checkout session: {message or 'invalid request'}",
            field=f"body.{param}" if param else None,
        )
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return BackendUnavailable("Stripe refused STRIPE_API_KEY: set a valid secret key")
    if isinstance(exc, stripe.APIConnectionError):
        return BackendUnavailable("Stripe's API cannot be reached; try again later")
    if isinstance(exc, stripe.RateLimitError):
        return BackendUnavailable("Stripe is rate limiting this account; try again later")
    return BackendUnavailable("Stripe could not create the checkout session; try again later")


class StripeGateway:
    """Stripe's API for one key and API base (``https://api.stripe.com`` or a stand-in)."""

    def __init__(self, api_key: str, api_base: str, timeout_s: float = 30.0) -> None:
        self.api_key = api_key
        self.api_base = api_base.rstrip("/")
        self.timeout_s = timeout_s

    def create_checkout_session(self, params: dict[str, Any]) -> CheckoutSession:
        """``POST /v1/checkout/sessions`` with ``params`` (Stripe's names).
        Raises BadRequest (Stripe refused the parameters), BackendUnavailable (a bad key, Stripe
        unreachable or failing)."""
        import stripe

        http = stripe.RequestsClient(timeout=self.timeout_s)
        client = stripe.StripeClient(
            self.api_key,
            base_addresses={"api": self.api_base},
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=http,
        )
        try:
            session = client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
        except stripe.StripeError as exc:
            error = _refused_by_stripe(exc)
            log.warning("Stripe checkout failed (%s): %s", type(exc).__name__, exc)
            raise error from exc
        finally:
            http.close()  # type: ignore[no-untyped-call]
        return CheckoutSession(id=str(session.id), url=session.url)


def verify_webhook(payload: bytes, signature: str | None, secret: str, tolerance_s: int) -> dict[str, Any]:
    """The event a webhook body carries, once its ``Stripe-Signature`` is proved to be Stripe's:
    an HMAC-SHA256 of ``"<t>.<body>"`` under ``secret``, with ``t`` no older than ``tolerance_s``.

    Raises BadRequest (naming the header) for a missing, malformed, forged or stale signature, or a
    signed body that is not a Stripe event; the reason is logged, never echoed.
    """
    import stripe

    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance_s)
    except stripe.SignatureVerificationError as exc:
        log.info("webhook refused: %s", exc)
        reason = "missing" if not signature else "invalid or too old"
        raise BadRequest(
            f"the {SIGNATURE_HEADER} header is {reason}: the webhook was not sent by Stripe within "
            f"the last {tolerance_s} seconds",
            field=SIGNATURE_HEADER,
        ) from None
    except UnicodeDecodeError:
        raise BadRequest("the webhook body is not UTF-8 text", field="body") from None
    try:
        event = json.loads(payload)
    except ValueError:
        raise BadRequest("the webhook body is not JSON", field="body") from None
    if not (
        isinstance(event, dict)
        and event.get("object") == "event"
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise BadRequest(
            "the webhook body is not a Stripe event (object, id, type, data.object)", field="body"
        )
    return event
