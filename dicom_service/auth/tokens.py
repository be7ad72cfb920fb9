"""A bearer token checked: signed by one of the issuer's keys with an asymmetric algorithm, issued by the
authority, addressed to the service's audience, within its validity (with a small leeway for clock skew).
"""

from __future__ import annotations

from typing import Any

import jwt

from dicom_service.auth.keys import IssuerKeys, UnknownKey

# Asymmetric only: `none` and HMAC (whose "secret" could be the issuer's public key) are never accepted.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 60
MAX_TOKEN = 16384  # characters of a bearer token


class InvalidToken(Exception):
    """The token is refused; the message is the RFC 6750 error_description (never the token itself)."""


class TokenChecker:
    def __init__(self, keys: IssuerKeys, audience: str) -> None:
        self.keys = keys
        self.audience = audience

    async def claims(self, token: str) -> dict[str, Any]:
        """The token's claims once every check passed; IssuerUnavailable when the keys cannot be had."""
        if len(token) > MAX_TOKEN:
            raise InvalidToken(f"the token is longer than {MAX_TOKEN} characters")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("the token is not a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise InvalidToken(f"the signing algorithm {str(algorithm)[:16]!r} is not accepted")
        kid = header.get("kid")
        try:
            key = await self.keys.key(kid if isinstance(kid, str) else None)
        except UnknownKey:
            raise InvalidToken("the token is signed with a key the issuer does not publish") from None
        issuer = await self.keys.expected_issuer()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
            return claims
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("the token is not addressed to this service (aud)") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("the token was not issued by this service's authority (iss)") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("the token's signature does not verify") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"the token has no {exc.claim!r} claim") from None
        except jwt.PyJWTError:
            raise InvalidToken("the token is malformed or its signature does not verify") from None
