"""SPIFFE identity against real connections: a CA and SVIDs minted at test
time, a weft HTTP/1.1 connection behind TLS with client-certificate
verification on 127.0.0.1, httpx clients presenting SVIDs, JWT-SVIDs
(ES256, RS256), and bundle rotation without a restart."""

from __future__ import annotations

import asyncio
import base64
import datetime
import functools
import ipaddress
import json
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from weft import Router, reactor
from weft.connection import ConnectionContext, Http1Connection
from weft.identity import (
    AuthMode,
    Caller,
    FromPrincipal,
    Principal,
    SpiffeAuthLayer,
    SpiffePolicy,
    SpiffeTlsTrust,
    TrustBundleProvider,
)
from weft.protocols.http1 import Http1Limits
from weft.transport.tls import TlsConfig
from weft.types import Service

from tests.weft.helpers import RunningServer

NOW = datetime.datetime.now(datetime.UTC)
Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

# --------------------------------------------------------------------------
# Minting
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Authority:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def new(cls, name: str) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        usage = x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                              content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False,
                              encipher_only=False, decipher_only=False)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(NOW - datetime.timedelta(minutes=5))
                .not_valid_after(NOW + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(usage, critical=True)
                .sign(key, hashes.SHA256()))
        return cls(cert, key)

    def issue(self, folder: Path, stem: str, san: x509.GeneralName,
              client: bool = True) -> tuple[str, str]:
        """A leaf certificate and key, written as PEM files."""
        key = ec.generate_private_key(ec.SECP256R1())
        eku = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        cert = (x509.CertificateBuilder().subject_name(x509.Name([]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(NOW - datetime.timedelta(minutes=5))
                .not_valid_after(NOW + datetime.timedelta(hours=1))
                .add_extension(x509.SubjectAlternativeName([san]), critical=True)
                .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(self.key, hashes.SHA256()))
        cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return str(cert_path), str(key_path)

    def svid(self, folder: Path, spiffe_id: str) -> tuple[str, str]:
        stem = spiffe_id.rsplit("/", 1)[-1] + "-" + self.cert.subject.rfc4514_string()[3:]
        return self.issue(folder, stem, x509.UniformResourceIdentifier(spiffe_id))


def write_bundle(path: Path, roots: list[Authority], jwt_keys: dict[str, Key]) -> None:
    """A SPIFFE bundle (JWK set) with x509-svid roots and jwt-svid keys."""
    keys: list[dict[str, Any]] = []
    for ca in roots:
        der = ca.cert.public_bytes(serialization.Encoding.DER)
        keys.append({"use": "x509-svid", "kty": "EC", "crv": "P-256",
                     "x5c": [base64.b64encode(der).decode()],
                     **{k: v for k, v in ECAlgorithm.to_jwk(ca.key.public_key(),
                                                            as_dict=True).items()
                        if k in ("x", "y")}})
    for kid, key in jwt_keys.items():
        jwk = (RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
               if isinstance(key, rsa.RSAPrivateKey)
               else ECAlgorithm.to_jwk(key.public_key(), as_dict=True))
        keys.append({**jwk, "use": "jwt-svid", "kid": kid})
    text = json.dumps({"spiffe_sequence": 1, "keys": keys})
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)  # an atomic swap, as a rotation agent does


def jwt_svid(key: Key, kid: str, sub: str, aud: str | list[str] = "orders",
             ttl: int = 300, alg: str | None = None) -> str:
    alg = alg or ("RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256")
    now = int(time.time())
    return jwt.encode({"sub": sub, "aud": aud, "exp": now + ttl, "iat": now}, key,
                      algorithm=alg, headers={"kid": kid})


# --------------------------------------------------------------------------
# The service under test
# --------------------------------------------------------------------------


def whoami(caller: Caller, principal: Annotated[Principal, FromPrincipal()]) -> str:
    return f"{caller} {principal.mode.value}"


def stack(layer: SpiffeAuthLayer) -> Service:
    router = Router().get("/whoami", whoami).get("/health", lambda: "ok")
    return layer.wrap(router)


@asynccontextmanager
async def serve_tls(service: Service, context: ssl.SSLContext) -> AsyncIterator[int]:
    """The weft HTTP/1.1 connection on a TLS listener (the `Server` builds its
    context from a `TlsConfig` alone; see the report for the hook)."""
    loop = asyncio.get_running_loop()
    conns = ConnectionContext(service, Http1Limits(), loop, 100)
    server = await loop.create_server(functools.partial(Http1Connection, conns),
                                      "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for conn in list(conns.connections):
            conn.abort()


@dataclass
class Pki:
    folder: Path
    server_ca: Authority
    tls: TlsConfig

    def client(self, svid: tuple[str, str] | None) -> ssl.SSLContext:
        ctx = ssl.create_default_context(
            cadata=self.server_ca.cert.public_bytes(serialization.Encoding.PEM).decode())
        if svid is not None:
            ctx.load_cert_chain(*svid)
        return ctx


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    server_ca = Authority.new("server CA")
    cert, key = server_ca.issue(tmp_path, "server",
                                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), client=False)
    return Pki(tmp_path, server_ca, TlsConfig(cert, key, alpn=("http/1.1",)))


async def get(port: int, ctx: ssl.SSLContext, headers: dict[str, str] | None = None,
              path: str = "/whoami") -> httpx.Response | None:
    """One request on a fresh connection; None when the handshake was refused."""
    try:
        async with httpx.AsyncClient(verify=ctx, timeout=10) as client:
            return await client.get(f"https://127.0.0.1:{port}{path}", headers=headers)
    except (httpx.HTTPError, ssl.SSLError):
        return None


def run(coro: Any) -> Any:
    """On the loop the weft server uses (uvloop where available)."""
    async def bounded() -> Any:
        return await asyncio.wait_for(coro, 60)
    with asyncio.Runner(loop_factory=reactor.new_event_loop) as runner:
        return runner.run(bounded())


# --------------------------------------------------------------------------
# mTLS
# --------------------------------------------------------------------------


def test_mtls_principal_reaches_the_handler(pki: Pki) -> None:
    domain = Authority.new("a.test CA")
    bundle = pki.folder / "a.json"
    write_bundle(bundle, [domain], {})
    provider = TrustBundleProvider({"a.test": str(bundle)})
    layer = SpiffeAuthLayer.mtls(provider, policy=SpiffePolicy(deny=("spiffe://a.test/admin",)),
                                 exempt=("/health",))
    context = SpiffeTlsTrust(provider).server_context(pki.tls)
    billing = domain.svid(pki.folder, "spiffe://a.test/ns/billing")
    admin = domain.svid(pki.folder, "spiffe://a.test/admin")
    stranger = Authority.new("other CA").svid(pki.folder, "spiffe://a.test/ns/billing")

    async def main() -> None:
        async with serve_tls(stack(layer), context) as port:
            ok = await get(port, pki.client(billing))
            assert ok is not None and ok.status_code == 200
            assert ok.text == "spiffe://a.test/ns/billing mtls"
            denied = await get(port, pki.client(admin))
            assert denied is not None and denied.status_code == 403
            assert denied.headers["content-type"] == "application/problem+json"
            assert denied.json()["status"] == 403
            # A certificate from a CA outside the bundle fails the handshake.
            assert await get(port, pki.client(stranger)) is None
            # No certificate: the handshake requires one.
            assert await get(port, pki.client(None)) is None
    run(main())


def test_optional_client_auth_falls_back_to_jwt(pki: Pki) -> None:
    from weft.transport.tls import ClientAuth
    domain = Authority.new("a.test CA")
    signer = ec.generate_private_key(ec.SECP256R1())
    bundle = pki.folder / "a.json"
    write_bundle(bundle, [domain], {"k1": signer})
    provider = TrustBundleProvider({"a.test": str(bundle)})
    layer = SpiffeAuthLayer(provider, audience="orders")
    context = SpiffeTlsTrust(provider, client_auth=ClientAuth.OPTIONAL).server_context(pki.tls)
    svid = domain.svid(pki.folder, "spiffe://a.test/by-cert")
    token = jwt_svid(signer, "k1", "spiffe://a.test/by-token")

    async def main() -> None:
        async with serve_tls(stack(layer), context) as port:
            by_cert = await get(port, pki.client(svid))
            assert by_cert is not None and by_cert.text == "spiffe://a.test/by-cert mtls"
            by_token = await get(port, pki.client(None), {"authorization": f"Bearer {token}"})
            assert by_token is not None and by_token.text == "spiffe://a.test/by-token jwt"
            anonymous = await get(port, pki.client(None))
            assert anonymous is not None and anonymous.status_code == 401
            assert anonymous.headers["www-authenticate"] == 'Bearer realm="weft"'
    run(main())


def test_rotation_takes_effect_without_restart(pki: Pki) -> None:
    old_ca, new_ca = Authority.new("a.test CA 1"), Authority.new("a.test CA 2")
    old_key, new_key = ec.generate_private_key(ec.SECP256R1()), rsa.generate_private_key(
        public_exponent=65537, key_size=2048)
    bundle = pki.folder / "a.json"
    write_bundle(bundle, [old_ca], {"old": old_key})
    clock = [0.0]
    provider = TrustBundleProvider({"a.test": str(bundle)}, poll_interval=5.0,
                                   clock=lambda: clock[0])
    layer = SpiffeAuthLayer(provider, audience="orders")
    context = SpiffeTlsTrust(provider).server_context(pki.tls)
    old_svid = old_ca.svid(pki.folder, "spiffe://a.test/w1")
    new_svid = new_ca.svid(pki.folder, "spiffe://a.test/w2")
    old_token = {"authorization": f"Bearer {jwt_svid(old_key, 'old', 'spiffe://a.test/j1')}"}
    new_token = {"authorization": f"Bearer {jwt_svid(new_key, 'new', 'spiffe://a.test/j2')}"}

    async def main() -> None:
        async with serve_tls(stack(layer), context) as port:
            first = await get(port, pki.client(old_svid))
            assert first is not None and first.text == "spiffe://a.test/w1 mtls"
            assert await get(port, pki.client(new_svid)) is None

            # Rotate by replacing the file; polling notices after the interval.
            write_bundle(bundle, [new_ca], {"new": new_key})
            assert provider.generation == 1
            clock[0] = 6.0

            assert await get(port, pki.client(old_svid)) is None
            assert provider.generation == 2
            second = await get(port, pki.client(new_svid))
            assert second is not None and second.text == "spiffe://a.test/w2 mtls"
    run(main())

    # The JWT keys rotated in the same file; check them on a plain listener.

    jwt_layer = SpiffeAuthLayer.jwt(provider, audience="orders")
    service = stack(jwt_layer)
    running = RunningServer(service, _plain_config())
    try:
        url = f"http://127.0.0.1:{running.port}/whoami"
        with httpx.Client(timeout=10) as http:
            assert http.get(url, headers=new_token).text == "spiffe://a.test/j2 jwt"
            assert http.get(url, headers=old_token).status_code == 401
            # And back: an explicit reload() swaps again, the next request sees it.
            write_bundle(bundle, [old_ca], {"old": old_key})
            running.sync(provider.reload)
            assert http.get(url, headers=old_token).text == "spiffe://a.test/j1 jwt"
            refused = http.get(url, headers=new_token)
            assert refused.status_code == 401
            assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    finally:
        running.stop()


def _plain_config() -> Any:
    from weft.server import ServerConfig
    return ServerConfig(host="127.0.0.1", port=0)


# --------------------------------------------------------------------------
# JWT-SVIDs over HTTP
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ES256", "RS256"])
def test_jwt_svid_outcomes(tmp_path: Path, kind: str) -> None:
    signer: Key = (ec.generate_private_key(ec.SECP256R1()) if kind == "ES256"
                   else rsa.generate_private_key(public_exponent=65537, key_size=2048))
    other: Key = ec.generate_private_key(ec.SECP256R1())
    write_bundle(tmp_path / "a.json", [], {"k": signer})
    write_bundle(tmp_path / "b.json", [], {"k": other})
    provider = TrustBundleProvider({"a.test": str(tmp_path / "a.json"),
                                    "b.test": str(tmp_path / "b.json")})
    layer = SpiffeAuthLayer.jwt(provider, audience=["orders", "orders-v2"],
                                policy=SpiffePolicy(allow=("spiffe://a.test/ns/shop",),
                                                    deny=("spiffe://a.test/ns/shop/legacy",)))
    running = RunningServer(stack(layer), _plain_config())

    def call(token: str | None) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.get(f"http://127.0.0.1:{running.port}/whoami", headers=headers, timeout=10)

    def described(resp: httpx.Response) -> str:
        assert resp.status_code == 401, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        return str(resp.json()["detail"])

    try:
        ok = call(jwt_svid(signer, "k", "spiffe://a.test/ns/shop/cart", aud="orders-v2"))
        assert ok.status_code == 200 and ok.text == "spiffe://a.test/ns/shop/cart jwt"
        assert described(call(None)) == "a workload identity is required"
        assert described(call(jwt_svid(signer, "k", "spiffe://a.test/ns/shop",
                                       ttl=-60))) == "the token has expired"
        assert described(call(jwt_svid(signer, "k", "spiffe://a.test/ns/shop",
                                       aud="billing"))) == "the token is not meant for this audience"
        assert described(call(jwt_svid(signer, "k", "https://a.test/ns/shop"))
                         ) == "the token's subject is not a SPIFFE ID"
        assert described(call(jwt_svid(signer, "k", "spiffe://c.test/ns/shop"))
                         ) == "the token's trust domain is not trusted"
        # Signed by a.test's key but claiming b.test: b.test's bundle does not verify it.
        assert described(call(jwt_svid(signer, "k", "spiffe://b.test/x"))) in (
            "the token's signature does not verify", "the token's key is not in the trust bundle")
        assert described(call(jwt_svid(signer, "nope", "spiffe://a.test/ns/shop"))
                         ) == "the token's key is not in the trust bundle"
        hmac = jwt.encode({"sub": "spiffe://a.test/ns/shop", "aud": "orders",
                           "exp": int(time.time()) + 60}, "s" * 32, algorithm="HS256",
                          headers={"kid": "k"})
        assert described(call(hmac)) == "the token's algorithm is not accepted"
        # Trusted and valid, but outside the allowed path, or explicitly denied: 403.
        for sub in ("spiffe://a.test/ns/shopping", "spiffe://a.test/ns/shop/legacy/x",
                    "spiffe://b.test/ns/shop"):
            key = other if sub.startswith("spiffe://b.test") else signer
            resp = call(jwt_svid(key, "k", sub))
            assert resp.status_code == 403, (sub, resp.text)
            assert "www-authenticate" not in resp.headers
    finally:
        running.stop()


def test_handler_without_layer_gets_401_from_the_extractor() -> None:
    running = RunningServer(Router().get("/whoami", whoami), _plain_config())
    try:
        resp = httpx.get(f"http://127.0.0.1:{running.port}/whoami", timeout=10)
        assert resp.status_code == 401 and resp.json()["status"] == 401
    finally:
        running.stop()


def test_layer_requires_an_audience_for_jwt(tmp_path: Path) -> None:
    write_bundle(tmp_path / "a.json", [], {"k": ec.generate_private_key(ec.SECP256R1())})
    provider = TrustBundleProvider({"a.test": str(tmp_path / "a.json")})
    with pytest.raises(ValueError, match="audience"):
        SpiffeAuthLayer(provider)
    assert SpiffeAuthLayer.mtls(provider).modes == frozenset({AuthMode.MTLS})

