"""AuthLayer: bearer-token (JWT) authentication, RFC 6750 style.

How this works:

* `AuthLayer.jwt(key, algorithms=...)` verifies `Authorization: Bearer <jwt>`
  with PyJWT. The key is parsed once, here: a shared secret for the HS*
  family, a PEM public key (or cryptography key object) for RS*/PS*, ES*
  and EdDSA. A layer accepts algorithms of one family only, and the key must
  suit it, which closes algorithm confusion (an RSA public key used as an
  HMAC secret); `none` is never accepted. HMAC secrets shorter than the hash
  (32 bytes for HS256) are refused, as RFC 7518 §3.2 requires.
* `exp` and `nbf` are checked with `leeway` seconds of slack; `require`
  (default `("exp",)`) lists claims a token must carry. `audience` and
  `issuer` are checked when given.
* Verified claims go to `request.extensions["weft.claims"]`.
* Refusals are `401` problem+json with a `WWW-Authenticate: Bearer` challenge:
  no credentials → `realm` only; a bad token → `error="invalid_token"` with
  a fixed, quote-free `error_description` (never PyJWT's own text). Several
  `Authorization` fields are a malformed request: `400 invalid_request`.
* `exempt` paths (exact, or a prefix when the entry ends in `*`) pass through
  unauthenticated, e.g. health probes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, final
from urllib.parse import unquote

import jwt
from jwt.algorithms import get_default_algorithms

from weft.errors import problem
from weft.http_types import Request, Response
from weft.types import Service

__all__ = ["CLAIMS_KEY", "AuthLayer", "mint_dev_token"]

CLAIMS_KEY: Final = "weft.claims"

_FAMILY: Final = {
    "HS256": "hmac", "HS384": "hmac", "HS512": "hmac",
    "RS256": "rsa", "RS384": "rsa", "RS512": "rsa",
    "PS256": "rsa", "PS384": "rsa", "PS512": "rsa",
    "ES256": "ec", "ES384": "ec", "ES512": "ec", "ES256K": "ec",
    "EdDSA": "okp",
}

# PyJWT exception → the RFC 6750 error_description we send. Ordered: the
# first matching class wins (subclasses before their bases).
_DESCRIPTIONS: Final[tuple[tuple[type[Exception], str], ...]] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAlgorithmError, "the token's algorithm is not accepted"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
    (jwt.InvalidAudienceError, "the token is not meant for this audience"),
    (jwt.InvalidIssuerError, "the token's issuer is not trusted"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
    (jwt.DecodeError, "the token is malformed"),
)

# Any key object PyJWT accepts for verification (a cryptography key); a
# library seam, hence Any.
_KeyObject = Any


def _prepare_key(key: str | bytes | _KeyObject, algorithms: Sequence[str]) -> _KeyObject:
    """Check the algorithm list and key agree, and parse the key once."""
    if not algorithms:
        raise ValueError("AuthLayer.jwt needs at least one algorithm")
    families = set()
    for alg in algorithms:
        family = _FAMILY.get(alg)
        if family is None:
            raise ValueError(f"algorithm {alg!r} is not supported (never `none`)")
        families.add(family)
    if len(families) != 1:
        raise ValueError("mixing HMAC and public-key algorithms invites algorithm "
                         f"confusion; use one family, got {sorted(algorithms)}")
    impls = get_default_algorithms()
    prepared: _KeyObject = None
    for alg in algorithms:
        impl = impls.get(alg)
        if impl is None:
            raise ValueError(f"algorithm {alg} is not available in this PyJWT build")
        try:
            prepared = impl.prepare_key(key)
        except (jwt.InvalidKeyError, TypeError, ValueError) as exc:
            raise ValueError(f"the key does not suit {alg}: {exc}") from None
        if hasattr(prepared, "private_bytes"):
            # A private key was given: verification only ever needs the public half.
            prepared = prepared.public_key()
        weak = impl.check_key_length(prepared)
        if weak:
            raise ValueError(weak)
    return prepared


def _climbs(path: str) -> bool:
    """Whether a raw path has a dot segment, an encoded slash or a backslash."""
    decoded = unquote(path)
    if decoded.count("/") != path.count("/") or "\\" in decoded:
        return True
    return any(seg in (".", "..") for seg in decoded.split("/"))


def _challenge(realm: str, error: str | None = None, description: str | None = None) -> str:
    parts = [f'Bearer realm="{realm}"']
    if error is not None:
        parts.append(f'error="{error}"')
    if description is not None:
        parts.append(f'error_description="{description}"')
    return ", ".join(parts)


def _describe(exc: jwt.InvalidTokenError) -> str:
    for cls, text in _DESCRIPTIONS:
        if isinstance(exc, cls):
            return text
    return "the token is invalid"


@final
class AuthLayer:
    """Admit only requests carrying a valid bearer token."""

    __slots__ = ("_exact", "_key", "_prefixes", "algorithms", "audience", "issuer",
                 "leeway", "realm", "require")

    def __init__(self, key: str | bytes | _KeyObject, *, algorithms: Sequence[str] = ("HS256",),
                 audience: str | Sequence[str] | None = None, issuer: str | None = None,
                 leeway: float = 0, require: Sequence[str] = ("exp",),
                 exempt: Iterable[str] = (), realm: str = "weft") -> None:
        if '"' in realm or "\\" in realm:
            raise ValueError("realm may not contain quotes or backslashes")
        self.algorithms = tuple(algorithms)
        self._key = _prepare_key(key, self.algorithms)
        self.audience = audience
        self.issuer = issuer
        self.leeway = leeway
        self.require = tuple(require)
        self.realm = realm
        entries = tuple(exempt)
        self._exact = frozenset(e for e in entries if not e.endswith("*"))
        self._prefixes = tuple(e[:-1] for e in entries if e.endswith("*"))

    @classmethod
    def jwt(cls, secret_or_key: str | bytes | _KeyObject,
            algorithms: Sequence[str] = ("HS256",), audience: str | Sequence[str] | None = None,
            issuer: str | None = None, leeway: float = 0, *, require: Sequence[str] = ("exp",),
            exempt: Iterable[str] = (), realm: str = "weft") -> AuthLayer:
        return cls(secret_or_key, algorithms=algorithms, audience=audience, issuer=issuer,
                   leeway=leeway, require=require, exempt=exempt, realm=realm)

    def is_exempt(self, path: str) -> bool:
        if path in self._exact:
            return True
        # A prefix must not exempt a path that climbs out of it once the
        # router normalises it ("/public/../admin", "/public/%2e%2e/admin").
        return (any(path.startswith(p) for p in self._prefixes)
                and not _climbs(path))

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or a `jwt.InvalidTokenError`."""
        return jwt.decode(token, self._key, algorithms=list(self.algorithms),
                          audience=self.audience, issuer=self.issuer, leeway=self.leeway,
                          options={"require": list(self.require)})

    def _refuse(self, description: str | None) -> Response:
        if description is None:
            return problem(401, detail="a bearer token is required",
                           headers=[("www-authenticate", _challenge(self.realm))])
        challenge = _challenge(self.realm, "invalid_token", description)
        return problem(401, detail=description, headers=[("www-authenticate", challenge)])

    def authenticate(self, request: Request) -> Response | dict[str, Any]:
        """The verified claims, or the refusal to send instead."""
        fields = request.headers.get_all("authorization")
        if not fields:
            return self._refuse(None)
        if len(fields) > 1:
            challenge = _challenge(self.realm, "invalid_request",
                                   "more than one Authorization field")
            return problem(400, detail="more than one Authorization field",
                           headers=[("www-authenticate", challenge)])
        scheme, _, token = fields[0].strip().partition(" ")
        if scheme.lower() != "bearer":
            # Another scheme is, for this resource, no credentials at all (RFC 6750 §3.1).
            return self._refuse(None)
        token = token.strip(" ")
        if not token or " " in token:
            return self._refuse("the Authorization field is not `Bearer <token>`")
        try:
            return self.verify(token)
        except jwt.InvalidTokenError as exc:
            return self._refuse(_describe(exc))

    def wrap(self, inner: Service) -> Service:
        authenticate = self.authenticate
        is_exempt = self.is_exempt

        async def auth_service(request: Request) -> Response:
            if is_exempt(request.path):
                return await inner(request)
            outcome = authenticate(request)
            if isinstance(outcome, Response):
                return outcome
            request.extensions[CLAIMS_KEY] = outcome
            return await inner(request)

        return auth_service


def mint_dev_token(secret: str | bytes, *, subject: str = "dev", ttl_seconds: int = 3600,
                   audience: str | None = None, issuer: str | None = None,
                   claims: Mapping[str, object] | None = None, now: float | None = None) -> str:
    """An HS256 token for local development (`make run` prints one).

    Refuses secrets an `AuthLayer.jwt` would refuse, so a minted token
    always verifies against a layer built from the same secret.
    """
    key = _prepare_key(secret, ("HS256",))
    issued = int(time.time() if now is None else now)
    payload: dict[str, object] = {"sub": subject, "iat": issued, "exp": issued + ttl_seconds}
    if audience is not None:
        payload["aud"] = audience
    if issuer is not None:
        payload["iss"] = issuer
    if claims:
        payload.update(claims)
    return jwt.encode(payload, key, algorithm="HS256")
