"""`WeftApp`: the seed's `WeftApp.new(app).bind("0.0.0.0:8080").serve()`.

A `WeftApp` is a small builder around one service (usually a `Router`) and a
`ServerConfig`. It runs in one of three ways:

- `serve()` blocks: it runs the reactor (uvloop when available) and serves
  until SIGTERM or SIGINT, then performs the server's two-phase graceful
  shutdown (stop accepting and close idle keep-alive connections; let
  in-flight requests finish for up to `shutdown_grace` seconds; cancel the
  rest). With `.workers(n)` and n > 1 it forks n worker processes on one
  listening socket instead (see `weft.workers`).
- `await serve_async()` does the same inside a running loop.
- `child_spec(name)` makes the app a supervised child: its start function
  serves until cancelled, and cancellation triggers the same graceful
  shutdown, within the child's shutdown budget.

`.tls(cert_file, key_file)` serves TLS on the same port (HTTP/1.1 and
HTTP/2 through ALPN); the certificate and key are loaded before the server
binds or forks workers, so a bad path or a key that does not match fails at
once with `TlsConfigError`.

An app bound to port 0 keeps the port the first start picked, so a restarted
child (or worker) comes back on the address clients already know.

`serve_tree(root)` is the seed's `root.run().await` for a whole supervision
tree: it runs until SIGTERM/SIGINT and then stops the tree in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import final

from weft import reactor
from weft.server import Server, ServerConfig
from weft.supervisor import ChildSpec, Supervisor, SupervisorGaveUp
from weft.transport.tls import ClientAuth, TlsConfig, TlsVersion, build_ssl_context
from weft.types import Service
from weft.workers import WorkerPolicy, open_listener, run_workers

__all__ = ["BindAddress", "WeftApp", "parse_bind", "serve_tree", "serve_tree_async"]

log = logging.getLogger("weft.app")

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# Beyond the server's own grace: time to close sockets and exit.
_EXIT_MARGIN = 5.0


@final
@dataclass(frozen=True, slots=True)
class BindAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_bind(text: str) -> BindAddress:
    """`host:port`, `[v6addr]:port` or `:port` (all interfaces)."""
    raw = text.strip()
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0 or raw[end + 1 : end + 2] != ":":
            raise ValueError(f"bad bind address {text!r}: expected [v6addr]:port")
        host, port_text = raw[1:end], raw[end + 2 :]
    else:
        host, sep, port_text = raw.rpartition(":")
        if not sep:
            raise ValueError(f"bad bind address {text!r}: expected host:port")
        if ":" in host:
            raise ValueError(f"bad bind address {text!r}: write an IPv6 host in brackets, [::1]:8080")
    if not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f"bad bind address {text!r}: port must be 0..65535")
    return BindAddress(host or "0.0.0.0", int(port_text))


@final
class WeftApp:
    """A service plus where and how to serve it."""

    __slots__ = ("_config", "_port", "_service", "_workers")

    def __init__(self, service: Service, config: ServerConfig | None = None) -> None:
        self._service = service
        self._config = config if config is not None else ServerConfig()
        self._workers = 1
        self._port: int | None = None

    @classmethod
    def new(cls, service: Service) -> WeftApp:
        return cls(service)

    # -- building -------------------------------------------------------------

    def bind(self, addr: str) -> WeftApp:
        where = parse_bind(addr)
        self._config = replace(self._config, host=where.host, port=where.port)
        self._port = None
        return self

    def tls(self, cert_file: str, key_file: str, *,
            min_version: TlsVersion = TlsVersion.TLS1_3,
            client_ca_file: str | None = None,
            client_auth: ClientAuth = ClientAuth.NONE,
            key_password: str | None = None) -> WeftApp:
        """Serve HTTPS (and HTTP/2 via ALPN) with this PEM certificate and key."""
        tls = TlsConfig(cert_file, key_file, min_version=min_version,
                        client_ca_file=client_ca_file, client_auth=client_auth,
                        key_password=key_password)
        self._config = replace(self._config, tls=tls)
        return self

    def workers(self, n: int) -> WeftApp:
        if n < 1:
            raise ValueError(f"workers must be >= 1, got {n}")
        self._workers = n
        return self

    def with_config(self, config: ServerConfig) -> WeftApp:
        self._config = config
        self._port = None
        return self

    @property
    def config(self) -> ServerConfig:
        return self._config

    @property
    def port(self) -> int | None:
        """The bound port once the app has started (useful with port 0)."""
        return self._port

    def child_spec(self, name: str = "http") -> ChildSpec:
        """This app as a permanent supervised child, started once it listens."""
        return (
            ChildSpec.permanent(name)
            .with_start_ready(lambda ready: self.serve_async(handle_signals=False, on_ready=ready))
            .with_shutdown(self._config.shutdown_grace + _EXIT_MARGIN)
        )

    # -- running --------------------------------------------------------------

    def serve(self) -> int:
        """Serve until SIGTERM/SIGINT, shut down gracefully, return the exit status.

        Raises `TlsConfigError` (before binding) if the TLS files cannot be used."""
        if self._config.tls is not None:
            build_ssl_context(self._config.tls)  # fail now, not in every worker
        if self._workers == 1:
            reactor.run(self.serve_async())
            return 0
        cfg = self._config
        listener = open_listener(cfg.host, cfg.port, backlog=cfg.backlog)
        self._port = listener.getsockname()[1]
        where = BindAddress(cfg.host, self._port)
        log.info("listening on %s://%s with %d workers", cfg.scheme, where, self._workers)
        policy = WorkerPolicy(self._workers, shutdown=cfg.shutdown_grace + _EXIT_MARGIN)
        try:
            return run_workers(lambda: self._serve_worker(listener), policy, on_stop=listener.close)
        finally:
            listener.close()

    def _serve_worker(self, listener: socket.socket) -> int:
        reactor.run(self.serve_async(sock=listener))
        return 0

    async def serve_async(
        self,
        *,
        handle_signals: bool = True,
        on_ready: Callable[[], object] | None = None,
        sock: socket.socket | None = None,
    ) -> None:
        """Serve until a stop signal (if `handle_signals`) or cancellation, then
        shut the server down gracefully. `on_ready` runs once it listens."""
        config = self._config
        if sock is None and self._port is not None:
            config = replace(config, port=self._port)
        server = Server(self._service, config, sock=sock)
        await server.start()
        self._port = server.port
        if sock is None:
            log.info("listening on %s://%s", config.scheme, BindAddress(config.host, server.port))
        stop = asyncio.get_running_loop().create_future()
        with _stop_on_signals(stop) if handle_signals else contextlib.nullcontext():
            if on_ready is not None:
                on_ready()
            try:
                await stop  # start() already accepts; this waits for a signal or a cancel
            finally:
                await server.shutdown()


def serve_tree(root: Supervisor) -> int:
    """Run a supervision tree (e.g. with a `WeftApp.child_spec` in it) until
    SIGTERM/SIGINT, then stop it in order. Returns 0, or 1 if it gave up."""
    try:
        reactor.run(serve_tree_async(root))
    except SupervisorGaveUp as exc:
        log.error("%s", exc)
        return 1
    return 0


async def serve_tree_async(root: Supervisor) -> None:
    """`root.run()` with SIGTERM/SIGINT mapped to `root.request_stop()`."""
    stop = asyncio.get_running_loop().create_future()
    stop.add_done_callback(lambda _: root.request_stop())
    with _stop_on_signals(stop):
        await root.run()


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Future[None]) -> Iterator[None]:
    """The first SIGTERM/SIGINT resolves `stop`; later ones are only logged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        if stop.done():
            log.info("%s again: already shutting down", sig.name)
            return
        log.info("%s: shutting down gracefully", sig.name)
        stop.set_result(None)

    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    # A forked worker starts with these blocked (weft.workers); now they are safe.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        for sig in _STOP_SIGNALS:
            loop.remove_signal_handler(sig)
