"""JWT-SVID validation (SPIFFE JWT-SVID specification) with PyJWT.

Order of checks, each failure a fixed public phrase:

1. the header names an algorithm the specification allows (RS*, PS*, ES*;
   never `none` or HMAC) and a `kid`;
2. `sub` (read before verification only to pick the bundle) is a SPIFFE ID
   whose trust domain has a JWT bundle;
3. that bundle has the `kid`, and the key suits the algorithm;
4. PyJWT verifies the signature, `exp` (required), `aud` (required, must
   include one of ours) and `nbf`, with `leeway` seconds of slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from weft.identity.bundle import BundleSet
from weft.identity.principal import AuthRejection, RejectionKind
from weft.identity.spiffe_id import SpiffeId, SpiffeIdError

__all__ = ["JWT_SVID_ALGORITHMS", "JwtSvidRejected", "validate_jwt_svid"]

JWT_SVID_ALGORITHMS: Final = frozenset(
    ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"))
_EC_CURVES: Final = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}


def _invalid(detail: str) -> AuthRejection:
    return AuthRejection(RejectionKind.INVALID_CREDENTIAL, detail)


def _key_suits(alg: str, key: object) -> bool:
    if alg.startswith(("RS", "PS")):
        return isinstance(key, rsa.RSAPublicKey)
    return isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == _EC_CURVES[alg]


def validate_jwt_svid(token: str, bundles: BundleSet, audience: Sequence[str], *,
                      leeway: float = 0) -> tuple[SpiffeId, dict[str, Any]]:
    """The token's SPIFFE ID and verified claims; raises `JwtSvidRejected`
    carrying the `AuthRejection` to answer with."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise JwtSvidRejected(_invalid("the token is malformed")) from None
    alg = header.get("alg")
    if alg not in JWT_SVID_ALGORITHMS:
        raise JwtSvidRejected(_invalid("the token's algorithm is not accepted"))
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise JwtSvidRejected(_invalid("the token has no key id"))
    sub = unverified.get("sub")
    try:
        spiffe_id = SpiffeId.parse(sub) if isinstance(sub, str) else None
    except SpiffeIdError:
        spiffe_id = None
    if spiffe_id is None:
        raise JwtSvidRejected(_invalid("the token's subject is not a SPIFFE ID"))
    bundle = bundles.get(spiffe_id.trust_domain)
    if bundle is None or not bundle.jwt_keys:
        raise JwtSvidRejected(AuthRejection(RejectionKind.UNTRUSTED_SOURCE,
                                            "the token's trust domain is not trusted"))
    key = bundle.jwt_keys.get(kid)
    if key is None or not _key_suits(alg, key):
        raise JwtSvidRejected(_invalid("the token's key is not in the trust bundle"))
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[alg], audience=list(audience), leeway=leeway,
            options={"require": ["exp", "aud", "sub"]})
    except jwt.ExpiredSignatureError:
        raise JwtSvidRejected(AuthRejection(RejectionKind.EXPIRED, "the token has expired")
                              ) from None
    except jwt.InvalidAudienceError:
        raise JwtSvidRejected(_invalid("the token is not meant for this audience")) from None
    except jwt.ImmatureSignatureError:
        raise JwtSvidRejected(_invalid("the token is not valid yet")) from None
    except jwt.InvalidSignatureError:
        raise JwtSvidRejected(_invalid("the token's signature does not verify")) from None
    except jwt.MissingRequiredClaimError:
        raise JwtSvidRejected(_invalid("the token lacks a required claim")) from None
    except jwt.InvalidTokenError:
        raise JwtSvidRejected(_invalid("the token is invalid")) from None
    return spiffe_id, claims


class JwtSvidRejected(Exception):
    """Carries the `AuthRejection` for a token that did not validate."""

    def __init__(self, rejection: AuthRejection) -> None:
        super().__init__(rejection.detail)
        self.rejection = rejection
