"""API 02's Stripe payments against a real server: the real ``stripe`` library talks to a stand-in
for Stripe's API on 127.0.0.1 (``stripe_standin``), and webhooks are signed exactly as Stripe signs
them. Checkout, the webhook's signature and replay checks, once-only processing, the subscription
lifecycle, the analytics events and notifications it raises, and who sees which subscriptions."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from agents_support import Account
from pydantic import SecretStr
from stripe_standin import (
    API_KEY,
    UNKNOWN_PRICE,
    WEBHOOK_SECRET,
    StandInServer,
    StripeStandIn,
    completed_session,
    stripe_event,
    stripe_signature,
    subscription_object,
)

from ragplatform.events import PlatformEvent
from ragplatform.settings import StripeSettings

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform

CHECKOUT = "/api/payments/create-checkout-session"
WEBHOOK = "/api/payments/webhook"
PRICE = "price_pro_monthly"
TOLERANCE_S = 300


@pytest.fixture(scope="module")
def stripe_api() -> Iterator[StripeStandIn]:
    with StandInServer() as standin:
        yield standin


def configured(stripe_api: StripeStandIn, **overrides: Any) -> StripeSettings:
    values: dict[str, Any] = {
        "api_key": API_KEY,
        "webhook_secret": WEBHOOK_SECRET,
        "price_id": PRICE,
        "mode": "subscription",
        "success_url": "https://app.example/payments/success?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://app.example/payments/cancel",
        "api_base": stripe_api.url,
        "webhook_tolerance_s": TOLERANCE_S,
        "timeout_s": 10,
        **overrides,
    }
    return StripeSettings(**values)


@pytest.fixture
def stripe_on(
    platform: Platform, live_server: LiveServer, stripe_api: StripeStandIn, monkeypatch: pytest.MonkeyPatch
) -> StripeStandIn:
    """The served platform's payments pointed at the stand-in (as STRIPE_* would), for one test."""
    monkeypatch.setattr(platform.payments, "settings", configured(stripe_api))
    return stripe_api


@pytest.fixture
def analytics(platform: Platform) -> Iterator[list[PlatformEvent]]:
    """The analytics events the platform publishes during the test."""
    seen: list[PlatformEvent] = []

    def hook(event: PlatformEvent) -> None:
        if event.channel == "analytics" and event.type.startswith("subscription_"):
            seen.append(event)

    platform.events.hooks.append(hook)
    yield seen
    platform.events.hooks.remove(hook)


def deliver(client: httpx.Client, event: dict[str, Any]) -> httpx.Response:
    """POSTs ``event`` as Stripe does: the exact bytes, with a fresh signature over them."""
    payload = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": stripe_signature(payload),
    }
    return client.post(WEBHOOK, content=payload, headers=headers)


