"""L1 TLS: one frozen `TlsConfig`, one `ssl.SSLContext` built from it, and
the peer certificate as plain data.

Why a builder rather than handing out `ssl.SSLContext`: every mistake a user
can make with certificate files (a missing path, a key for another
certificate, a CA bundle that is not PEM) must fail when the server starts,
with a message that names the file, not on the first handshake as an opaque
`SSLError`. `build_ssl_context` therefore loads everything eagerly and
translates failures into `TlsConfigError`.

Defaults: TLS 1.3 only (1.2 is an explicit opt-in), ALPN offering `h2` then
`http/1.1`, session tickets on (stateless resumption; Python's `ssl` issues
TLS 1.3 tickets by default, `num_tickets` says how many per handshake), and
no client certificate unless `client_ca_file` is given.
"""

from __future__ import annotations

import enum
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "ALPN_H2",
    "ALPN_HTTP11",
    "PEER_CERT_KEY",
    "ClientAuth",
    "PeerCert",
    "TlsConfig",
    "TlsConfigError",
    "TlsVersion",
    "build_ssl_context",
    "negotiated_alpn",
    "peer_certificate_info",
]

#: key in `Request.extensions` under which protocols put the `PeerCert`
PEER_CERT_KEY: Final = "peer_cert"
ALPN_H2: Final = "h2"
ALPN_HTTP11: Final = "http/1.1"


class TlsConfigError(ValueError):
    """The TLS configuration cannot be used; the message names the cause."""


class TlsVersion(enum.Enum):
    TLS1_2 = "1.2"
    TLS1_3 = "1.3"


class ClientAuth(enum.Enum):
    """Whether the server asks for a client certificate (mutual TLS)."""

    #: no certificate requested
    NONE = "none"
    #: requested and verified if sent; clients without one still connect
    OPTIONAL = "optional"
    #: the handshake fails without a certificate that chains to `client_ca_file`
    REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """Everything a TLS listener needs (paths are read at build time)."""

    cert_file: str
    key_file: str
    #: the lowest protocol version accepted; TLS 1.2 only on request
    min_version: TlsVersion = TlsVersion.TLS1_3
    #: ALPN protocols in server preference order
    alpn: tuple[str, ...] = (ALPN_H2, ALPN_HTTP11)
    #: PEM bundle of CAs that sign acceptable client certificates
    client_ca_file: str | None = None
    client_auth: ClientAuth = ClientAuth.NONE
    #: password for an encrypted private key
    key_password: str | None = None
    #: TLS 1.3 session tickets issued per handshake (0 turns resumption off)
    session_tickets: int = 2
    #: OpenSSL cipher string for TLS 1.2 (TLS 1.3 suites are not configurable in `ssl`)
    ciphers_tls12: str = "ECDHE+AESGCM:ECDHE+CHACHA20"

    def __post_init__(self) -> None:
        if self.client_auth is not ClientAuth.NONE and not self.client_ca_file:
            raise TlsConfigError(
                f"client_auth={self.client_auth.value} needs client_ca_file (a PEM CA bundle)")
        if self.session_tickets < 0:
            raise TlsConfigError("session_tickets must not be negative")
        for proto in self.alpn:
            if not proto or len(proto.encode()) > 255:
                raise TlsConfigError(f"invalid ALPN protocol name {proto!r}")


def _require_file(what: str, path: str) -> None:
    if not os.path.exists(path):
        raise TlsConfigError(f"{what} {path!r} does not exist")
    if not os.path.isfile(path):
        raise TlsConfigError(f"{what} {path!r} is not a file")
    if not os.access(path, os.R_OK):
        raise TlsConfigError(f"{what} {path!r} is not readable")


