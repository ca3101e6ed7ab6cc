"""A stand-in for Stripe at the network boundary: a real HTTP server on 127.0.0.1 that answers
``POST /v1/checkout/sessions`` as Stripe's API does (form-encoded request, JSON Checkout Session or
Stripe error), and records each request; plus webhook payloads signed exactly as Stripe signs them.

The platform talks to it through the real ``stripe`` library (``STRIPE_API_BASE``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

API_KEY = "sk_test_standin_0123456789"
WEBHOOK_SECRET = "whsec_standin_0123456789abcdef"
UNKNOWN_PRICE = "price_does_not_exist"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    form: dict[str, str]  # Stripe's bracketed names, e.g. "line_items[0][price]"


@dataclass
class StripeStandIn:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id, as created

    def checkout_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v1/checkout/sessions"]


def _stripe_error(status: int, kind: str, message: str, **extra: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"type": kind, "message": message, **extra}}


def _checkout_session(form: dict[str, str]) -> dict[str, Any]:
    session_id = f"cs_test_{uuid.uuid4().hex}"
    return {
        "id": session_id,
        "object": "checkout.session",
        "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        "mode": form.get("mode"),
        "status": "open",
        "payment_status": "unpaid",
        "success_url": form.get("success_url"),
        "cancel_url": form.get("cancel_url"),
        "customer_email": form.get("customer_email"),
        "client_reference_id": form.get("client_reference_id"),
        "metadata": {k[len("metadata[") : -1]: v for k, v in form.items() if k.startswith("metadata[")},
        "amount_total": 1999,
        "currency": "usd",
        "livemode": False,
        "created": int(time.time()),
    }


def make_handler(standin: StripeStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            standin.requests.append(Recorded(self.path, dict(self.headers.items()), form))
            status, body = self.answer(form)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def answer(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
            if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                return _stripe_error(401, "invalid_request_error", "Invalid API Key provided: sk_****")
            if self.path != "/v1/checkout/sessions":
                return _stripe_error(
                    404, "invalid_request_error", f"Unrecognized request URL (POST: {self.path})"
                )
            price = form.get("line_items[0][price]")
            if price == UNKNOWN_PRICE:
                return _stripe_error(
                    400,
                    "invalid_request_error",
                    f"No such price: '{price}'",
                    param="line_items[0][price]",
                    code="resource_missing",
                )
            session = _checkout_session(form)
            standin.sessions[session["id"]] = session
            return 200, session

    return Handler


class StandInServer:
    def __init__(self) -> None:
        self.standin = StripeStandIn()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.standin))
        self.server.daemon_threads = True
        self.standin.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StripeStandIn:
        self.thread.start()
        return self.standin

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


# -- webhooks, as Stripe sends them ------------------------------------------------------------------


def stripe_signature(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>" under the endpoint's secret>``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def stripe_event(event_type: str, obj: dict[str, Any], created: int | None = None) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def completed_session(session: dict[str, Any], email: str, subscription_id: str | None) -> dict[str, Any]:
    """The Checkout Session ``session`` as ``checkout.session.completed`` carries it once paid by
    ``email`` (a ``customer_email`` the session was created with is the one the buyer could not change)."""
    return {
        **session,
        "status": "complete",
        "payment_status": "paid",
        "customer": f"cus_{uuid.uuid4().hex[:14]}",
        "customer_details": {"email": session.get("customer_email") or email, "name": "Test Buyer"},
        "subscription": subscription_id,
    }


def subscription_object(
    subscription_id: str, status: str, price_id: str, user_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    now = int(time.time())
    return {
        "id": subscription_id,
        "object": "subscription",
        "status": status,
        "customer": f"cus_{uuid.uuid4().hex[:14]}",
        "start_date": now - 60,
        "created": now - 60,
        "cancel_at": None,
        "canceled_at": None,
        "ended_at": None,
        "metadata": {"user_id": user_id} if user_id else {},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{uuid.uuid4().hex[:14]}",
                    "object": "subscription_item",
                    "current_period_end": now + 30 * 24 * 3600,
                    "quantity": 1,
                    "price": {"id": price_id, "object": "price", "unit_amount": 1999, "currency": "usd"},
                }
            ],
        },
        **fields,
    }
