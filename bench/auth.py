"""The token check's cost per request: the same request with and without it, in process (ASGI, no sockets).

Both sides are the example-answering app, so the figure isolates the check itself: reading the bearer token,
verifying its RS256 signature against the issuer's key (already fetched, as in a warm service), its claims,
and the roles. The request carries the same `Authorization` header on both sides.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWK
from jwt.algorithms import RSAAlgorithm

from bench.service import send_many
from dicom_service.app import create_app
from dicom_service.auth.guard import Guard
from dicom_service.auth.keys import IssuerKeys
from dicom_service.auth.roles import load_roles
from dicom_service.auth.tokens import TokenChecker

REQUESTS = 2000
ROUNDS = 7
ISSUER = "https://login.example/tenant/v2.0"
AUDIENCE = "api://dicom"
CASES = [
    ("QIDO search", "GET", "/v2/studies", "PatientID=PAT-0001&limit=10", "application/dicom+json"),
    ("change feed", "GET", "/v2/changefeed/latest", "", "application/json"),
]


def guarded_app(key: rsa.RSAPrivateKey) -> object:
    app = create_app(mock=True)
    keys = IssuerKeys(ISSUER)
    keys.issuer = ISSUER
    keys.keys = {"k1": PyJWK.from_json(RSAAlgorithm.to_jwk(key.public_key()), algorithm="RS256")}
    keys.fetched_at = time.monotonic()
    app.state.guard = Guard(TokenChecker(keys, AUDIENCE), load_roles(None, app.state.data_actions), "roles")
    return app


def first_use(key: rsa.RSAPrivateKey, count: int = 300) -> float:
    """Microseconds to check a token never seen before; later requests with it find it remembered."""
    guard = guarded_app(key).state.guard  # type: ignore[attr-defined]
    now = int(time.time())
    tokens = [
        jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "sub": f"c{n}", "exp": now + 3600},
            key,
            algorithm="RS256",
            headers={"kid": "k1"},
        )
        for n in range(count)
    ]

    async def check_all() -> float:
        started = time.perf_counter()
        for token in tokens:
            await guard.checker.claims(token)
        return (time.perf_counter() - started) / count * 1e6

    return asyncio.run(check_all())


def run() -> list[str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "bench",
        "exp": now + 3600,
        "roles": ["DICOM Data Owner"],
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    apps = {"with": guarded_app(key), "without": create_app(mock=True)}
    lines, losses = [], []
    for label, method, path, query, accept in CASES:
        rates: dict[str, list[float]] = {"with": [], "without": []}
        headers = {"accept": accept, "authorization": f"Bearer {token}"}
        for _ in range(ROUNDS):  # interleaved, so drift in the machine's load hits both sides alike
            for side, app in apps.items():
                seconds, status = asyncio.run(
                    send_many(app, method, path, headers, b"", REQUESTS, query)  # type: ignore[arg-type]
                )
                if status != {200}:
                    raise RuntimeError(f"{method} {path} answered {sorted(status)} ({side} the check)")
                rates[side].append(1 / seconds)
        checked, plain = statistics.median(rates["with"]), statistics.median(rates["without"])
        loss = (1 - checked / plain) * 100
        losses.append(loss)
        lines.append(
            f"{label:12} {checked:8.0f} req/s with the token check, {plain:8.0f} without: {loss:+.1f}%"
        )
    lines.append(f"a token's first use (signature and claims checked): {first_use(key):.0f} µs")
    verdict = "met" if max(losses) < 5 else "NOT met"
    lines.append(
        f"goal: under 5% per request ({verdict}; worst {max(losses):+.1f}%, in-process ASGI, "
        f"median of {ROUNDS}x{REQUESTS}, RS256 2048-bit)"
    )
    return lines