def build_ssl_context(cfg: TlsConfig) -> ssl.SSLContext:
    """A server `SSLContext` for `cfg`; raises `TlsConfigError` with a clear
    message for missing files, unreadable PEM and a key that does not belong
    to the certificate."""
    if not cfg.cert_file or not cfg.key_file:
        raise TlsConfigError(
            "the TLS configuration has no identity: give it a certificate file and a key "
            "file (Verum: TlsConfig.server().with_identity_files(cert, key))")
    _require_file("certificate file", cfg.cert_file)
    _require_file("key file", cfg.key_file)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = (ssl.TLSVersion.TLSv1_3 if cfg.min_version is TlsVersion.TLS1_3
                           else ssl.TLSVersion.TLSv1_2)
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    if cfg.min_version is TlsVersion.TLS1_2:
        try:
            ctx.set_ciphers(cfg.ciphers_tls12)
        except ssl.SSLError as exc:
            raise TlsConfigError(f"no usable TLS 1.2 cipher in {cfg.ciphers_tls12!r}") from exc
    try:
        ctx.load_cert_chain(cfg.cert_file, cfg.key_file, password=cfg.key_password)
    except ssl.SSLError as exc:
        reason = (exc.reason or str(exc)).upper()
        if "KEY_VALUES_MISMATCH" in reason or "X509_CHECK_PRIVATE_KEY" in reason:
            raise TlsConfigError(
                f"certificate and key do not match: {cfg.cert_file!r} was not issued for "
                f"the key in {cfg.key_file!r}") from exc
        raise TlsConfigError(
            f"cannot load certificate {cfg.cert_file!r} with key {cfg.key_file!r}: "
            f"{exc.reason or exc} (both must be PEM)") from exc
    if cfg.alpn:
        ctx.set_alpn_protocols(list(cfg.alpn))
    ctx.num_tickets = cfg.session_tickets
    if cfg.session_tickets == 0:
        ctx.options |= ssl.OP_NO_TICKET
    if cfg.client_ca_file is not None:
        _require_file("client CA file", cfg.client_ca_file)
        try:
            ctx.load_verify_locations(cafile=cfg.client_ca_file)
        except ssl.SSLError as exc:
            raise TlsConfigError(
                f"cannot load client CA bundle {cfg.client_ca_file!r}: {exc.reason or exc}"
            ) from exc
        ctx.verify_mode = (ssl.CERT_REQUIRED if cfg.client_auth is ClientAuth.REQUIRED
                           else ssl.CERT_OPTIONAL if cfg.client_auth is ClientAuth.OPTIONAL
                           else ssl.CERT_NONE)
    return ctx


@dataclass(frozen=True, slots=True)
class PeerCert:
    """The verified client certificate, as handlers and layers see it."""

    #: relative distinguished names in order, e.g. (("commonName", "alice"),)
    subject: tuple[tuple[str, str], ...]
    issuer: tuple[tuple[str, str], ...]
    #: URI subject-alternative names (SPIFFE IDs live here)
    san_uris: tuple[str, ...]
    san_dns: tuple[str, ...]
    serial_number: str
    not_before: str
    not_after: str

    @property
    def common_name(self) -> str | None:
        for key, value in self.subject:
            if key == "commonName":
                return value
        return None


def _rdns(raw: Any) -> tuple[tuple[str, str], ...]:
    # `getpeercert()` nests each RDN as a tuple of (key, value) pairs.
    out: list[tuple[str, str]] = []
    for rdn in raw or ():
        for key, value in rdn:
            out.append((str(key), str(value)))
    return tuple(out)


def peer_certificate_info(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> PeerCert | None:
    """The peer's verified certificate, or None when it sent none (or the
    context did not ask for one: unverified certificates are not decoded)."""
    if ssl_object is None:
        return None
    raw: Mapping[str, Any] | None = ssl_object.getpeercert()
    if not raw:
        return None
    sans = raw.get("subjectAltName", ())
    return PeerCert(
        subject=_rdns(raw.get("subject")),
        issuer=_rdns(raw.get("issuer")),
        san_uris=tuple(str(v) for k, v in sans if k == "URI"),
        san_dns=tuple(str(v) for k, v in sans if k == "DNS"),
        serial_number=str(raw.get("serialNumber", "")),
        not_before=str(raw.get("notBefore", "")),
        not_after=str(raw.get("notAfter", "")),
    )


def negotiated_alpn(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> str | None:
    """The protocol ALPN chose (`"h2"`, `"http/1.1"`) or None."""
    if ssl_object is None:
        return None
    return ssl_object.selected_alpn_protocol()
