"""Bearer tokens: what the issuer signs for this service passes; everything a forger or a confused client
sends is refused with the reason (RFC 6750 error_description), and an unreachable issuer is no open door."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from functools import cache

import anyio
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from dicom_service.auth import keys as keys_module
from dicom_service.auth.keys import IssuerKeys, IssuerUnavailable
from dicom_service.auth.tokens import InvalidToken, TokenChecker
from tests.auth.issuer import AUDIENCE, Issuer, running_issuer


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer() as started:
        yield started


@pytest.fixture
def own_issuer() -> Iterator[Issuer]:
    """For the tests that rotate keys or stop the issuer."""
    with running_issuer() as started:
        yield started


@cache
def forger() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def check(issuer: Issuer, token: str, checker: TokenChecker | None = None) -> dict[str, object]:
    checker = checker or TokenChecker(IssuerKeys(issuer.url), AUDIENCE)
    return anyio.run(checker.claims, token)


def refused(issuer: Issuer, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        check(issuer, token)
    return str(caught.value)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_token_of_the_issuer_for_this_audience_passes(issuer: Issuer) -> None:
    claims = check(issuer, issuer.token())
    assert claims["sub"] == "client-owner" and claims["roles"] == ["DICOM Data Owner"]


def test_an_expired_token_is_refused(issuer: Issuer) -> None:
    assert refused(issuer, issuer.token(exp=1_000_000, nbf=900_000, iat=900_000)) == "the token has expired"


def test_a_token_not_valid_yet_is_refused_beyond_the_leeway(issuer: Issuer) -> None:
    later = issuer.claims()["iat"] + 3600
    assert refused(issuer, issuer.token(nbf=later)) == "the token is not valid yet"
    check(issuer, issuer.token(nbf=issuer.claims()["iat"] + 30))  # clock skew within the leeway


def test_a_token_for_another_audience_is_refused(issuer: Issuer) -> None:
    message = refused(issuer, issuer.token(aud="https://another.example"))
    assert message == "the token is not addressed to this service (aud)"


def test_a_token_of_another_issuer_is_refused(issuer: Issuer) -> None:
    message = refused(issuer, issuer.token(iss="https://login.example/other"))
    assert message == "the token was not issued by this service's authority (iss)"


def test_a_token_without_a_subject_is_refused(issuer: Issuer) -> None:
    assert refused(issuer, issuer.token(sub=None)) == "the token has no 'sub' claim"


def test_a_token_signed_by_another_key_under_a_published_kid_is_refused(issuer: Issuer) -> None:
    assert refused(issuer, issuer.token(key=forger())) == "the token's signature does not verify"


def test_an_unsigned_token_alg_none_is_refused(issuer: Issuer) -> None:
    token = jwt.encode(issuer.claims(), None, algorithm="none")
    assert refused(issuer, token) == "the signing algorithm 'none' is not accepted"


def test_hmac_signed_with_the_issuers_public_key_is_refused(issuer: Issuer) -> None:
    """The classic confusion: HS256 keyed with the RSA public key, which anyone can fetch."""
    public = (
        issuer.keys[issuer.kid]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}).encode())
    body = b64(json.dumps(issuer.claims()).encode())
    signature = b64(hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest())
    assert refused(issuer, f"{head}.{body}.{signature}") == "the signing algorithm 'HS256' is not accepted"


def test_garbage_is_not_a_jwt(issuer: Issuer) -> None:
    assert refused(issuer, "garbage") == "the token is not a JWT"


def test_a_rotated_key_is_fetched_once_and_an_unknown_kid_is_refused_without_hammering_the_issuer(
    own_issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = own_issuer
    checker = TokenChecker(IssuerKeys(issuer.url), AUDIENCE)
    check(issuer, issuer.token(), checker)
    assert issuer.key_fetches == 1
    new_kid = issuer.rotate()  # the issuer starts signing with a key the service has not seen
    monkeypatch.setattr(keys_module, "REFRESH_FLOOR", 0.0)
    assert check(issuer, issuer.token(kid=new_kid), checker)["sub"] == "client-owner"
    assert issuer.key_fetches == 2
    check(issuer, issuer.token(kid=new_kid), checker)
    assert issuer.key_fetches == 2  # cached
    monkeypatch.setattr(keys_module, "REFRESH_FLOOR", 3600.0)
    for _ in range(5):
        with pytest.raises(InvalidToken, match="a key the issuer does not publish"):
            check(issuer, issuer.token(kid="forged", key=forger()), checker)
    assert issuer.key_fetches == 2  # forged kids do not make the service fetch again within the floor


def test_an_unreachable_issuer_is_unavailable_not_accepted(own_issuer: Issuer) -> None:
    own_issuer.down = True
    with pytest.raises(IssuerUnavailable):
        check(own_issuer, own_issuer.token())
