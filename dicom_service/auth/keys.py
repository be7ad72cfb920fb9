"""The issuer's signing keys: OpenID Connect discovery, then its JWKS, cached and refetched when a token
names a key the cache does not hold (a key rotation), at most once per REFRESH_FLOOR seconds so a stream of
forged `kid`s cannot make the service hammer the issuer.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from typing import Any

from anyio import to_thread
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

FETCH_TIMEOUT = 5.0  # seconds for one request to the issuer
REFRESH_FLOOR = 30.0  # seconds between two fetches of the key set
MAX_AGE = 3600.0  # seconds a key set is used before it is fetched again
MAX_DOCUMENT = 1 << 20  # bytes read of a discovery document or key set
ASYMMETRIC_KEY_TYPES = ("RSA", "EC", "OKP")  # a shared secret (`oct`) is never a verification key


class IssuerUnavailable(Exception):
    """The issuer's discovery document or key set could not be fetched (the message says which)."""


class UnknownKey(Exception):
    """The token names a key the issuer does not publish."""


def fetch_json(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as answer:
            data = json.loads(answer.read(MAX_DOCUMENT))
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the answer's socket
        raise IssuerUnavailable(f"{url}: HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise IssuerUnavailable(f"{url}: {exc}") from None
    if not isinstance(data, dict):
        raise IssuerUnavailable(f"{url}: not a JSON object")
    return data


class IssuerKeys:
    """One issuer's discovery document and key set, shared by every request of the process."""

    def __init__(self, authority: str) -> None:
        self.authority = authority
        self.issuer: str | None = None
        self.jwks_uri: str | None = None
        self.keys: dict[str, PyJWK] = {}
        self.fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> PyJWK:
        if kid is not None and kid in self.keys and time.monotonic() - self.fetched_at < MAX_AGE:
            return self.keys[kid]
        async with self._lock:  # one fetch at a time; the others then find its keys
            age = time.monotonic() - self.fetched_at
            if age >= MAX_AGE or (kid not in self.keys and age >= REFRESH_FLOOR):
                await self._refresh()
        if kid is None and len(self.keys) == 1:
            return next(iter(self.keys.values()))
        if kid is None or kid not in self.keys:
            raise UnknownKey(kid)
        return self.keys[kid]

    async def expected_issuer(self) -> str:
        if self.issuer is None:
            async with self._lock:
                if self.issuer is None:
                    await self._refresh()
        assert self.issuer is not None
        return self.issuer

    async def _refresh(self) -> None:
        self.keys = await to_thread.run_sync(self._fetch)
        self.fetched_at = time.monotonic()

    def _fetch(self) -> dict[str, PyJWK]:
        if self.jwks_uri is None:
            discovery = fetch_json(self.authority + "/.well-known/openid-configuration")
            issuer, jwks_uri = discovery.get("issuer"), discovery.get("jwks_uri")
            if not isinstance(issuer, str) or not isinstance(jwks_uri, str):
                raise IssuerUnavailable(
                    f"{self.authority}: the discovery document names no issuer or jwks_uri"
                )
            self.issuer, self.jwks_uri = issuer, jwks_uri
        try:
            keys = PyJWKSet.from_dict(fetch_json(self.jwks_uri)).keys
        except (PyJWKError, PyJWKSetError) as exc:
            raise IssuerUnavailable(f"{self.jwks_uri}: no usable signing key: {exc}") from None
        return {
            k.key_id: k
            for k in keys
            if k.key_id is not None
            and k.key_type in ASYMMETRIC_KEY_TYPES
            and k.public_key_use in (None, "sig")
        }
