"""The identity provider's signing keys (签名公钥, JWKS): what the services check a token's RS256 signature with.

The keys are fetched with httpx's async client (never a blocking call on the event loop), kept in memory and used
by key id (`kid`). They are fetched again when a token names a key id not among them (the provider rotated its
keys) or when they are older than JWKS_MAX_AGE_SECONDS (a key the provider withdrew stops being trusted), but at
most once per JWKS_MIN_REFRESH_SECONDS, failed attempts included: a flood of tokens with made-up key ids costs the
provider one request per interval, not one per token. One fetch at a time (a lock); requests waiting on it use its
result. Only RSA signing keys are kept (Keycloak also publishes an encryption key), at most MAX_KEYS of them, so a
provider's document cannot grow the services' memory.

When the provider cannot be reached the keys already held keep working; with none held yet, verification fails
with `KeysUnavailable` (the request gets 503, not 401: the token may be good).

`verified` remembers the tokens these keys have verified (shared/auth.py), at most MAX_VERIFIED of them.
"""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import structlog
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt import PyJWK, PyJWKError

log = structlog.get_logger(__name__)

MAX_KEYS = 16
# Tokens remembered as verified (a few hundred bytes each): one per signed-in person in practice.
MAX_VERIFIED = 4096
TIMEOUT = httpx.Timeout(5.0)


class KeysUnavailable(RuntimeError):
    """No signing key is held and the identity provider did not give any."""


class SigningKeys:
    """The RSA public keys of one issuer, by key id."""

    def __init__(
        self,
        url: str,
        *,
        min_refresh_seconds: float,
        max_age_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._min_refresh = min_refresh_seconds
        self._max_age = max_age_seconds
        self._clock = clock
        self._client = httpx.AsyncClient(timeout=TIMEOUT, transport=transport, follow_redirects=False)
        self._lock = asyncio.Lock()
        self._keys: dict[str, RSAPublicKey] = {}
        self._fetched_at: float | None = None  # the last fetch that gave keys
        self._attempted_at: float | None = None  # the last fetch, good or not
        self.fetches = 0
        # Tokens already verified with these keys, each with what it names, the key that signed it and when it
        # expires: shared.auth.verify_token fills and reads it.
        self.verified: dict[str, Any] = {}

    async def key(self, kid: str) -> RSAPublicKey | None:
        """The key with this id, or None when the provider has none by that id (after one allowed fetch)."""
        if kid not in self._keys or self._stale():
            await self._refresh()
        return self._keys.get(kid)

    @property
    def status(self) -> str:
        """`ok` when keys are held, else `unavailable`."""
        return "ok" if self._keys else "unavailable"

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > self._max_age

    def _may_fetch(self) -> bool:
        return self._attempted_at is None or self._clock() - self._attempted_at >= self._min_refresh

    async def _refresh(self) -> None:
        attempted = self._attempted_at
        async with self._lock:
            # Another request fetched while this one waited: use what it got.
            if self._attempted_at != attempted or not self._may_fetch():
                if not self._keys:
                    raise KeysUnavailable(self.url)
                return
            self._attempted_at = self._clock()
            self.fetches += 1
            try:
                response = await self._client.get(self.url)
                response.raise_for_status()
                keys = rsa_signing_keys(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("jwks_unavailable", url=self.url, error=repr(exc), keys_held=len(self._keys))
                if not self._keys:
                    raise KeysUnavailable(self.url) from exc
                return
            self._keys, self._fetched_at = keys, self._attempted_at
            log.info("jwks_fetched", url=self.url, kids=sorted(keys))

    async def aclose(self) -> None:
        await self._client.aclose()


def rsa_signing_keys(document: Any) -> dict[str, RSAPublicKey]:
    """The RS256 signing keys of a JWKS document by key id, the first MAX_KEYS; others are left out."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document (no `keys` list)")
    keys: dict[str, RSAPublicKey] = {}
    for entry in document["keys"]:
        if len(keys) == MAX_KEYS:
            break
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") != "RS256":
            continue
        try:
            key = PyJWK(entry, algorithm="RS256").key
        except PyJWKError:
            continue
        if isinstance(key, RSAPublicKey):
            keys[entry["kid"]] = key
    return keys
