"""weft.identity without sockets: SPIFFE ID grammar, policy patterns, bundle
files, reload failure and polling, and the JWT-SVID checks."""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import jwt
import pytest
import weft.identity
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm
from weft.http_types import Request
from weft.identity import (
    AuthMode,
    JwtSvidRejected,
    Principal,
    RejectionKind,
    SpiffeId,
    SpiffeIdError,
    SpiffePolicy,
    TrustBundleError,
    TrustBundleProvider,
    load_bundle,
    principal_of,
    require_principal,
    validate_jwt_svid,
)
from weft.identity.principal import PRINCIPAL_KEY, NoPrincipal


def test_exports_are_pinned() -> None:
    assert sorted(weft.identity.__all__) == sorted([
        "JWT_SVID_ALGORITHMS", "PRINCIPAL_KEY", "AuthMode", "AuthRejection", "BundleSet",
        "Caller", "FromPrincipal", "JwtSvidRejected", "NoPrincipal", "Principal",
        "RejectionKind", "SpiffeAuthLayer", "SpiffeId", "SpiffeIdError", "SpiffePolicy",
        "SpiffeTlsTrust", "TrustBundle", "TrustBundleError", "TrustBundleProvider",
        "load_bundle", "principal_of", "require_principal", "validate_jwt_svid"])


@pytest.mark.parametrize("text", [
    "spiffe://example.org", "spiffe://example.org/ns/prod/sa/web",
    "spiffe://a-b_c.d/A.b-_9"])
def test_valid_ids_round_trip(text: str) -> None:
    assert SpiffeId.parse(text).to_text() == text


@pytest.mark.parametrize("text", [
    "SPIFFE://example.org", "spiffe://", "spiffe:///path", "spiffe://Example.org/x",
    "spiffe://example.org:8443/x", "spiffe://user@example.org/x", "spiffe://example.org/",
    "spiffe://example.org//x", "spiffe://example.org/a/../b", "spiffe://example.org/./b",
    "spiffe://example.org/x?q=1", "spiffe://example.org/x#f", "spiffe://example.org/%41",
    "https://example.org/x", "spiffe://example.org/" + "a" * 2100])
def test_invalid_ids_are_refused(text: str) -> None:
    with pytest.raises(SpiffeIdError):
        SpiffeId.parse(text)


def test_patterns_match_by_segment() -> None:
    web = SpiffeId.parse("spiffe://td/ns/prod/web")
    assert web.matches("spiffe://td") and web.matches("spiffe://td/ns/prod")
    assert web.matches("spiffe://td/ns/prod/") and web.matches("spiffe://td/ns/prod/web")
    assert not web.matches("spiffe://td/ns/pro") and not web.matches("spiffe://other")
    assert not web.matches("https://td/ns")
    policy = SpiffePolicy(allow=("spiffe://td/ns",), deny=("spiffe://td/ns/prod/web",))
    assert not policy.admits(web)
    assert policy.admits(SpiffeId.parse("spiffe://td/ns/prod/api"))
    assert not policy.admits(SpiffeId.parse("spiffe://td/other"))
    assert SpiffePolicy().admits(web)
    assert SpiffePolicy.trust_domains("td").admits(web)
    with pytest.raises(SpiffeIdError):
        SpiffePolicy(allow=("spiffe://TD",))


def test_principal_accessors() -> None:
    request = Request("GET", "/")
    assert principal_of(request) is None
    with pytest.raises(NoPrincipal):
        require_principal(request)
    who = Principal(SpiffeId.parse("spiffe://td/w"), AuthMode.JWT)
    request.extensions[PRINCIPAL_KEY] = who
    assert principal_of(request) is who and require_principal(request).matches("spiffe://td")


def _root(folder: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "root")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path = folder / "roots.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) * 2)
    return path


def _jwks(folder: Path, name: str, kid: str, key: ec.EllipticCurvePrivateKey) -> Path:
    path = folder / name
    jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    path.write_text(json.dumps({"keys": [{**jwk, "kid": kid}]}))
    return path


