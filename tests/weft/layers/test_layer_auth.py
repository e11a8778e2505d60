"""AuthLayer.jwt: HS256, RS256 and ES256 tokens, refusals, RFC 6750 challenges."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from layer_support import drive_eagerly, request, run
from weft.http_types import Request, Response
from weft.layers.auth import CLAIMS_KEY, AuthLayer, mint_dev_token
from weft.types import Service

SECRET = "s3cret-for-tests-0123456789abcdef"  # 33 bytes: long enough for HS256
OTHER = "another-secret-for-tests-0123456789"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "alice", "iat": now, "exp": now + 600, **extra}


class Echo:
    """A handler that keeps the claims it was given."""

    def __init__(self) -> None:
        self.claims: dict[str, Any] | None = None
        self.calls = 0

    async def __call__(self, req: Request) -> Response:
        self.calls += 1
        self.claims = req.extensions.get(CLAIMS_KEY)
        return Response(200)


def call(svc: Service, authorization: str | list[str] | None, path: str = "/") -> Response:
    values = [] if authorization is None else (
        [authorization] if isinstance(authorization, str) else authorization)
    return run(svc(request("GET", path, [("authorization", v) for v in values])))


def challenge(resp: Response) -> str:
    value = resp.header("www-authenticate")
    assert value is not None
    return value


def assert_invalid(resp: Response, description: str) -> None:
    assert resp.status == 401
    assert resp.header("content-type") == "application/problem+json"
    assert challenge(resp) == (f'Bearer realm="weft", error="invalid_token", '
                               f'error_description="{description}"')
    assert json.loads(resp.body)["detail"] == description


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


# --------------------------------------------------------------------------- HS256

def test_hs256_valid_token_exposes_claims() -> None:
    echo = Echo()
    svc = AuthLayer.jwt(SECRET).wrap(echo)
    token = jwt.encode(claims(role="admin"), SECRET, algorithm="HS256")
    resp = call(svc, f"Bearer {token}")
    assert resp.status == 200
    assert echo.claims is not None and echo.claims["sub"] == "alice"
    assert echo.claims["role"] == "admin"
    # the scheme name is case-insensitive
    assert call(svc, f"bearer {token}").status == 200


def test_missing_header_and_other_scheme_have_no_error_param() -> None:
    echo = Echo()
    svc = AuthLayer.jwt(SECRET).wrap(echo)
    for value in (None, "Basic YWxpY2U6cHc="):
        resp = call(svc, value)
        assert resp.status == 401
        assert challenge(resp) == 'Bearer realm="weft"'
        assert resp.header("content-type") == "application/problem+json"
    assert echo.calls == 0


def test_expired_and_not_yet_valid() -> None:
    svc = AuthLayer.jwt(SECRET).wrap(Echo())
    now = int(time.time())
    expired = jwt.encode(claims(exp=now - 30), SECRET, algorithm="HS256")
    assert_invalid(call(svc, f"Bearer {expired}"), "the token has expired")
    early = jwt.encode(claims(nbf=now + 300), SECRET, algorithm="HS256")
    assert_invalid(call(svc, f"Bearer {early}"), "the token is not valid yet")
    lenient = AuthLayer.jwt(SECRET, leeway=60).wrap(Echo())
    assert call(lenient, f"Bearer {expired}").status == 200


def test_wrong_signature() -> None:
    svc = AuthLayer.jwt(SECRET).wrap(Echo())
    forged = jwt.encode(claims(), OTHER, algorithm="HS256")
    assert_invalid(call(svc, f"Bearer {forged}"), "the token's signature does not verify")


def test_alg_none_is_rejected() -> None:
    echo = Echo()
    svc = AuthLayer.jwt(SECRET).wrap(echo)
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims()).encode())
    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        resp = call(svc, f"Bearer {token}")
        assert resp.status == 401
        assert 'error="invalid_token"' in challenge(resp)
    assert echo.calls == 0


def test_wrong_algorithm_is_rejected() -> None:
    svc = AuthLayer.jwt(SECRET).wrap(Echo())
    token = jwt.encode(claims(), SECRET * 2, algorithm="HS512")
    assert_invalid(call(svc, f"Bearer {token}"), "the token's algorithm is not accepted")


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer a b", "Bearer  a"])
def test_malformed_authorization_field(value: str) -> None:
    resp = call(AuthLayer.jwt(SECRET).wrap(Echo()), value)
    assert resp.status == 401
    assert 'error="invalid_token"' in challenge(resp)


def test_scheme_must_be_followed_by_a_space() -> None:
    # RFC 9110 credentials are `scheme 1*SP token68`: with a tab this is some
    # other scheme, i.e. no bearer credentials at all.
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    resp = call(AuthLayer.jwt(SECRET).wrap(Echo()), f"Bearer\t{token}")
    assert resp.status == 401
    assert challenge(resp) == 'Bearer realm="weft"'


@pytest.mark.parametrize("token", ["abc", "abc.def", "a.b.c", "e30.e30.", "!!!.???.###"])
def test_malformed_token(token: str) -> None:
    resp = call(AuthLayer.jwt(SECRET).wrap(Echo()), f"Bearer {token}")
    assert resp.status == 401
    assert 'error="invalid_token"' in challenge(resp)


def test_two_authorization_fields_are_a_bad_request() -> None:
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    resp = call(AuthLayer.jwt(SECRET).wrap(Echo()), [f"Bearer {token}", f"Bearer {token}"])
    assert resp.status == 400
    assert 'error="invalid_request"' in challenge(resp)


def test_required_audience_and_issuer() -> None:
    svc = AuthLayer.jwt(SECRET, audience="api", issuer="https://idp").wrap(Echo())
    good = jwt.encode(claims(aud="api", iss="https://idp"), SECRET, algorithm="HS256")
    assert call(svc, f"Bearer {good}").status == 200
    wrong_aud = jwt.encode(claims(aud="other", iss="https://idp"), SECRET, algorithm="HS256")
    assert_invalid(call(svc, f"Bearer {wrong_aud}"), "the token is not meant for this audience")
    wrong_iss = jwt.encode(claims(aud="api", iss="https://evil"), SECRET, algorithm="HS256")
    assert_invalid(call(svc, f"Bearer {wrong_iss}"), "the token's issuer is not trusted")


def test_exp_is_required_by_default() -> None:
    token = jwt.encode({"sub": "alice"}, SECRET, algorithm="HS256")
    assert_invalid(call(AuthLayer.jwt(SECRET).wrap(Echo()), f"Bearer {token}"),
                   "the token lacks a required claim")
    assert call(AuthLayer.jwt(SECRET, require=()).wrap(Echo()), f"Bearer {token}").status == 200


def test_exempt_paths() -> None:
    echo = Echo()
    svc = AuthLayer.jwt(SECRET, exempt=["/health", "/public/*"]).wrap(echo)
    assert call(svc, None, "/health").status == 200
    assert call(svc, None, "/public/logo.png").status == 200
    assert call(svc, None, "/healthz").status == 401
    assert call(svc, None, "/private").status == 401
    assert echo.claims is None


def test_dev_token_round_trip() -> None:
    token = mint_dev_token(SECRET, subject="dev-user", ttl_seconds=60, claims={"role": "dev"})
    echo = Echo()
    assert call(AuthLayer.jwt(SECRET).wrap(echo), f"Bearer {token}").status == 200
    assert echo.claims is not None
    assert echo.claims["sub"] == "dev-user" and echo.claims["role"] == "dev"
    old = mint_dev_token(SECRET, ttl_seconds=60, now=time.time() - 3600)
    assert_invalid(call(AuthLayer.jwt(SECRET).wrap(Echo()), f"Bearer {old}"),
                   "the token has expired")
    with pytest.raises(ValueError):
        mint_dev_token("short")


# --------------------------------------------------------------------------- RS256 / ES256

def test_rs256(rsa_key: rsa.RSAPrivateKey) -> None:
    echo = Echo()
    svc = AuthLayer.jwt(public_pem(rsa_key), algorithms=("RS256",)).wrap(echo)
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert call(svc, f"Bearer {token}").status == 200
    assert echo.claims is not None and echo.claims["sub"] == "alice"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(), other, algorithm="RS256")
    assert_invalid(call(svc, f"Bearer {forged}"), "the token's signature does not verify")
    expired = jwt.encode(claims(exp=int(time.time()) - 10), rsa_key, algorithm="RS256")
    assert_invalid(call(svc, f"Bearer {expired}"), "the token has expired")


def test_es256(ec_key: ec.EllipticCurvePrivateKey) -> None:
    svc = AuthLayer.jwt(public_pem(ec_key), algorithms=("ES256",)).wrap(Echo())
    token = jwt.encode(claims(), ec_key, algorithm="ES256")
    assert call(svc, f"Bearer {token}").status == 200
    other = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(claims(), other, algorithm="ES256")
    assert_invalid(call(svc, f"Bearer {forged}"), "the token's signature does not verify")
    early = jwt.encode(claims(nbf=int(time.time()) + 300), ec_key, algorithm="ES256")
    assert_invalid(call(svc, f"Bearer {early}"), "the token is not valid yet")


def test_private_key_pem_is_reduced_to_its_public_half(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    svc = AuthLayer.jwt(pem, algorithms=("RS256",)).wrap(Echo())
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert call(svc, f"Bearer {token}").status == 200


def test_algorithm_confusion_is_rejected(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = public_pem(rsa_key)
    # The classic attack: an HS256 token keyed with the server's RSA public key.
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims()).encode())
    signing_input = f"{header}.{payload}".encode()
    sig = b64(hmac.new(pem, signing_input, hashlib.sha256).digest())
    token = f"{header}.{payload}.{sig}"
    svc = AuthLayer.jwt(pem, algorithms=("RS256",)).wrap(Echo())
    assert_invalid(call(svc, f"Bearer {token}"), "the token's algorithm is not accepted")
    # ... and a layer cannot be configured into accepting it.
    with pytest.raises(ValueError):
        AuthLayer.jwt(pem, algorithms=("HS256",))
    with pytest.raises(ValueError):
        AuthLayer.jwt(pem, algorithms=("RS256", "HS256"))


def test_configuration_errors(ec_key: ec.EllipticCurvePrivateKey) -> None:
    with pytest.raises(ValueError):
        AuthLayer.jwt(SECRET, algorithms=("none",))
    with pytest.raises(ValueError):
        AuthLayer.jwt(SECRET, algorithms=())
    with pytest.raises(ValueError):
        AuthLayer.jwt("too-short")                      # < 32 bytes for HS256
    with pytest.raises(ValueError):
        AuthLayer.jwt(public_pem(ec_key), algorithms=("RS256",))
    with pytest.raises(ValueError):
        AuthLayer.jwt(SECRET, algorithms=("ES256",))
    with pytest.raises(ValueError):
        AuthLayer.jwt(SECRET, realm='a"b')


def test_eager_start_outside_any_task() -> None:
    svc = AuthLayer.jwt(SECRET).wrap(Echo())
    token = jwt.encode(claims(), SECRET, algorithm="HS256")

    async def main() -> tuple[int, int]:
        good = await drive_eagerly(svc, request(headers=[("authorization", f"Bearer {token}")]))
        bad = await drive_eagerly(svc, request())
        return good.status, bad.status

    assert run(main()) == (200, 401)


@pytest.mark.parametrize("path", ["/public/../admin", "/public/%2e%2e/admin", "/public/./x",
                                  "/public/a%2Fb", "/public/a%5c..%5cadmin"])
def test_prefix_exemption_does_not_cover_climbing_paths(path: str) -> None:
    svc = AuthLayer.jwt(SECRET, exempt=["/public/*"]).wrap(Echo())
    assert call(svc, None, path).status == 401
    assert call(svc, None, "/public/a/b.css").status == 200

