"""`build_ssl_context` fails at start with a clear message, and defaults to
TLS 1.3 with ALPN h2 + http/1.1."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from tls_support import make_pki
from weft.transport import (
    ClientAuth,
    TlsConfig,
    TlsConfigError,
    TlsVersion,
    build_ssl_context,
    peer_certificate_info,
)


def test_defaults(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    cfg = TlsConfig(str(pki.server_cert), str(pki.server_key))
    assert cfg.min_version is TlsVersion.TLS1_3 and cfg.alpn == ("h2", "http/1.1")
    ctx = build_ssl_context(cfg)
    assert ctx.minimum_version is ssl.TLSVersion.TLSv1_3
    assert ctx.verify_mode is ssl.CERT_NONE and ctx.num_tickets == 2
    opt_in = build_ssl_context(TlsConfig(str(pki.server_cert), str(pki.server_key),
                                         min_version=TlsVersion.TLS1_2))
    assert opt_in.minimum_version is ssl.TLSVersion.TLSv1_2


def test_missing_files(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    with pytest.raises(TlsConfigError, match=r"certificate file .*nope\.pem.* does not exist"):
        build_ssl_context(TlsConfig(str(tmp_path / "nope.pem"), str(pki.server_key)))
    with pytest.raises(TlsConfigError, match=r"key file .* does not exist"):
        build_ssl_context(TlsConfig(str(pki.server_cert), str(tmp_path / "nope.key")))
    with pytest.raises(TlsConfigError, match="client CA file"):
        build_ssl_context(TlsConfig(str(pki.server_cert), str(pki.server_key),
                                    client_ca_file=str(tmp_path / "ca-missing.pem"),
                                    client_auth=ClientAuth.REQUIRED))


def test_mismatched_key(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    with pytest.raises(TlsConfigError, match="certificate and key do not match"):
        build_ssl_context(TlsConfig(str(pki.server_cert), str(pki.other_key)))


def test_not_pem(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(TlsConfigError, match=r"cannot load certificate .*junk\.pem"):
        build_ssl_context(TlsConfig(str(junk), str(pki.server_key)))


def test_client_auth_needs_ca() -> None:
    with pytest.raises(TlsConfigError, match="needs client_ca_file"):
        TlsConfig("c.pem", "k.pem", client_auth=ClientAuth.REQUIRED)


def test_peer_certificate_info_none_without_cert() -> None:
    assert peer_certificate_info(None) is None
