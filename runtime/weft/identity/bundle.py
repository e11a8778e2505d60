"""Trust bundles: per trust domain, the X.509 roots that sign X.509-SVIDs and
the public keys (by key id) that sign JWT-SVIDs.

Files are read in either of two formats, told apart by their content:

* PEM: one or more `CERTIFICATE` blocks, all X.509 roots;
* JSON: a SPIFFE bundle, i.e. a JWK set whose keys have `"use": "x509-svid"`
  (the root in `x5c`) or `"use": "jwt-svid"` (a public JWK with a `kid`).
  A plain JWK set whose keys carry no `use` is read as JWT keys.

A bundle is immutable; a reload builds new ones and swaps them in whole.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, final

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

__all__ = ["BundleSet", "TrustBundle", "TrustBundleError", "load_bundle"]

# A public key object PyJWT verifies with (a `cryptography` key); library seam.
PublicKey = Any


class TrustBundleError(ValueError):
    """A bundle file cannot be used; the message names the file and why."""


@final
@dataclass(frozen=True, slots=True)
class TrustBundle:
    """The trust anchors of one trust domain."""

    trust_domain: str
    x509_roots: tuple[x509.Certificate, ...] = ()
    jwt_keys: Mapping[str, PublicKey] = field(default_factory=lambda: MappingProxyType({}))

    def roots_pem(self) -> str:
        return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii")
                       for c in self.x509_roots)


@final
@dataclass(frozen=True, slots=True)
class BundleSet:
    """Every trusted domain's bundle at one moment; `generation` counts reloads."""

    bundles: Mapping[str, TrustBundle]
    generation: int

    def get(self, trust_domain: str) -> TrustBundle | None:
        return self.bundles.get(trust_domain)

    def all_roots_pem(self) -> str:
        return "".join(b.roots_pem() for b in self.bundles.values())


def _jwk_key(jwk: Mapping[str, Any], source: str) -> tuple[str, PublicKey]:
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TrustBundleError(f"{source}: a JWT-SVID key needs a 'kid'")
    try:
        key = jwt.PyJWK(dict(jwk)).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
        raise TrustBundleError(f"{source}: key {kid!r} is not a usable JWK: {exc}") from None
    if hasattr(key, "private_bytes"):
        raise TrustBundleError(f"{source}: key {kid!r} is a private key; bundles hold public keys")
    return kid, key


def _from_json(text: str, source: str) -> tuple[list[x509.Certificate], dict[str, PublicKey]]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise TrustBundleError(f"{source}: not JSON ({exc})") from None
    keys = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(keys, list):
        raise TrustBundleError(f"{source}: a SPIFFE bundle is a JWK set with a 'keys' list")
    roots: list[x509.Certificate] = []
    jwt_keys: dict[str, PublicKey] = {}
    for jwk in keys:
        if not isinstance(jwk, dict):
            raise TrustBundleError(f"{source}: every entry of 'keys' is an object")
        use = jwk.get("use", "jwt-svid")
        if use == "x509-svid":
            chain = jwk.get("x5c")
            if not isinstance(chain, list) or len(chain) != 1:
                raise TrustBundleError(f"{source}: an x509-svid key has exactly one 'x5c' entry")
            try:
                roots.append(x509.load_der_x509_certificate(base64.b64decode(chain[0])))
            except ValueError as exc:
                raise TrustBundleError(f"{source}: bad x5c certificate ({exc})") from None
        elif use == "jwt-svid":
            kid, key = _jwk_key(jwk, source)
            jwt_keys[kid] = key
        # Other uses are skipped, as the bundle format asks of unknown ones.
    return roots, jwt_keys


def load_bundle(trust_domain: str, paths: Iterable[str]) -> TrustBundle:
    """Read `paths` (PEM roots or SPIFFE/JWK-set JSON) into one bundle."""
    roots: list[x509.Certificate] = []
    jwt_keys: dict[str, PublicKey] = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise TrustBundleError(f"cannot read bundle file {path!r}: {exc.strerror}") from None
        text = data.decode("utf-8", errors="replace")
        if text.lstrip().startswith("{"):
            more_roots, more_keys = _from_json(text, path)
            roots.extend(more_roots)
            jwt_keys.update(more_keys)
        else:
            try:
                roots.extend(x509.load_pem_x509_certificates(data))
            except ValueError as exc:
                raise TrustBundleError(f"{path}: neither PEM certificates nor JSON ({exc})"
                                       ) from None
    return TrustBundle(trust_domain, tuple(roots), MappingProxyType(jwt_keys))
