"""The check the HTTP runtime runs before every handler: a valid bearer token whose roles grant the
operation's data action in the partition the request addresses (unscoped routes address the default one).

401 (RFC 6750 `WWW-Authenticate: Bearer error="invalid_token"`) for a missing or refused token, 403 naming
the action the caller lacks, 503 with `Retry-After` when the issuer's keys cannot be fetched: never a 500,
never an open door. A valid caller is stored in the scope's state as `principal`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

from dicom_service.auth.keys import IssuerKeys, IssuerUnavailable
from dicom_service.auth.principal import Principal, client_of
from dicom_service.auth.roles import Role, Roles, load_roles
from dicom_service.auth.tokens import InvalidToken, TokenChecker
from dicom_service.partitions.default import DEFAULT_PARTITION
from dicom_service.settings import AuthSettings

RETRY_AFTER_SECONDS = 10
# A verified token is remembered until it expires, at most this long: a client sends the same token with
# every request, and checking an RSA signature costs more than a whole cheap request. A key the issuer
# withdraws stops its tokens within this time.
REMEMBER_SECONDS = 300
REMEMBERED = 1024  # tokens remembered; the oldest is forgotten first
REALM = "dicom"

Caller = tuple[Principal, tuple[Role, ...], float]


class Guard:
    def __init__(self, checker: TokenChecker, roles: Roles, roles_claim: str) -> None:
        self.checker = checker
        self.roles = roles
        self.roles_claim = roles_claim
        self.callers: dict[str, Caller] = {}  # token → its caller, roles and until when it is good

    @classmethod
    def from_settings(cls, auth: AuthSettings, known_actions: Iterable[str]) -> Guard | None:
        """None without an authority: no token is checked (the service then binds loopback only)."""
        roles = load_roles(auth.roles_file, known_actions)  # checked even without an authority
        if auth.authority is None or auth.audience is None:
            return None
        return cls(TokenChecker(IssuerKeys(auth.authority), auth.audience), roles, auth.roles_claim)

    async def check(self, scope: Scope, action: str | None, partition: str | None) -> Response | None:
        """None when the caller may go on; the refusal otherwise."""
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"").decode("latin-1")
        scheme, _, token = given.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return unauthorized("no bearer token in the Authorization header")
        known = self.callers.get(token)
        if known is None or time.time() >= known[2]:
            try:
                known = self._caller(token, await self.checker.claims(token))
            except InvalidToken as exc:
                return unauthorized(str(exc))
            except IssuerUnavailable:
                return PlainTextResponse(
                    "The token issuer cannot be reached to check the token; try again later.",
                    503,
                    {"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
        principal, roles, _ = known
        scope.setdefault("state", {})["principal"] = principal
        where = partition or DEFAULT_PARTITION
        if action is not None and not any(role.grants(action, where) for role in roles):
            return PlainTextResponse(
                f"The caller's roles do not grant the data action '{action}' in partition '{where}'.", 403
            )
        return None

    def _caller(self, token: str, claims: dict[str, Any]) -> Caller:
        """The caller a verified token names, remembered until it expires (at most REMEMBER_SECONDS)."""
        names = claims.get(self.roles_claim, [])
        names = [names] if isinstance(names, str) else names if isinstance(names, list) else []
        roles = self.roles.named(n for n in names if isinstance(n, str))
        principal = Principal(str(claims["sub"]), client_of(claims), tuple(r.name for r in roles))
        caller = (principal, roles, min(float(claims["exp"]), time.time() + REMEMBER_SECONDS))
        if len(self.callers) >= REMEMBERED:
            del self.callers[next(iter(self.callers))]  # the oldest
        self.callers[token] = caller
        return caller


def unauthorized(description: str) -> Response:
    challenge = f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'
    return Response(status_code=401, headers={"WWW-Authenticate": challenge})
