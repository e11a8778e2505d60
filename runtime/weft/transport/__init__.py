"""L1 transport: TLS configuration, the `ssl.SSLContext` built from it, and
what the handshake tells the layers above (ALPN choice, peer certificate)."""

from weft.transport.tls import (
    ALPN_H2,
    ALPN_HTTP11,
    PEER_CERT_KEY,
    ClientAuth,
    PeerCert,
    TlsConfig,
    TlsConfigError,
    TlsVersion,
    build_ssl_context,
    negotiated_alpn,
    peer_certificate_info,
)

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
