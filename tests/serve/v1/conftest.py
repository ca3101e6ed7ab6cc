"""Fixtures for API 05's REST routes: signed-in users, and a real OpenID Connect provider on
127.0.0.1 (discovery, authorize, token, userinfo, JWKS) for the sign-in flow."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Header, HTTPException, Query
from fastapi.responses import RedirectResponse
from pydantic import SecretStr
from serve_support import LiveServer

if TYPE_CHECKING:
    from ragplatform.content.base import User
    from ragplatform.factory import Platform


@dataclass
class SignedIn:
    user: User
    headers: dict[str, str]


def sign_in(platform: Platform, email: str) -> SignedIn:
    from ragplatform.errors import NotFound
    from ragserve.auth import create_token

    try:
        user = platform.content.get_user_by_username(email)
    except NotFound:
        user = platform.content.create_user(email, None, full_name=email.split("@")[0])
    token, _ = create_token(platform, user)
    return SignedIn(user, {"Authorization": f"Bearer {token}"})


@pytest.fixture
def alice(platform: Platform) -> SignedIn:
    return sign_in(platform, f"alice-{uuid.uuid4().hex[:8]}@example.com")


@pytest.fixture
def bob(platform: Platform) -> SignedIn:
    return sign_in(platform, f"bob-{uuid.uuid4().hex[:8]}@example.com")


# -- a small OpenID Connect provider ------------------------------------------------


@dataclass
class FakeProvider:
    """Auto-approves every authorization request as ``account`` (set it in the test)."""

    client_id: str = "ragplatform-test-client"
    client_secret: str = "test-client-secret"
    account: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = "test-key-1"
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    id_token_has_email: bool = True

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "userinfo_endpoint": f"{self.url}/userinfo",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

        @app.get("/authorize")
        def authorize(
            client_id: str,
            redirect_uri: str,
            state: str,
            nonce: str,
            code_challenge: str,
            response_type: str = Query(),
            code_challenge_method: str = Query(),
        ) -> RedirectResponse:
            if client_id != self.client_id or response_type != "code" or code_challenge_method != "S256":
                raise HTTPException(400, "bad authorization request")
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": nonce,
                "challenge": code_challenge,
                "redirect_uri": redirect_uri,
                "account": dict(self.account),
            }
            return RedirectResponse(
                f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=302
            )

        @app.post("/token")
        def token(
            grant_type: Annotated[str, Form()],
            code: Annotated[str, Form()],
            redirect_uri: Annotated[str, Form()],
            client_id: Annotated[str, Form()],
            client_secret: Annotated[str, Form()],
            code_verifier: Annotated[str, Form()],
        ) -> dict[str, Any]:
            grant = self.codes.pop(code, None)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=")
            if (
                grant is None
                or grant_type != "authorization_code"
                or redirect_uri != grant["redirect_uri"]
                or (client_id, client_secret) != (self.client_id, self.client_secret)
                or challenge.decode() != grant["challenge"]
            ):
                raise HTTPException(400, detail={"error": "invalid_grant"})
            account = grant["account"]
            now = int(time.time())
            claims = {
                "iss": self.url,
                "aud": self.client_id,
                "sub": account["sub"],
                "iat": now,
                "exp": now + 300,
                "nonce": grant["nonce"],
                "name": account.get("name", ""),
            }
            if self.id_token_has_email:
                claims |= {"email": account["email"], "email_verified": account.get("email_verified", True)}
            access = secrets.token_urlsafe(16)
            self.access_tokens[access] = account
            id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
            return {"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": id_token}

        @app.get("/userinfo")
        def userinfo(authorization: Annotated[str, Header()]) -> dict[str, Any]:
            account = self.access_tokens.get(authorization.removeprefix("Bearer "))
            if account is None:
                raise HTTPException(401)
            return {
                "sub": account["sub"],
                "email": account["email"],
                "email_verified": True,
                "name": account.get("name"),
            }

        return app


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[FakeProvider]:
    provider = FakeProvider()
    server = LiveServer(provider.app())
    provider.url = server.url
    with server:
        yield provider


@pytest.fixture(scope="module")
def oauth_server(platform: Platform, oidc_provider: FakeProvider) -> Iterator[LiveServer]:
    """The API configured to sign in with the test provider (a copy of the platform with other auth
    settings), allowing one whitelisted email and one domain."""
    import dataclasses

    from ragserve.main import create_app

    server = LiveServer(None)  # its URL is the redirect_uri's base, needed before the app is built
    auth = platform.settings.auth.model_copy(
        update={
            "oauth_provider": "testidp",
            "oauth_client_id": oidc_provider.client_id,
            "oauth_client_secret": SecretStr(oidc_provider.client_secret),
            "oauth_discovery_url": f"{oidc_provider.url}/.well-known/openid-configuration",
            "public_base_url": server.url,
            "frontend_url": "https://app.example/welcome?from=oauth",
            "email_whitelist": ["ada@uni.example", "@staff.example"],
        }
    )
    configured = dataclasses.replace(platform, settings=platform.settings.model_copy(update={"auth": auth}))
    server.server.config.app = create_app(platform=configured)  # read when the server starts
    with server:
        yield server
    # The copy shares the platform's serving index, whose watcher its shutdown stopped.
    platform.serving.watch(platform.settings.serve.watch_interval_s)
