"""SpiffeAuthLayer: admit requests from workloads with a SPIFFE identity.

How this works, per request:

1. `exempt` paths (exact, or a prefix ending in `*`) pass untouched.
2. mTLS (when enabled): the connection's verified client certificate
   (`request.extensions["peer_cert"]`, put there by the HTTP/1.1 and HTTP/2
   connections) must carry exactly one URI SAN, a SPIFFE ID whose trust
   domain is still trusted by the provider. The chain itself was verified
   in the handshake against the bundles in force then (`SpiffeTlsTrust`).
3. Otherwise JWT (when enabled): `Authorization: Bearer <JWT-SVID>`,
   validated against the current bundle of the `sub`'s trust domain.
4. The policy decides on the proven ID: refused IDs get 403.

Failures are problem+json: 401 for a missing, invalid, expired or untrusted
credential (with a `WWW-Authenticate: Bearer` challenge when JWT is
accepted), 403 when policy denies. The principal goes to
`request.extensions["weft.principal"]`; handlers read it with
`principal_of(request)` or a `Caller` parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import final
from urllib.parse import unquote

from weft.http_types import Request, Response
from weft.identity.jwt_svid import JwtSvidRejected, validate_jwt_svid
from weft.identity.policy import SpiffePolicy
from weft.identity.principal import (
    PRINCIPAL_KEY,
    AuthMode,
    AuthRejection,
    Principal,
    RejectionKind,
)
from weft.identity.provider import TrustBundleProvider
from weft.identity.spiffe_id import SpiffeId, SpiffeIdError
from weft.transport.tls import PEER_CERT_KEY, PeerCert
from weft.types import Service

__all__ = ["SpiffeAuthLayer"]

_MISSING = AuthRejection(RejectionKind.MISSING_CREDENTIAL, "a workload identity is required")
_DENIED = AuthRejection(RejectionKind.DENIED, "this workload may not call this service")


def _invalid(detail: str) -> AuthRejection:
    return AuthRejection(RejectionKind.INVALID_CREDENTIAL, detail)


def _exemption(entries: tuple[str, ...]) -> Callable[[str], bool]:
    """Exact paths, or prefixes ending in `*`; a prefix never exempts a path
    the router could normalise out of it (dot segments, encoded slashes)."""
    exact = frozenset(e for e in entries if not e.endswith("*"))
    prefixes = tuple(e[:-1] for e in entries if e.endswith("*"))

    def climbs(path: str) -> bool:
        decoded = unquote(path)
        return (decoded.count("/") != path.count("/") or "\\" in decoded
                or any(seg in (".", "..") for seg in decoded.split("/")))

    def is_exempt(path: str) -> bool:
        if path in exact:
            return True
        return any(path.startswith(p) for p in prefixes) and not climbs(path)

    return is_exempt


@final
class SpiffeAuthLayer:
    """Authenticate the calling workload by X.509-SVID (mTLS) or JWT-SVID."""

    __slots__ = ("_exempt", "audience", "leeway", "modes", "policy", "provider", "realm")

    def __init__(self, provider: TrustBundleProvider, *,
                 modes: Iterable[AuthMode] = (AuthMode.MTLS, AuthMode.JWT),
                 audience: str | Sequence[str] = (), policy: SpiffePolicy | None = None,
                 leeway: float = 0, exempt: Iterable[str] = (), realm: str = "weft") -> None:
        self.provider = provider
        self.modes = frozenset(modes)
        if not self.modes:
            raise ValueError("SpiffeAuthLayer needs at least one AuthMode")
        self.audience = (audience,) if isinstance(audience, str) else tuple(audience)
        if AuthMode.JWT in self.modes and not self.audience:
            raise ValueError("JWT-SVID validation needs an audience (the SPIFFE spec "
                             "requires checking `aud`)")
        if '"' in realm or "\\" in realm:
            raise ValueError("realm may not contain quotes or backslashes")
        self.policy = policy if policy is not None else SpiffePolicy()
        self.leeway = leeway
        self.realm = realm
        self._exempt = _exemption(tuple(exempt))

    @classmethod
    def jwt(cls, provider: TrustBundleProvider, audience: str | Sequence[str], *,
            policy: SpiffePolicy | None = None, leeway: float = 0,
            exempt: Iterable[str] = ()) -> SpiffeAuthLayer:
        return cls(provider, modes=(AuthMode.JWT,), audience=audience, policy=policy,
                   leeway=leeway, exempt=exempt)

    @classmethod
    def mtls(cls, provider: TrustBundleProvider, *, policy: SpiffePolicy | None = None,
             exempt: Iterable[str] = ()) -> SpiffeAuthLayer:
        return cls(provider, modes=(AuthMode.MTLS,), policy=policy, exempt=exempt)

    def _from_certificate(self, cert: PeerCert) -> Principal | AuthRejection:
        if len(cert.san_uris) != 1:
            return _invalid("the client certificate must carry exactly one URI SAN")
        try:
            spiffe_id = SpiffeId.parse(cert.san_uris[0])
        except SpiffeIdError:
            return _invalid("the client certificate's URI SAN is not a SPIFFE ID")
        if self.provider.x509_bundle(spiffe_id.trust_domain) is None:
            return AuthRejection(RejectionKind.UNTRUSTED_SOURCE,
                                 "the certificate's trust domain is not trusted")
        return Principal(spiffe_id, AuthMode.MTLS)

    def _from_bearer(self, request: Request) -> Principal | AuthRejection | None:
        fields = request.headers.get_all("authorization")
        if not fields:
            return None
        if len(fields) > 1:
            return _invalid("more than one Authorization field")
        scheme, _, token = fields[0].strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = token.strip(" ")
        if not token or " " in token:
            return _invalid("the Authorization field is not Bearer <token>")
        try:
            spiffe_id, _ = validate_jwt_svid(token, self.provider.current(), self.audience,
                                             leeway=self.leeway)
        except JwtSvidRejected as refused:
            return refused.rejection
        return Principal(spiffe_id, AuthMode.JWT)

    def authenticate(self, request: Request) -> Principal | AuthRejection:
        """The admitted principal, or why the request is refused."""
        outcome: Principal | AuthRejection | None = None
        cert = request.extensions.get(PEER_CERT_KEY)
        if AuthMode.MTLS in self.modes and isinstance(cert, PeerCert):
            outcome = self._from_certificate(cert)
        if outcome is None and AuthMode.JWT in self.modes:
            outcome = self._from_bearer(request)
        if outcome is None:
            return _MISSING
        if isinstance(outcome, Principal) and not self.policy.admits(outcome.id):
            return _DENIED
        return outcome

    def wrap(self, inner: Service) -> Service:
        authenticate = self.authenticate
        is_exempt = self._exempt
        realm = self.realm
        bearer = AuthMode.JWT in self.modes

        async def spiffe_auth_service(request: Request) -> Response:
            if is_exempt(request.path):
                return await inner(request)
            outcome = authenticate(request)
            if isinstance(outcome, AuthRejection):
                return outcome.into_response(realm, bearer)
            request.extensions[PRINCIPAL_KEY] = outcome
            return await inner(request)

        return spiffe_auth_service