def checkout(client: httpx.Client, account: Account, **body: Any) -> dict[str, Any]:
    r = client.post(CHECKOUT, json=body, headers=account.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def subscriptions(client: httpx.Client, account: Account, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/api/payments/subscriptions", params=params, headers=account.headers)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def paid_session(
    stripe_api: StripeStandIn, session_id: str, email: str, subscription_id: str | None
) -> dict[str, Any]:
    """What ``checkout.session.completed`` carries for a session the stand-in created."""
    return completed_session(stripe_api.sessions[session_id], email, subscription_id)


# -- checkout ---------------------------------------------------------------------------------------


def test_checkout_reaches_stripe_with_price_mode_urls_email_and_metadata(
    client: httpx.Client, stripe_on: StripeStandIn, alice: Account
) -> None:
    body = checkout(
        client,
        alice,
        price_id="price_team_yearly",
        mode="payment",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/back",
        customer_email="alice.billing@example.org",
        metadata={"package_id": "pkg-42", "user_id": "someone-else"},
    )
    assert (
        body["id"].startswith("cs_test_") and body["url"] == f"https://checkout.stripe.com/c/pay/{body['id']}"
    )
    sent = stripe_on.checkout_requests()[-1]
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.form["mode"] == "payment"
    assert (sent.form["line_items[0][price]"], sent.form["line_items[0][quantity]"]) == (
        "price_team_yearly",
        "1",
    )
    assert (sent.form["success_url"], sent.form["cancel_url"]) == (
        "https://shop.example/ok",
        "https://shop.example/back",
    )
    assert sent.form["customer_email"] == "alice.billing@example.org"
    # the caller's id, never one from the body, links what the webhook reports to the account
    assert sent.form["metadata[package_id]"] == "pkg-42"
    assert sent.form["metadata[user_id]"] == alice.id == sent.form["client_reference_id"]
    assert sent.form["payment_intent_data[metadata][user_id]"] == alice.id


def test_checkout_falls_back_to_the_stripe_settings(
    client: httpx.Client, stripe_on: StripeStandIn, alice: Account
) -> None:
    checkout(client, alice)
    sent = stripe_on.checkout_requests()[-1].form
    assert (sent["mode"], sent["line_items[0][price]"]) == ("subscription", PRICE)
    assert sent["success_url"] == "https://app.example/payments/success?session={CHECKOUT_SESSION_ID}"
    assert sent["cancel_url"] == "https://app.example/payments/cancel"
    assert sent["subscription_data[metadata][user_id]"] == alice.id
    assert sent["customer_email"].endswith("@example.org")  # the account's e-mail prefills the form


def test_checkout_without_a_price_is_400_naming_the_setting(
    client: httpx.Client, platform: Platform, stripe_on: StripeStandIn, alice: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(platform.payments, "settings", configured(stripe_on, price_id=None))
    before = len(stripe_on.requests)
    r = client.post(CHECKOUT, json={"mode": "subscription"}, headers=alice.headers)
    assert r.status_code == 400, r.text
    assert "STRIPE_PRICE_ID" in r.json()["detail"] and r.json()["field"] == "price_id"
    r = client.post(
        CHECKOUT, json={"price_id": PRICE, "success_url": "javascript:alert(1)"}, headers=alice.headers
    )
    assert r.status_code == 400 and r.json()["field"] == "success_url"
    r = client.post(CHECKOUT, json={"price_id": PRICE, "metadata": {"k" * 41: "v"}}, headers=alice.headers)
    assert r.status_code == 400 and r.json()["field"] == "metadata"
    assert len(stripe_on.requests) == before  # nothing reached Stripe


def test_checkout_needs_a_token(client: httpx.Client, stripe_on: StripeStandIn) -> None:
    assert client.post(CHECKOUT, json={}).status_code == 401


def test_stripe_refusals_reach_the_caller_without_the_key(
    client: httpx.Client, platform: Platform, stripe_on: StripeStandIn, alice: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    r = client.post(CHECKOUT, json={"price_id": UNKNOWN_PRICE}, headers=alice.headers)
    assert r.status_code == 400 and f"No such price: '{UNKNOWN_PRICE}'" in r.json()["detail"]
    monkeypatch.setattr(platform.payments, "settings", configured(stripe_on, api_key="sk_test_revoked"))
    r = client.post(CHECKOUT, json={}, headers=alice.headers)
    assert r.status_code == 503 and "STRIPE_API_KEY" in r.json()["detail"]
    assert "sk_test_revoked" not in r.text


def test_without_an_api_key_payments_answer_503_saying_what_to_set(
    client: httpx.Client, platform: Platform, live_server: LiveServer, alice: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(platform.payments, "settings", StripeSettings())
    r = client.post(CHECKOUT, json={"price_id": PRICE}, headers=alice.headers)
    assert r.status_code == 503 and "STRIPE_API_KEY" in r.json()["detail"]
    r = deliver(client, stripe_event("checkout.session.completed", {"id": "cs_x"}))
    assert r.status_code == 503 and "STRIPE_API_KEY" in r.json()["detail"]
    monkeypatch.setattr(platform.payments, "settings", StripeSettings(api_key=SecretStr(API_KEY)))
    r = deliver(client, stripe_event("checkout.session.completed", {"id": "cs_x"}))
    assert r.status_code == 503
    assert "STRIPE_WEBHOOK_SECRET" in r.json()["detail"] and "STRIPE_API_KEY" not in r.json()["detail"]


# -- webhook ----------------------------------------------------------------------------------------


def test_a_completed_checkout_delivered_twice_creates_one_subscription(
    client: httpx.Client, platform: Platform, stripe_on: StripeStandIn, alice: Account, admin: Account,
    analytics: list[PlatformEvent],
) -> None:  # fmt: skip
    session_id = checkout(client, alice)["id"]
    subscription_id = f"sub_{uuid.uuid4().hex[:14]}"
    event = stripe_event(
        "checkout.session.completed",
        paid_session(stripe_on, session_id, "alice@pay.example", subscription_id),
    )
    first = deliver(client, event)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": True, "duplicate": False, "event_type": "checkout.session.completed"}
    again = deliver(client, event)  # Stripe retries a delivery it did not see acknowledged
    assert again.status_code == 200 and again.json()["duplicate"] is True

    rows = subscriptions(client, alice)
    assert len(rows) == 1
    row = rows[0]
    assert (row["user_id"], row["status"], row["plan"], row["final_price"], row["currency"]) == (
        alice.id, "active", PRICE, 19.99, "usd",
    )  # fmt: skip
    assert (row["stripe_checkout_session_id"], row["stripe_subscription_id"]) == (session_id, subscription_id)
    assert (
        row["customer_email"] == stripe_on.sessions[session_id]["customer_email"]
        and row["start_date"]
        and row["mode"] == "subscription"
    )

    assert [(e.type, e.owner) for e in analytics] == [("subscription_created", alice.id)]
    assert analytics[0].data == {"subscription_id": row["id"], "user_id": alice.id, "plan": PRICE,
                                 "created_at": analytics[0].data["created_at"]}  # fmt: skip
    mine = client.get("/api/notifications", headers=alice.headers).json()["data"]
    assert [(n["notification_type"], n["severity"]) for n in mine] == [("payment_received", "success")]
    assert "19.99 USD" in mine[0]["message"]
    admins = [n for n in platform.notifications.list(admin.id, limit=200)
              if n.metadata.get("subscription_id") == row["id"]]  # fmt: skip
    assert [n.notification_type for n in admins] == ["payment_received"]
    assert platform.payments.revenue(
        datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1), alice.id
    ) == Decimal("19.99")


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(None, id="unsigned"),
        pytest.param("wrong-secret", id="forged"),
        pytest.param("stale", id="replayed-too-late"),
        pytest.param("t=garbage,v1=zz", id="malformed"),
        pytest.param("tampered", id="body-changed-after-signing"),
    ],
)
def test_unsigned_forged_and_stale_webhooks_are_400_and_change_nothing(
    client: httpx.Client, stripe_on: StripeStandIn, alice: Account, analytics: list[PlatformEvent],
    signature: str | None,
) -> None:  # fmt: skip
    session_id = checkout(client, alice)["id"]
    event = stripe_event(
        "checkout.session.completed", paid_session(stripe_on, session_id, "alice@pay.example", None)
    )
    payload = json.dumps(event, separators=(",", ":")).encode()
    header = {
        None: None,
        "wrong-secret": stripe_signature(payload, secret="whsec_someone_else"),
        "stale": stripe_signature(payload, timestamp=int(time.time()) - TOLERANCE_S - 5),
        "t=garbage,v1=zz": "t=garbage,v1=zz",
        "tampered": stripe_signature(payload.replace(b'"amount_total":1999', b'"amount_total":1')),
    }[signature]
    headers = {"Content-Type": "application/json"} | ({"Stripe-Signature": header} if header else {})
    r = client.post(WEBHOOK, content=payload, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "Stripe-Signature" and "Stripe-Signature" in r.json()["detail"]
    assert subscriptions(client, alice) == [] and analytics == []
    # not even the event id was remembered: the genuine delivery of the same event still counts
    ok = deliver(client, event)
    assert ok.status_code == 200 and ok.json()["duplicate"] is False
    assert [s["stripe_checkout_session_id"] for s in subscriptions(client, alice)] == [session_id]


def test_subscription_updates_and_cancellation_change_the_row(
    client: httpx.Client, stripe_on: StripeStandIn, alice: Account, analytics: list[PlatformEvent]
) -> None:
    session_id = checkout(client, alice)["id"]
    sub_id = f"sub_{uuid.uuid4().hex[:14]}"
    now = int(time.time())
    paid = paid_session(stripe_on, session_id, "alice@pay.example", sub_id)
    assert deliver(client, stripe_event("checkout.session.completed", paid, created=now)).status_code == 200

    upgraded = subscription_object(sub_id, "past_due", "price_pro_yearly", alice.id)
    r = deliver(client, stripe_event("customer.subscription.updated", upgraded, created=now + 10))
    assert r.status_code == 200 and r.json()["duplicate"] is False
    row = subscriptions(client, alice)[0]
    assert (row["status"], row["plan"], row["final_price"]) == ("past_due", "price_pro_yearly", 19.99)
    assert row["end_date"] is not None  # the current period's end

    # an older event that arrives late (Stripe keeps no order) changes nothing
    older = subscription_object(sub_id, "active", PRICE, alice.id)
    assert (
        deliver(client, stripe_event("customer.subscription.updated", older, created=now + 5)).status_code
        == 200
    )
    assert subscriptions(client, alice)[0]["status"] == "past_due"

    ended = subscription_object(sub_id, "canceled", "price_pro_yearly", alice.id, ended_at=now + 20)
    assert (
        deliver(client, stripe_event("customer.subscription.deleted", ended, created=now + 20)).status_code
        == 200
    )
    rows = subscriptions(client, alice)
    assert len(rows) == 1 and rows[0]["status"] == "canceled"
    assert datetime.fromisoformat(rows[0]["end_date"]) == datetime.fromtimestamp(now + 20, UTC)

    assert [e.type for e in analytics] == [
        "subscription_created",
        "subscription_updated",
        "subscription_updated",
    ]
    assert set(analytics[1].data) == {"subscription_id", "user_id", "plan", "updated_at"}
    assert analytics[1].data["plan"] == "price_pro_yearly" and analytics[1].owner == alice.id
    kinds = [
        n["notification_type"] for n in client.get("/api/notifications", headers=alice.headers).json()["data"]
    ]
    assert kinds == ["subscription_canceled", "subscription_updated", "payment_received"]


def test_an_update_before_the_checkout_is_kept_and_the_checkout_completes_it(
    client: httpx.Client, stripe_on: StripeStandIn, alice: Account, analytics: list[PlatformEvent]
) -> None:
    session_id = checkout(client, alice)["id"]
    sub_id = f"sub_{uuid.uuid4().hex[:14]}"
    now = int(time.time())
    early = subscription_object(sub_id, "active", PRICE, alice.id)
    assert (
        deliver(client, stripe_event("customer.subscription.updated", early, created=now)).status_code == 200
    )
    paid = paid_session(stripe_on, session_id, "alice@pay.example", sub_id)
    assert deliver(client, stripe_event("checkout.session.completed", paid, created=now)).status_code == 200
    rows = subscriptions(client, alice)
    assert len(rows) == 1
    assert (rows[0]["status"], rows[0]["stripe_checkout_session_id"], rows[0]["final_price"]) == (
        "active", session_id, 19.99,
    )  # fmt: skip
    assert [e.type for e in analytics] == ["subscription_created", "subscription_updated"]


def test_other_event_types_are_acknowledged_once(
    client: httpx.Client, stripe_on: StripeStandIn, alice: Account, analytics: list[PlatformEvent]
) -> None:
    event = stripe_event("invoice.paid", {"id": f"in_{uuid.uuid4().hex[:14]}", "object": "invoice"})
    first, again = deliver(client, event), deliver(client, event)
    assert first.json() == {"received": True, "duplicate": False, "event_type": "invoice.paid"}
    assert again.json()["duplicate"] is True and analytics == []


def test_a_body_that_is_not_a_stripe_event_is_400_and_a_huge_one_413(
    client: httpx.Client, stripe_on: StripeStandIn
) -> None:
    payload = b'{"hello": "world"}'
    r = client.post(WEBHOOK, content=payload, headers={"Stripe-Signature": stripe_signature(payload)})
    assert r.status_code == 400 and r.json()["field"] == "body"
    huge = json.dumps({"object": "event", "pad": "x" * 300_000}).encode()
    r = client.post(WEBHOOK, content=huge, headers={"Stripe-Signature": stripe_signature(huge)})
    assert r.status_code == 413


# -- who sees what ----------------------------------------------------------------------------------


def test_users_see_only_their_own_subscriptions_and_admins_see_all(
    client: httpx.Client, stripe_on: StripeStandIn, alice: Account, bob: Account, admin: Account
) -> None:
    session_id = checkout(client, alice)["id"]
    paid = paid_session(stripe_on, session_id, "alice@pay.example", None)
    assert deliver(client, stripe_event("checkout.session.completed", paid)).status_code == 200
    assert [s["stripe_checkout_session_id"] for s in subscriptions(client, alice)] == [session_id]
    assert subscriptions(client, bob) == []
    r = client.get("/api/payments/subscriptions", params={"user_id": alice.id}, headers=bob.headers)
    assert r.status_code == 403
    theirs = subscriptions(client, admin, user_id=alice.id)
    assert [s["stripe_checkout_session_id"] for s in theirs] == [session_id]
    assert session_id in {s["stripe_checkout_session_id"] for s in subscriptions(client, admin, limit=200)}
    assert client.get("/api/payments/subscriptions").status_code == 401


def test_concurrent_redeliveries_are_processed_once(
    client: httpx.Client, live_server: LiveServer, stripe_on: StripeStandIn, alice: Account,
    analytics: list[PlatformEvent],
) -> None:  # fmt: skip
    session_id = checkout(client, alice)["id"]
    event = stripe_event(
        "checkout.session.completed", paid_session(stripe_on, session_id, "a@b.example", None)
    )

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_server.url, timeout=60) as own:
            return deliver(own, event)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(post, range(4)))
    assert [r.status_code for r in answers] == [200] * 4
    assert sorted(r.json()["duplicate"] for r in answers) == [False, True, True, True]
    assert len(subscriptions(client, alice)) == 1 and [e.type for e in analytics] == ["subscription_created"]


