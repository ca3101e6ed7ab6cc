"""/api/v1/auth (API 05): the whole OAuth/OIDC redirect chain against a real provider on
127.0.0.1, the whitelist, and the cookie session (me, refresh, logout)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

if TYPE_CHECKING:
    from serve_support import LiveServer

    from conftest import FakeProvider, SignedIn

FRONTEND = "https://app.example/welcome"


def follow_to_frontend(c: httpx.Client, url: str) -> tuple[httpx.Response, list[str]]:
    """Follows redirects across the API and the provider until one leaves for the frontend."""
    r, hops = c.get(url), [url]
    while r.status_code == 302 and not r.headers["location"].startswith(FRONTEND):
        hops.append(urljoin(str(r.url), r.headers["location"]))
        r = c.get(hops[-1])
    return r, hops


def test_login_redirects_to_the_provider_with_state_nonce_and_pkce(
    oauth_server: LiveServer, oidc_provider: FakeProvider
) -> None:
    r = httpx.get(f"{oauth_server.url}/api/v1/auth/testidp/login")
    assert r.status_code == 302
    target = urlsplit(r.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{oidc_provider.url}/authorize"
    query = parse_qs(target.query)
    assert query["client_id"] == [oidc_provider.client_id]
    assert query["redirect_uri"] == [f"{oauth_server.url}/api/v1/auth/testidp/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["nonce"][0] and "openid" in query["scope"][0]
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("oauth_state=") and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()


def test_the_whole_sign_in_chain_ends_with_me(oauth_server: LiveServer, oidc_provider: FakeProvider) -> None:
    oidc_provider.account = {"sub": "ada-1", "email": "Ada@uni.example", "name": "Ada Lovelace"}
    with httpx.Client(base_url=oauth_server.url, timeout=30) as c:
        r, hops = follow_to_frontend(c, "/api/v1/auth/testidp/login")
        assert r.status_code == 302, r.text
        assert [urlsplit(h).path for h in hops[1:]] == [
            "/authorize",
            "/api/v1/auth/testidp/callback",
            "/api/v1/auth/login-success-redirect",
        ]
        landing = urlsplit(r.headers["location"])
        assert landing.netloc == "app.example" and landing.path == "/welcome"
        query = parse_qs(landing.query)
        assert query["from"] == ["oauth"]
        token = query["token"][0]

        assert c.get("/api/v1/auth/me").status_code == 401  # no cookie yet
        r = c.get("/api/v1/auth/validate-token", params={"token": token})
        assert r.status_code == 200, r.text
        assert r.json()["email"] == "ada@uni.example" and r.json()["full_name"] == "Ada Lovelace"
        cookies = r.headers.get_list("set-cookie")
        assert any(h.startswith("access_token=") and "HttpOnly" in h for h in cookies)
        assert any(h.startswith("refresh_token=") and "HttpOnly" in h for h in cookies)
        assert c.get("/api/v1/auth/validate-token", params={"token": token}).status_code == 401  # used once

        me = c.get("/api/v1/auth/me")
        assert me.status_code == 200
        assert me.json()["email"] == "ada@uni.example" and me.json()["role"] == "user"

        refreshed = c.post("/api/v1/auth/refresh")
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["user"]["id"] == me.json()["id"]
        assert refreshed.headers["set-cookie"].startswith("access_token=")

        assert c.post("/api/v1/auth/logout").status_code == 200
        assert c.get("/api/v1/auth/me").status_code == 401
        assert c.post("/api/v1/auth/refresh").status_code == 401
        assert c.post("/api/v1/auth/logout").status_code == 200  # idempotent


def test_a_domain_entry_admits_and_userinfo_supplies_a_missing_email(
    oauth_server: LiveServer, oidc_provider: FakeProvider
) -> None:
    oidc_provider.account = {"sub": "grace-1", "email": "grace@staff.example", "name": "Grace"}
    oidc_provider.id_token_has_email = False
    try:
        with httpx.Client(base_url=oauth_server.url, timeout=30) as c:
            r, _ = follow_to_frontend(c, "/api/v1/auth/testidp/login")
            token = parse_qs(urlsplit(r.headers["location"]).query)["token"][0]
            assert (
                c.get("/api/v1/auth/validate-token", params={"token": token}).json()["email"]
                == "grace@staff.example"
            )
    finally:
        oidc_provider.id_token_has_email = True


def test_an_email_off_the_whitelist_is_refused(oauth_server: LiveServer, oidc_provider: FakeProvider) -> None:
    oidc_provider.account = {"sub": "eve-1", "email": "eve@elsewhere.example"}
    with httpx.Client(base_url=oauth_server.url, timeout=30) as c:
        r, hops = follow_to_frontend(c, "/api/v1/auth/testidp/login")
    assert urlsplit(hops[-1]).path == "/api/v1/auth/testidp/callback"
    assert r.status_code == 403
    assert "eve@elsewhere.example" in r.json()["detail"] and "AUTH__EMAIL_WHITELIST" in r.json()["detail"]


def test_a_callback_that_does_not_match_the_browsers_sign_in_is_refused(oauth_server: LiveServer) -> None:
    with httpx.Client(base_url=oauth_server.url, timeout=30) as c:
        c.get("/api/v1/auth/testidp/login")  # sets the state cookie
        r = c.get("/api/v1/auth/testidp/callback", params={"code": "x", "state": "forged"})
        assert r.status_code == 400 and "state" in r.json()["detail"]
        r = c.get("/api/v1/auth/testidp/callback", params={"error": "access_denied"})
        assert r.status_code == 400 and "access_denied" in r.json()["detail"]
    r = httpx.get(f"{oauth_server.url}/api/v1/auth/testidp/callback", params={"code": "x", "state": "y"})
    assert r.status_code == 400 and "cookie" in r.json()["detail"]


def test_unknown_and_unconfigured_providers(oauth_server: LiveServer, client: httpx.Client) -> None:
    r = httpx.get(f"{oauth_server.url}/api/v1/auth/github/login")
    assert r.status_code == 404 and "testidp" in r.json()["detail"]
    r = client.get("/api/v1/auth/google/login")  # the default app has no client id
    assert r.status_code == 404 and "AUTH__OAUTH_CLIENT_ID" in r.json()["detail"]


def test_bad_temporary_tokens_are_refused(client: httpx.Client) -> None:
    assert client.get("/api/v1/auth/validate-token", params={"token": "nope"}).status_code == 401
    assert client.get("/api/v1/auth/login-success-redirect", params={"token": "nope"}).status_code == 401
    assert client.get("/api/v1/auth/validate-token").status_code == 422


def test_me_takes_a_bearer_token_and_refuses_none(client: httpx.Client, alice: SignedIn) -> None:
    assert client.get("/api/v1/auth/me").status_code == 401
    r = client.get("/api/v1/auth/me", headers=alice.headers)
    assert r.status_code == 200 and r.json()["email"] == alice.user.username
