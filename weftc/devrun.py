"""`make run`: build `examples/rest_api.vr` and serve it, with curl lines to try.

The package is built into `.weft-cache/<key>/` (unchanged programs are not
rebuilt) and served on `--bind` (127.0.0.1:8080). The JWT layer's secret
comes from the `Config` context: `WEFT_JWT_SECRET`, else the development
default of `examples/rest_api_sqlite.py`; a development token signed with
it is printed for the curl lines.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from weftc.build import build, cache_dir
from weftc.cli import version
from weftc.diagnostics import render_human

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "rest_api.vr"
# The same development default as examples/rest_api_sqlite.py's EnvConfig.
DEV_JWT_SECRET = "weft-development-secret-not-for-production-use"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make run")
    ap.add_argument("--bind", default="127.0.0.1:8080")
    args = ap.parse_args(argv)
    out = cache_dir(EXAMPLE, version())
    result = build(EXAMPLE, out, version())
    if result.package is None:
        print(render_human(result.diagnostics, result.sources), file=sys.stderr)
        return 1
    state = "unchanged, reused" if result.reused else "built"
    print(f"weftc build {EXAMPLE.relative_to(ROOT)}: {state} -> {out / result.package}")
    from weft.layers import mint_dev_token

    secret = os.environ.get("WEFT_JWT_SECRET", DEV_JWT_SECRET)
    token = mint_dev_token(secret, ttl_seconds=24 * 3600)
    base = f"http://{args.bind}"
    auth = f"-H 'authorization: Bearer {token}'"
    print(f"\nServing on {base} (JWT secret from WEFT_JWT_SECRET, else the development default).")
    print("Try:")
    print(f"  curl -i {auth} -H 'content-type: application/json' \\\n"
          f"       -d '{{\"id\": 1, \"name\": \"Ada\", \"email\": \"ada@example.org\"}}' {base}/users")
    print(f"  curl -i {auth} {base}/users/1")
    print(f"  curl -i {auth} {base}/users/999      # 404 from ApiError.NotFound")
    print(f"  curl -i {auth} {base}/users/abc      # 400 problem+json")
    print(f"  curl -i {base}/users/1               # 401: no token")
    print("Ctrl-C stops it (graceful shutdown).\n", flush=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(out), env.get("PYTHONPATH", "")) if p)
    # Become the server, so signals reach it directly (no orphan on SIGTERM).
    os.execve(sys.executable, [sys.executable, "-m", result.package, "--bind", args.bind], env)


if __name__ == "__main__":
    sys.exit(main())
