"""Verum's SPIFFE surface (`core.net.weft.spiffe`, `core.security.spiffe.*`)
over `weft.identity`.

Verum's `TrustBundleProvider` is a protocol a program implements with one
X.509 bundle and one JWT bundle (`StaticBundles` in the corpus); weft's is a
file-watching class keyed by trust domain. `SpiffeAuthLayer.jwt/mtls`
here take the Verum kind and ask it for its bundles on every request
(so a provider that rotates is honoured), then authenticate with weft's
layer: the same JWT-SVID and mTLS rules, problem+json answers and
`request.extensions["weft.principal"]`.

JWT-SVIDs must be checked against an audience (SPIFFE requires `aud`);
Verum's `jwt(provider)` names none, so it reads `WEFT_SPIFFE_AUDIENCE`
(comma-separated) and refuses to build the layer without it;
`jwt_for(provider, audience)` takes it explicitly.

`Principal.matches` follows Verum: `*` stands for one whole segment and the
segment counts must be equal (`spiffe://prod/*/sa/admin`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Protocol, cast, final

from cryptography import x509

from weft.errors import problem
from weft.http_types import Response
from weft.identity import (
    BundleSet,
    Principal,
    SpiffeId,
    SpiffeIdError,
    TrustBundle,
    TrustBundleError,
    TrustBundleProvider,
    load_bundle,
)
from weft.identity import SpiffeAuthLayer as _RuntimeLayer
from weft.identity.bundle import PublicKey
from weft.result import Err, Ok, Result
from weft.types import Service

__all__ = [
    "AUDIENCE_ENV",
    "AuthRejection",
    "BundleSource",
    "Expired",
    "InvalidCredential",
    "JwtBundle",
    "MissingCredential",
    "SpiffeAuthLayer",
    "UntrustedSource",
    "X509Bundle",
    "parse_spiffe_id",
    "principal_matches",
    "rejection_message",
    "rejection_response",
    "rejection_status",
]

AUDIENCE_ENV: Final = "WEFT_SPIFFE_AUDIENCE"


# ------------------------------------------------------------ ids and bundles


def parse_spiffe_id(text: str) -> Result[SpiffeId, str]:
    """Verum's `SpiffeId.parse`: the ID, or the rule the text breaks."""
    try:
        return Ok(SpiffeId.parse(text))
    except SpiffeIdError as e:
        return Err(str(e))


def principal_matches(principal: Principal, pattern: str) -> bool:
    """Verum's glob: equal segment counts, `*` matches any one segment."""
    ids = principal.id.to_text().split("/")
    pats = pattern.split("/")
    return len(ids) == len(pats) and all(p in ("*", i) for p, i in zip(pats, ids, strict=True))


@final
@dataclass(frozen=True, slots=True)
class X509Bundle:
    """The X.509 roots one trust domain's SVIDs chain to."""

    trust_domain: str
    roots: tuple[x509.Certificate, ...]

    @classmethod
    def load(cls, trust_domain: str, path: str) -> Result[X509Bundle, str]:
        """From PEM roots or a SPIFFE bundle (JWK set) file."""
        try:
            bundle = load_bundle(trust_domain, [path])
        except (TrustBundleError, SpiffeIdError) as e:
            return Err(str(e))
        return Ok(cls(trust_domain, bundle.x509_roots))

    def clone(self) -> X509Bundle:
        return self


@final
@dataclass(frozen=True, slots=True)
class JwtBundle:
    """The JWT-SVID signing keys of one trust domain, by key id."""

    trust_domain: str
    keys: Mapping[str, PublicKey]

    @classmethod
    def load(cls, trust_domain: str, path: str) -> Result[JwtBundle, str]:
        """From a SPIFFE bundle (JWK set) file."""
        try:
            bundle = load_bundle(trust_domain, [path])
        except (TrustBundleError, SpiffeIdError) as e:
            return Err(str(e))
        return Ok(cls(trust_domain, bundle.jwt_keys))

    def clone(self) -> JwtBundle:
        return self


class BundleSource(Protocol):
    """Verum's `TrustBundleProvider` protocol, as the generated classes implement it."""

    def x509_bundle(self) -> X509Bundle | None: ...
    def jwt_bundle(self) -> JwtBundle | None: ...
    def reload(self) -> Result[None, str]: ...


