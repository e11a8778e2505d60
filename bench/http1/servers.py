"""The servers under test and the exact command line each one is started with.

Every entry serves `GET /` -> 200 `Hello, World!` with `content-type:
text/plain`, in one process pinned to one core, with its access log off and
its fastest documented event loop and parser. Keep-alive timeouts are raised
to 60 s where the default (5 s) would close the idle connections that the
memory test holds open, and granian's backlog to 2048 (see below); no other
setting is tuned away from its default.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APPS = Path(__file__).resolve().parent / "apps"


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """How to start one server; `argv` is filled in with host and port."""

    name: str
    label: str
    argv: tuple[str, ...]
    note: str
    cwd: Path = APPS

    def command(self, host: str, port: int) -> list[str]:
        return [a.format(py=sys.executable, host=host, port=port, repo=REPO) for a in self.argv]


_UVICORN = ("{py}", "-m", "uvicorn", "--host", "{host}", "--port", "{port}",
            "--http", "httptools", "--loop", "uvloop", "--no-access-log",
            "--log-level", "warning", "--timeout-keep-alive", "60")
_GRANIAN = ("{py}", "-m", "granian", "--host", "{host}", "--port", "{port}",
            "--http", "1", "--workers", "1", "--runtime-threads", "1",
            "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
            # granian's default backlog (1024) also caps its concurrent connections
            # (backpressure = backlog / workers) and it drops the idle test's extra
            # ones; 2048 is uvicorn's and weft's default backlog.
            "--backlog", "2048")

SERVERS: dict[str, ServerSpec] = {
    s.name: s
    for s in (
        ServerSpec("weft", "weft (router)",
                   ("{py}", "{repo}/examples/python/hello.py", "--bind", "{host}:{port}"),
                   "examples/python/hello.py: weft.server + weft.router", cwd=REPO),
        ServerSpec("weft_raw", "weft (plain service)",
                   ("{py}", "{repo}/bench/http1/apps/weft_raw.py", "--bind", "{host}:{port}"),
                   "apps/weft_raw.py: weft.server with a plain service, no router", cwd=REPO),
        ServerSpec("minimal", "minimal uvloop protocol",
                   ("{py}", "minimal.py", "--bind", "{host}:{port}"),
                   "apps/minimal.py: canned bytes per request end, no parsing (ceiling)"),
        ServerSpec("uvicorn", "uvicorn raw ASGI", (*_UVICORN, "asgi_raw:app"),
                   "uvicorn, httptools, uvloop; apps/asgi_raw.py"),
        ServerSpec("uvicorn_starlette", "uvicorn + Starlette", (*_UVICORN, "starlette_app:app"),
                   "uvicorn, httptools, uvloop; apps/starlette_app.py"),
        ServerSpec("granian_asgi", "granian ASGI",
                   (*_GRANIAN, "--interface", "asgi", "asgi_raw:app"),
                   "granian --http 1, 1 worker, 1 runtime thread, uvloop; apps/asgi_raw.py"),
        ServerSpec("granian_rsgi", "granian RSGI",
                   (*_GRANIAN, "--interface", "rsgi", "rsgi_raw:app"),
                   "granian --http 1, 1 worker, 1 runtime thread, uvloop; apps/rsgi_raw.py"),
        ServerSpec("hypercorn", "hypercorn",
                   ("{py}", "-m", "hypercorn", "--worker-class", "uvloop", "--workers", "1",
                    "--bind", "{host}:{port}", "--keep-alive", "60", "--log-level", "warning",
                    "asgi_raw:app"),
                   "hypercorn, uvloop worker (h11 parser); apps/asgi_raw.py"),
    )
}

# Servers whose numbers the others are divided by (weft's rows are the subject).
SUBJECTS = ("weft", "weft_raw")


def unavailable_reason(spec: ServerSpec) -> str | None:
    """Why `spec` cannot run here, or None. Checked before starting it."""
    if spec.name in SUBJECTS:
        script = Path(spec.command("h", 0)[1])
        if not script.exists():
            return f"{script.relative_to(REPO)} does not exist yet"
        for module in ("weft.server", "weft.reactor"):
            if importlib.util.find_spec(module) is None:
                return f"module {module} is not built yet"
    return None
