"""Who may do what: OAuth 2.0 bearer tokens (JWTs of an OpenID Connect issuer), roles and their data actions.

`keys` fetches and caches the issuer's signing keys, `tokens` checks a token, `roles` reads the roles file,
`guard` is the check the HTTP runtime runs before every handler, `audit` writes one record per request.
"""
