"""mTLS with rotating trust: every handshake verifies the client certificate
against the bundles in force *now*, not those read at start.

Python's `ssl` fixes a context's trust store once loaded (certificates can
be added, never removed). So the listener's context gets a server-name
callback, which OpenSSL runs early in every handshake (with or without SNI),
and which moves the connection onto a context built for the current bundle
generation: same certificate, ALPN, versions and tickets (all from the same
`TlsConfig`), with the roots of every trusted domain as its store. Contexts
are built once per generation, and old ones are dropped with it.

What a verified handshake proves: the chain ends at a root of *some* trusted
domain. Which domain the SPIFFE ID claims is checked by `SpiffeAuthLayer`
against the trusted domains; it cannot check which root signed (the peer
chain is not exposed to requests), so domains whose roots share one listener
trust each other's CAs. Keep untrusting federations on separate listeners.
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Callable
from typing import final

from weft.identity.provider import TrustBundleProvider
from weft.transport.tls import ClientAuth, TlsConfig, TlsConfigError, build_ssl_context

__all__ = ["SpiffeTlsTrust"]


@final
class SpiffeTlsTrust:
    """Builds listener contexts whose client verification follows `provider`."""

    __slots__ = ("client_auth", "provider")

    def __init__(self, provider: TrustBundleProvider, *,
                 client_auth: ClientAuth = ClientAuth.REQUIRED) -> None:
        if client_auth is ClientAuth.NONE:
            raise ValueError("SpiffeTlsTrust verifies client certificates; "
                             "use ClientAuth.REQUIRED or OPTIONAL")
        self.provider = provider
        self.client_auth = client_auth

    def _verify_mode(self) -> ssl.VerifyMode:
        return ssl.CERT_REQUIRED if self.client_auth is ClientAuth.REQUIRED else ssl.CERT_OPTIONAL

    def _context(self, tls: TlsConfig, roots_pem: str) -> ssl.SSLContext:
        plain = dataclasses.replace(tls, client_ca_file=None, client_auth=ClientAuth.NONE)
        ctx = build_ssl_context(plain)
        if not roots_pem:
            raise TlsConfigError("no trusted domain has X.509 roots; mTLS cannot verify anyone")
        ctx.load_verify_locations(cadata=roots_pem)
        ctx.verify_mode = self._verify_mode()
        return ctx

    def server_context(self, tls: TlsConfig) -> ssl.SSLContext:
        """A listener context for `tls` (its own `client_ca_file` is ignored);
        usable as a server's SSL-context factory."""
        bundles = self.provider.current()
        base = self._context(tls, bundles.all_roots_pem())
        built = {bundles.generation: base}  # this listener's context per generation

        def follow_bundles(conn: ssl.SSLObject | ssl.SSLSocket, server_name: str | None,
                           _ctx: ssl.SSLContext) -> None:
            current = self.provider.current()
            ctx = built.get(current.generation)
            if ctx is None:
                ctx = self._context(tls, current.all_roots_pem())
                built.clear()
                built[current.generation] = ctx
            conn.context = ctx

        base.sni_callback = follow_bundles
        return base

    def factory(self) -> Callable[[TlsConfig], ssl.SSLContext]:
        return self.server_context