def test_bundles_from_pem_and_jwk_set(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    bundle = load_bundle("td", [str(_root(tmp_path)), str(_jwks(tmp_path, "k.json", "k1", key))])
    assert len(bundle.x509_roots) == 2 and set(bundle.jwt_keys) == {"k1"}
    assert bundle.roots_pem().count("BEGIN CERTIFICATE") == 2
    private = tmp_path / "private.json"
    private.write_text(json.dumps({"keys": [{**json.loads(ECAlgorithm.to_jwk(key)),
                                             "kid": "p"}]}))
    for bad, message in [(tmp_path / "missing.pem", "cannot read"),
                         (private, "private key"),
                         (tmp_path / "junk.pem", "neither PEM"),
                         (tmp_path / "nokid.json", "kid")]:
        if bad.name == "junk.pem":
            bad.write_text("junk")
        if bad.name == "nokid.json":
            bad.write_text(json.dumps({"keys": [ECAlgorithm.to_jwk(key.public_key(),
                                                                   as_dict=True)]}))
        with pytest.raises(TrustBundleError, match=message):
            load_bundle("td", [str(bad)])


def test_failed_reload_keeps_the_bundles_in_force(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = _jwks(tmp_path, "td.json", "k1", key)
    clock = [0.0]
    provider = TrustBundleProvider({"td": str(path)}, poll_interval=1.0, clock=lambda: clock[0])
    path.write_text("{ half written")
    with pytest.raises(TrustBundleError):
        provider.reload()
    assert provider.generation == 1 and provider.last_error is not None
    assert provider.jwt_bundle("td") is not None
    clock[0] = 5.0
    assert provider.current().generation == 1  # polling does not retry the same broken file
    _jwks(tmp_path, "td.json", "k2", key)
    clock[0] = 10.0
    assert provider.current().generation == 2 and provider.last_error is None
    bundle = provider.jwt_bundle("td")
    assert bundle is not None and set(bundle.jwt_keys) == {"k2"}
    assert provider.x509_bundle("td") is None and provider.x509_bundle("other") is None
    with pytest.raises(ValueError):
        TrustBundleProvider({"Bad Domain": str(path)})


def test_jwt_svid_rules(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    bundles = TrustBundleProvider({"td": str(_jwks(tmp_path, "k.json", "k1", key))}).current()
    now = int(time.time())
    claims = {"sub": "spiffe://td/w", "aud": ["a", "b"], "exp": now + 60}

    def check(token: str) -> RejectionKind | SpiffeId:
        try:
            return validate_jwt_svid(token, bundles, ["b"])[0]
        except JwtSvidRejected as refused:
            return refused.rejection.kind

    good = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k1"})
    assert check(good) == SpiffeId("td", "/w")
    assert check(jwt.encode(claims, key, algorithm="ES256")) is RejectionKind.INVALID_CREDENTIAL
    no_exp = {k: v for k, v in claims.items() if k != "exp"}
    assert check(jwt.encode(no_exp, key, algorithm="ES256", headers={"kid": "k1"})
                 ) is RejectionKind.INVALID_CREDENTIAL
    no_aud = {k: v for k, v in claims.items() if k != "aud"}
    assert check(jwt.encode(no_aud, key, algorithm="ES256", headers={"kid": "k1"})
                 ) is RejectionKind.INVALID_CREDENTIAL
    expired = {**claims, "exp": now - 10}
    assert check(jwt.encode(expired, key, algorithm="ES256", headers={"kid": "k1"})
                 ) is RejectionKind.EXPIRED
    # ES384 with a P-256 key: the key does not suit the algorithm.
    p384 = ec.generate_private_key(ec.SECP384R1())
    assert check(jwt.encode(claims, p384, algorithm="ES384", headers={"kid": "k1"})
                 ) is RejectionKind.INVALID_CREDENTIAL
    assert check("not.a.jwt") is RejectionKind.INVALID_CREDENTIAL
    assert check(jwt.encode({**claims, "sub": "spiffe://elsewhere/w"}, key, algorithm="ES256",
                            headers={"kid": "k1"})) is RejectionKind.UNTRUSTED_SOURCE
