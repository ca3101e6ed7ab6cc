"""What a verified Stripe event asks of ``user_subscriptions`` (``ragplatform.payments.webhook``),
and the signature check (``stripe_gateway.verify_webhook``) through the real ``stripe`` library."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ragplatform.errors import BadRequest
from ragplatform.payments.stripe_gateway import verify_webhook
from ragplatform.payments.webhook import CheckoutChange, SubscriptionChange, change_for, major_units

SECRET = "whsec_unit_test"


def event(kind: str, obj: dict[str, Any], created: int = 1_700_000_000) -> dict[str, Any]:
    return {"id": "evt_1", "object": "event", "type": kind, "created": created, "data": {"object": obj}}


def signed(payload: bytes, t: int | None = None, secret: str = SECRET) -> str:
    t = int(time.time()) if t is None else t
    return f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + payload, hashlib.sha256).hexdigest()}"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1999, "usd", "19.99"),
        (500, "jpy", "500"),
        (12340, "kwd", "12.34"),
        (None, "usd", "0"),
        (-5, "usd", "0"),
    ],
)
def test_amounts_are_read_in_the_currency_major_unit(amount: object, currency: str, expected: str) -> None:
    assert major_units(amount, currency) == Decimal(expected)


def test_a_completed_checkout_names_its_account_price_and_payment() -> None:
    change = change_for(
        event(
            "checkout.session.completed",
            {
                "id": "cs_1",
                "mode": "subscription",
                "payment_status": "paid",
                "amount_total": 4900,
                "currency": "EUR",
                "client_reference_id": "ref-user",
                "subscription": "sub_1",
                "customer": {"id": "cus_1"},
                "customer_details": {"email": "buyer@example.org"},
                "metadata": {"user_id": "meta-user", "price_id": "price_1"},
                "created": 1_700_000_100,
            },
        )
    )
    assert isinstance(change, CheckoutChange)
    assert (change.status, change.plan, change.final_price, change.currency) == (
        "active", "price_1", Decimal("49"), "eur",
    )  # fmt: skip
    assert change.user_ids == ("meta-user", "ref-user") and change.customer_email == "buyer@example.org"
    assert (change.stripe_customer_id, change.stripe_subscription_id) == ("cus_1", "sub_1")
    assert change.start_date == datetime.fromtimestamp(1_700_000_100, UTC)


def test_a_delayed_payment_is_incomplete_until_it_settles() -> None:
    session = {"id": "cs_2", "mode": "payment", "payment_status": "unpaid", "amount_total": 100}
    pending = change_for(event("checkout.session.completed", session))
    settled = change_for(event("checkout.session.async_payment_succeeded", session))
    failed = change_for(event("checkout.session.async_payment_failed", session))
    assert isinstance(pending, CheckoutChange) and pending.status == "incomplete"
    assert isinstance(settled, CheckoutChange) and (settled.kind, settled.status) == (
        "async_succeeded",
        "paid",
    )
    assert isinstance(failed, CheckoutChange) and failed.status == "failed"


def test_a_subscription_reads_its_price_and_period_from_its_items() -> None:
    sub = {
        "id": "sub_1", "status": "active", "metadata": {"user_id": "u1"},
        "items": {"data": [{"quantity": 2, "current_period_end": 1_702_592_000,
                            "price": {"id": "price_2", "unit_amount": 1000, "currency": "usd"}}]},
    }  # fmt: skip
    updated = change_for(event("customer.subscription.updated", sub))
    assert isinstance(updated, SubscriptionChange)
    assert (updated.status, updated.plan, updated.final_price, updated.user_ids) == (
        "active", "price_2", Decimal("20"), ("u1",),
    )  # fmt: skip
    assert updated.end_date == datetime.fromtimestamp(1_702_592_000, UTC)
    deleted = change_for(event("customer.subscription.deleted", {**sub, "ended_at": 1_701_000_000}))
    assert isinstance(deleted, SubscriptionChange)
    assert (deleted.status, deleted.end_date) == ("canceled", datetime.fromtimestamp(1_701_000_000, UTC))


def test_other_types_and_objects_without_an_id_ask_for_nothing() -> None:
    assert change_for(event("invoice.paid", {"id": "in_1"})) is None
    assert change_for(event("checkout.session.completed", {"mode": "payment"})) is None


def test_only_a_fresh_signature_under_the_secret_is_accepted() -> None:
    payload = json.dumps(event("invoice.paid", {"id": "in_1"})).encode()
    assert verify_webhook(payload, signed(payload), SECRET, 300)["type"] == "invoice.paid"
    refused = [
        None,
        "",
        "t=1,v0=abc",
        signed(payload, secret="whsec_other"),
        signed(payload, t=int(time.time()) - 301),
        signed(payload + b" "),
    ]
    for header in refused:
        with pytest.raises(BadRequest) as caught:
            verify_webhook(payload, header, SECRET, 300)
        assert caught.value.field == "Stripe-Signature"
    with pytest.raises(BadRequest, match="not a Stripe event"):
        verify_webhook(b"[1, 2]", signed(b"[1, 2]"), SECRET, 300)
    with pytest.raises(BadRequest, match="not UTF-8"):
        verify_webhook(b"\xff\xfe", signed(b"x"), SECRET, 300)