@final
class _ProtocolBundles:
    """What weft's layer reads from a provider, asked of a Verum one per call."""

    __slots__ = ("source",)

    def __init__(self, source: BundleSource) -> None:
        self.source = source

    def current(self) -> BundleSet:
        x5, jw = self.source.x509_bundle(), self.source.jwt_bundle()
        merged: dict[str, TrustBundle] = {}
        if x5 is not None:
            merged[x5.trust_domain] = TrustBundle(x5.trust_domain, x5.roots)
        if jw is not None:
            roots = merged[jw.trust_domain].x509_roots if jw.trust_domain in merged else ()
            merged[jw.trust_domain] = TrustBundle(jw.trust_domain, roots,
                                                  MappingProxyType(dict(jw.keys)))
        return BundleSet(MappingProxyType(merged), 0)

    def x509_bundle(self, trust_domain: str) -> TrustBundle | None:
        bundle = self.current().get(trust_domain)
        return bundle if bundle is not None and bundle.x509_roots else None

    def jwt_bundle(self, trust_domain: str) -> TrustBundle | None:
        bundle = self.current().get(trust_domain)
        return bundle if bundle is not None and bundle.jwt_keys else None


# ------------------------------------------------------------ the layer


def _audience_from_env() -> tuple[str, ...]:
    names = tuple(a.strip() for a in os.environ.get(AUDIENCE_ENV, "").split(",") if a.strip())
    if not names:
        raise ValueError(f"SpiffeAuthLayer.jwt: JWT-SVIDs are checked against an audience; "
                         f"set {AUDIENCE_ENV} (comma-separated) or use "
                         "SpiffeAuthLayer.jwt_for(provider, audience)")
    return names


@final
class SpiffeAuthLayer:
    """Verum's `SpiffeAuthLayer<P>`: wraps a service in weft's SPIFFE authentication."""

    __slots__ = ("runtime",)

    def __init__(self, runtime: _RuntimeLayer) -> None:
        self.runtime = runtime

    @classmethod
    def jwt(cls, provider: BundleSource) -> SpiffeAuthLayer:
        return cls.jwt_for(provider, ",".join(_audience_from_env()))

    @classmethod
    def jwt_for(cls, provider: BundleSource, audience: str) -> SpiffeAuthLayer:
        auds = tuple(a.strip() for a in audience.split(",") if a.strip())
        return cls(_RuntimeLayer.jwt(_runtime_provider(provider), auds))

    @classmethod
    def mtls(cls, provider: BundleSource) -> SpiffeAuthLayer:
        return cls(_RuntimeLayer.mtls(_runtime_provider(provider)))

    def wrap(self, inner: Service) -> Service:
        return self.runtime.wrap(inner)


def _runtime_provider(source: BundleSource) -> TrustBundleProvider:
    # Seam: weft's layer is annotated with its file-based provider class but
    # reads only `current()` and `x509_bundle(td)`, which `_ProtocolBundles`
    # has. (Hook wanted: a `BundleSource` Protocol in weft.identity.layer.)
    return cast(TrustBundleProvider, _ProtocolBundles(source))


# ------------------------------------------------------------ rejections


@final
@dataclass(frozen=True, slots=True)
class MissingCredential:
    pass


@final
@dataclass(frozen=True, slots=True)
class InvalidCredential:
    reason: str


@final
@dataclass(frozen=True, slots=True)
class Expired:
    pass


@final
@dataclass(frozen=True, slots=True)
class UntrustedSource:
    pass


AuthRejection = MissingCredential | InvalidCredential | Expired | UntrustedSource


def rejection_status(r: AuthRejection) -> int:
    """Verum's table: an untrusted issuer is 403, every other failure 401."""
    return 403 if isinstance(r, UntrustedSource) else 401


def rejection_message(r: AuthRejection) -> str:
    match r:
        case MissingCredential():
            return "missing credential"
        case InvalidCredential():
            return "invalid credential"
        case Expired():
            return "credential expired"
        case UntrustedSource():
            return "untrusted issuer"


def rejection_response(r: AuthRejection) -> Response:
    """problem+json with the status and the fixed, safe message."""
    return problem(rejection_status(r), detail=rejection_message(r))
