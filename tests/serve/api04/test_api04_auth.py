"""POST /api/signup, POST /api/login, GET /api/session_id and GET /api/ against the live server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from api04_support import Account


def test_signup_then_login_returns_a_bearer_token_that_works(client: httpx.Client) -> None:
    email = f"Carla-{uuid.uuid4().hex[:8]}@Example.org"
    r = client.post("/api/signup", json={"email": email, "password": "longenough1", "name": "Carla"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["message"]
    assert body["user"]["email"] == email.lower()
    assert body["user"]["name"] == "Carla"
    assert body["user"]["role"] == "user"
    assert "password" not in str(body)

    r = client.post("/api/login", json={"email": email.upper(), "password": "longenough1"})
    assert r.status_code == 200, r.text
    login = r.json()
    assert login["token_type"] == "bearer"
    assert login["user"]["id"] == body["user"]["id"]
    assert datetime.fromisoformat(login["expires_at"]) > datetime.now(UTC)

    r = client.get("/api/session_id", headers={"Authorization": f"Bearer {login['access_token']}"})
    assert r.status_code == 200
    assert uuid.UUID(r.json()["session_id"]).version == 4


def test_signup_refuses_a_taken_email_whatever_its_case(client: httpx.Client, alice: Account) -> None:
    r = client.post(
        "/api/signup", json={"email": alice.email.upper(), "password": "another-password", "name": "Mallory"}
    )
    assert r.status_code == 409
    assert "exists" in r.json()["detail"]


def test_signup_validates_email_and_password_length(client: httpx.Client) -> None:
    short = client.post(
        "/api/signup",
        json={"email": f"s-{uuid.uuid4().hex[:6]}@example.org", "password": "short", "name": "S"},
    )
    assert short.status_code == 422
    assert "8" in str(short.json()["detail"])
    bad = client.post("/api/signup", json={"email": "not-an-email", "password": "longenough1", "name": "S"})
    assert bad.status_code == 422
    assert "email" in str(bad.json()["detail"])


def test_login_says_the_same_for_a_wrong_password_and_an_unknown_email(
    client: httpx.Client, alice: Account
) -> None:
    wrong = client.post("/api/login", json={"email": alice.email, "password": "wrong password"})
    unknown = client.post("/api/login", json={"email": "nobody@example.org", "password": "whatever12"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "invalid email or password"}


def test_session_id_needs_a_token(client: httpx.Client) -> None:
    assert client.get("/api/session_id").status_code == 401
    assert client.get("/api/session_id", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_api_root_reports_every_engine_and_redis(client: httpx.Client) -> None:
    r = client.get("/api/")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy"
    assert all(e["status"] == "healthy" for e in body["engines"].values())
    assert body["redis"] == {
        "configured": False,
        "status": "not configured",
        "detail": "chat history is kept in the session store",
    }
