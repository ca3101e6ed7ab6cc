"""OpenID Connect sign-in (authorization code flow with PKCE) for ``/api/v1/auth`` (API 05).

The provider is found through its discovery document (Google's by default); the
``id_token`` from the token endpoint is verified against the provider's JWKS
(signature, issuer, audience, expiry, nonce). Nothing is kept server-side between
the login redirect and the callback: ``state``, ``nonce`` and the PKCE verifier
travel in a short-lived signed cookie. After the callback the browser carries a
one-time temporary token (two minutes) that ``/validate-token`` trades for the
access and refresh cookies.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import jwt

from ragplatform.accounts.active import active_user
from ragplatform.content.base import User
from ragplatform.errors import (
    BackendUnavailable,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthorized,
)
from ragplatform.settings import AuthSettings

if TYPE_CHECKING:
    from ragplatform.factory import Platform

STATE_COOKIE = "oauth_state"
STATE_TTL_S = 600
TEMP_TOKEN_TTL_S = 120
DISCOVERY_TTL_S = 3600
HTTP_TIMEOUT_S = 10.0
ALGORITHM = "HS256"


class ProviderRefused(InvalidInput):
    """The provider refused the sign-in or the callback's parameters do not match (HTTP 400)."""


@dataclass(frozen=True)
class OidcIdentity:
    email: str
    name: str
    subject: str


def callback_url(auth: AuthSettings, provider: str) -> str:
    return f"{auth.public_base_url.rstrip('/')}/api/v1/auth/{provider}/callback"


def check_provider(auth: AuthSettings, provider: str) -> None:
    """Raises NotFound for a provider this server does not use or has not been set up for
    (a 4xx: nothing is broken, the sign-in simply does not exist here yet)."""
    if provider != auth.oauth_provider:
        raise NotFound(
            f"unknown sign-in provider {provider!r}; this server signs in with {auth.oauth_provider!r}"
        )
    if not auth.oauth_client_id or auth.oauth_client_secret is None:
        raise NotFound(
            f"sign-in with {provider!r} is not configured: set AUTH__OAUTH_CLIENT_ID and "
            "AUTH__OAUTH_CLIENT_SECRET (and AUTH__OAUTH_DISCOVERY_URL for a provider other than Google)"
        )


# -- provider metadata -----------------------------------------------------------


class MetadataCache:
    """The providers' discovery documents and JWKS, fetched at most every DISCOVERY_TTL_S. One per
    app (``app.state.oidc_cache``), not per module: a cache, nothing replicas need to share."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, url: str, what: str, refresh: bool = False) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(url)
        if hit is not None and not refresh and now - hit[0] < DISCOVERY_TTL_S:
            return hit[1]
        body = _get_json(url, what)
        with self._lock:
            self._entries[url] = (now, body)
        return body


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        r = httpx.get(url, timeout=HTTP_TIMEOUT_S)
        r.raise_for_status()
        body: dict[str, Any] = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise BackendUnavailable(f"cannot read the sign-in provider's {what} at {url}: {exc}") from exc
    return body


def discovery(auth: AuthSettings, cache: MetadataCache) -> dict[str, Any]:
    doc = cache.get(auth.oauth_discovery_url, "discovery document")
    missing = [
        k for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri") if not doc.get(k)
    ]
    if missing:
        raise BackendUnavailable(
            f"the discovery document at {auth.oauth_discovery_url} lacks {', '.join(missing)}"
        )
    return doc


# -- login redirect ---------------------------------------------------------------


def _sign(platform: Platform, claims: dict[str, Any], ttl_s: int) -> str:
    now = int(time.time())
    payload = {**claims, "iat": now, "exp": now + ttl_s}
    return jwt.encode(payload, platform.settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def _verify(platform: Platform, token: str, kind: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            platform.settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "type"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized(f"the {kind} has expired: sign in again") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid {kind}") from exc
    return claims


def authorization_redirect(platform: Platform, cache: MetadataCache, provider: str) -> tuple[str, str]:
    """The provider's authorization URL and the signed state cookie value to set with it."""
    auth = platform.settings.auth
    doc = discovery(auth, cache)
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": auth.oauth_client_id,
        "redirect_uri": callback_url(auth, provider),
        "scope": "openid email profile",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "prompt": "select_account",
    }
    cookie = _sign(
        platform,
        {"type": "oauth_state", "provider": provider, "state": state, "nonce": nonce, "verifier": verifier},
        STATE_TTL_S,
    )
    endpoint = str(doc["authorization_endpoint"])
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}", cookie