# -- the analytics socket, end to end ---------------------------------------------------------------


def test_a_recorded_subscription_reaches_its_owner_and_admins_live_and_no_one_else(
    client: httpx.Client, live_server: LiveServer, stripe_on: StripeStandIn, alice: Account, bob: Account,
    admin: Account,
) -> None:  # fmt: skip
    from agents_support import exchange, next_of, ws_url
    from websockets.sync.client import connect

    path = "/api/ws/analytics"
    with (
        connect(ws_url(live_server, path, alice.token)) as mine,
        connect(ws_url(live_server, path, admin.token)) as admins,
        connect(ws_url(live_server, path, bob.token)) as other,
    ):
        for ws in (mine, admins, other):
            assert exchange(ws, {"type": "ping"}) == {"type": "pong"}
        session_id = checkout(client, alice)["id"]
        subscription_id = f"sub_{uuid.uuid4().hex[:14]}"
        paid = paid_session(stripe_on, session_id, "alice@pay.example", subscription_id)
        assert deliver(client, stripe_event("checkout.session.completed", paid)).status_code == 200
        for ws in (mine, admins):
            created = next_of(ws, lambda m: m["type"] == "subscription_created")
            assert created["data"]["user_id"] == alice.id and created["data"]["plan"] == PRICE
        changed = subscription_object(subscription_id, "past_due", PRICE, alice.id)
        assert deliver(client, stripe_event("customer.subscription.updated", changed)).status_code == 200
        updated = next_of(mine, lambda m: m["type"] == "subscription_updated")
        assert updated["data"]["subscription_id"] == created["data"]["subscription_id"]
        assert set(updated["data"]) == {"subscription_id", "user_id", "plan", "updated_at"}
        assert exchange(other, {"type": "ping"}) == {"type": "pong"}  # Bob was sent nothing of Alice's
