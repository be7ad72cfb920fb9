"""The caller a valid token names, stored in the ASGI scope's state as `principal` for logs and metrics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    subject: str  # the token's `sub`
    client_id: str | None  # the application that asked for the token (`azp`, `client_id` or Entra's `appid`)
    roles: tuple[str, ...]  # the roles the token names that the roles file knows


def client_of(claims: dict[str, object]) -> str | None:
    for claim in ("azp", "client_id", "appid"):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return value
    return None
