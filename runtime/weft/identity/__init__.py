"""Workload identity (SPIFFE): IDs, trust bundles that rotate without a
restart, mTLS and JWT-SVID authentication, and the caller's principal for
handlers. See docs/runtime/observability-identity.md.

    provider = TrustBundleProvider({"prod.example": "/etc/spiffe/bundle.json"},
                                   poll_interval=5.0)
    tls_context = SpiffeTlsTrust(provider).server_context(tls_config)
    layer = SpiffeAuthLayer(provider, audience="orders",
                            policy=SpiffePolicy(allow=("spiffe://prod.example/ns/shop",)))
"""

from weft.identity.bundle import BundleSet, TrustBundle, TrustBundleError, load_bundle
from weft.identity.jwt_svid import JWT_SVID_ALGORITHMS, JwtSvidRejected, validate_jwt_svid
from weft.identity.layer import SpiffeAuthLayer
from weft.identity.policy import SpiffePolicy
from weft.identity.principal import (
    PRINCIPAL_KEY,
    AuthMode,
    AuthRejection,
    Caller,
    FromPrincipal,
    NoPrincipal,
    Principal,
    RejectionKind,
    principal_of,
    require_principal,
)
from weft.identity.provider import TrustBundleProvider
from weft.identity.spiffe_id import SpiffeId, SpiffeIdError
from weft.identity.tls import SpiffeTlsTrust

__all__ = [
    "JWT_SVID_ALGORITHMS",
    "PRINCIPAL_KEY",
    "AuthMode",
    "AuthRejection",
    "BundleSet",
    "Caller",
    "FromPrincipal",
    "JwtSvidRejected",
    "NoPrincipal",
    "Principal",
    "RejectionKind",
    "SpiffeAuthLayer",
    "SpiffeId",
    "SpiffeIdError",
    "SpiffePolicy",
    "SpiffeTlsTrust",
    "TrustBundle",
    "TrustBundleError",
    "TrustBundleProvider",
    "load_bundle",
    "principal_of",
    "require_principal",
    "validate_jwt_svid",
]