# -- callback ---------------------------------------------------------------------


def _read_state(platform: Platform, provider: str, cookie: str | None, state: str | None) -> dict[str, Any]:
    again = f"start again at /api/v1/auth/{provider}/login"
    if not cookie:
        raise ProviderRefused(f"the sign-in state cookie is missing or expired: {again}")
    try:
        claims = _verify(platform, cookie, "sign-in state")
    except Unauthorized as exc:
        raise ProviderRefused(f"{exc.message}; {again}") from None
    if claims.get("type") != "oauth_state" or claims.get("provider") != provider:
        raise ProviderRefused(f"the sign-in state belongs to another flow: {again}")
    if not state or not secrets.compare_digest(str(claims.get("state", "")), state):
        raise ProviderRefused(f"the state parameter does not match this browser's sign-in: {again}")
    return claims


def _exchange(
    auth: AuthSettings, doc: dict[str, Any], provider: str, code: str, verifier: str
) -> dict[str, Any]:
    secret = auth.oauth_client_secret.get_secret_value() if auth.oauth_client_secret else ""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback_url(auth, provider),
        "client_id": auth.oauth_client_id or "",
        "client_secret": secret,
        "code_verifier": verifier,
    }
    try:
        r = httpx.post(
            str(doc["token_endpoint"]),
            data=form,
            timeout=HTTP_TIMEOUT_S,
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise BackendUnavailable(f"cannot reach the sign-in provider's token endpoint: {exc}") from exc
    if 400 <= r.status_code < 500:
        reason = (
            r.json().get("error", r.status_code)
            if "json" in r.headers.get("content-type", "")
            else r.status_code
        )
        raise ProviderRefused(
            f"the sign-in provider refused the authorization code ({reason}); sign in again"
        )
    if r.status_code >= 500:
        raise BackendUnavailable(f"the sign-in provider's token endpoint answered {r.status_code}")
    body: dict[str, Any] = r.json()
    return body


def _id_claims(
    auth: AuthSettings, cache: MetadataCache, doc: dict[str, Any], id_token: str, nonce: str
) -> dict[str, Any]:
    """Verifies the id_token's signature (JWKS), issuer, audience, expiry and nonce."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise ProviderRefused(f"the provider's id_token is malformed: {exc}") from exc
    kid = header.get("kid")
    algorithms = list(doc.get("id_token_signing_alg_values_supported") or ["RS256"])
    key = None
    for refresh in (False, True):  # a key rotated since the last fetch: fetch the JWKS once more
        jwks = jwt.PyJWKSet.from_dict(cache.get(str(doc["jwks_uri"]), "JWKS", refresh=refresh))
        key = next((k for k in jwks.keys if kid is None or k.key_id == kid), None)
        if key is not None:
            break
    if key is None:
        raise ProviderRefused(f"the id_token's signing key {kid!r} is not in the provider's JWKS")
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=[a for a in algorithms if a != "none"],
            audience=auth.oauth_client_id,
            issuer=str(doc["issuer"]),
            leeway=60,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise ProviderRefused(f"the provider's id_token did not verify: {exc}") from exc
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise ProviderRefused("the id_token's nonce does not match this sign-in; sign in again")
    return claims


def _userinfo(doc: dict[str, Any], access_token: str) -> dict[str, Any]:
    endpoint = doc.get("userinfo_endpoint")
    if not endpoint or not access_token:
        return {}
    try:
        r = httpx.get(
            str(endpoint), headers={"Authorization": f"Bearer {access_token}"}, timeout=HTTP_TIMEOUT_S
        )
        r.raise_for_status()
        body: dict[str, Any] = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise BackendUnavailable(f"cannot read the sign-in provider's userinfo: {exc}") from exc
    return body


def identify(
    platform: Platform,
    cache: MetadataCache,
    provider: str,
    code: str,
    cookie: str | None,
    state: str | None,
) -> OidcIdentity:
    """Trades the callback's code for the user's verified identity. Raises ProviderRefused,
    PermissionDenied (unverified email), BackendUnavailable."""
    auth = platform.settings.auth
    saved = _read_state(platform, provider, cookie, state)
    doc = discovery(auth, cache)
    tokens = _exchange(auth, doc, provider, code, str(saved["verifier"]))
    if not tokens.get("id_token"):
        raise ProviderRefused("the sign-in provider returned no id_token; is the 'openid' scope allowed?")
    claims = _id_claims(auth, cache, doc, str(tokens["id_token"]), str(saved["nonce"]))
    if not claims.get("email"):
        info = _userinfo(doc, str(tokens.get("access_token", "")))
        if info.get("sub") not in (None, claims["sub"]):
            raise ProviderRefused("the provider's userinfo names another subject than the id_token")
        claims = {**info, **claims, "email": info.get("email"), "email_verified": info.get("email_verified")}
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        raise PermissionDenied("the sign-in provider shared no email address; allow the 'email' scope")
    if claims.get("email_verified") in (False, "false"):
        raise PermissionDenied(f"the provider has not verified {email}; verify it there and sign in again")
    return OidcIdentity(email=email, name=str(claims.get("name") or ""), subject=str(claims["sub"]))


def whitelisted(auth: AuthSettings, email: str) -> bool:
    """Empty whitelist: anyone the provider vouches for. Entries are emails or ``@domain``."""
    allowed = {e.strip().lower() for e in auth.email_whitelist if e.strip()}
    if not allowed:
        return True
    return email in allowed or "@" + email.rpartition("@")[2] in allowed


def find_or_create_user(platform: Platform, identity: OidcIdentity) -> User:
    """The account named by the email; created (without a password) on first sign-in."""
    if not whitelisted(platform.settings.auth, identity.email):
        raise PermissionDenied(
            f"{identity.email} is not allowed to sign in here; ask an administrator to add it to AUTH__EMAIL_WHITELIST"
        )
    try:
        user = platform.content.get_user_by_username(identity.email)
    except NotFound:
        try:
            user = platform.content.create_user(identity.email, None, role="user", full_name=identity.name)
        except Conflict:  # signed in twice at once
            user = platform.content.get_user_by_username(identity.email)
    if not user.is_active:
        raise PermissionDenied(f"the account {identity.email} is disabled")
    return user


# -- the temporary token ----------------------------------------------------------


def create_temp_token(platform: Platform, user: User) -> str:
    return _sign(platform, {"type": "login_temp", "sub": user.id, "jti": uuid.uuid4().hex}, TEMP_TOKEN_TTL_S)


def check_temp_token(platform: Platform, token: str, consume: bool = False) -> User:
    """The user a temporary token names. With ``consume`` it can never be used again, on any
    replica (the consumed ids live in PostgreSQL). Raises Unauthorized."""
    claims = _verify(platform, token, "sign-in token")
    if claims.get("type") != "login_temp" or not claims.get("sub") or not claims.get("jti"):
        raise Unauthorized("invalid sign-in token")
    jti = str(claims["jti"])
    used = Unauthorized("this sign-in token has been used already: sign in again")
    if platform.one_time_tokens.is_consumed(jti):
        raise used
    if consume:
        try:
            platform.one_time_tokens.consume(jti, datetime.fromtimestamp(float(claims["exp"]), UTC))
        except Conflict:
            raise used from None
    return active_user(platform.content, str(claims["sub"]), "sign-in token")
