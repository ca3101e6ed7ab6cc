"""Signed, expiring download links: a URL that fetches one document's file without the bearer token.

A token is ``<document id, base64url>.<expiry, unix seconds>.<HMAC-SHA256, base64url>``. The HMAC
key is derived from the platform secret (``JWT_SECRET``) for this one purpose, so a token signed
here can never pass as a JWT signature or the other way round. Nothing is stored: any replica with
the same secret verifies any link, and rotating the secret revokes every link at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Callable

from pydantic import SecretStr

from ragplatform.errors import InvalidInput, Unauthorized

MAX_TTL_S = 7 * 24 * 3600
_PURPOSE = b"ragplatform/document-download/v1"
_MAX_TOKEN_CHARS = 512
_EXPIRY = re.compile(r"[0-9]{1,12}")


class DownloadLinks:
    """Signs and verifies download tokens with a key derived from ``secret``."""

    def __init__(
        self,
        secret: SecretStr | str | bytes,
        default_ttl_s: int = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        raw = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        raw_bytes = raw.encode() if isinstance(raw, str) else raw
        if not raw_bytes:
            raise InvalidInput("the download link secret must not be empty", field="secret")
        self._key = hmac.new(raw_bytes, _PURPOSE, hashlib.sha256).digest()
        self.default_ttl_s = _check_ttl(default_ttl_s)
        self._clock = clock

    def sign_download(self, doc_id: str, ttl_s: int | None = None) -> str:
        """A URL-safe token for ``doc_id`` valid for ``ttl_s`` seconds (default: the configured TTL).

        Raises InvalidInput for an empty id or a TTL outside 1..604800 seconds.
        """
        if not doc_id:
            raise InvalidInput("doc_id must not be empty", field="doc_id")
        ttl = self.default_ttl_s if ttl_s is None else _check_ttl(ttl_s)
        expires = int(self._clock()) + ttl
        body = f"{_b64(doc_id.encode('utf-8', 'surrogatepass'))}.{expires}"
        return f"{body}.{_b64(self._sign(body))}"

    def verify_download(self, token: str) -> str:
        """The document id the token was signed for. Raises Unauthorized when the token is
        malformed, was not signed with this secret, or has expired."""
        parts = token.split(".") if len(token) <= _MAX_TOKEN_CHARS else []
        if len(parts) != 3 or not _EXPIRY.fullmatch(parts[1]):
            raise Unauthorized("invalid download link")
        body = f"{parts[0]}.{parts[1]}"
        try:
            signature = _unb64(parts[2])
            doc_id = _unb64(parts[0]).decode()
        except (binascii.Error, ValueError):
            raise Unauthorized("invalid download link") from None
        if not hmac.compare_digest(signature, self._sign(body)):
            raise Unauthorized("invalid download link")
        if int(parts[1]) < self._clock():
            raise Unauthorized("this download link has expired; ask for a new one")
        return doc_id

    def _sign(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode(), hashlib.sha256).digest()


def _check_ttl(ttl_s: int) -> int:
    if isinstance(ttl_s, bool) or not isinstance(ttl_s, int) or not 1 <= ttl_s <= MAX_TTL_S:
        raise InvalidInput(f"ttl_s must be between 1 and {MAX_TTL_S} seconds, got {ttl_s!r}", field="ttl_s")
    return ttl_s


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("not base64url")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
