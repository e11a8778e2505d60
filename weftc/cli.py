"""`weftc`: the command line of ARCHITECTURE.md's contract.

Exit codes: 0 success, 1 diagnostics with errors, 2 usage error (bad
arguments, missing or unreadable file, a directory) or internal error. An
internal error prints one "internal compiler error" line, never a traceback.
Human diagnostics go to stderr; JSON and SARIF documents go to stdout.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from weftc.diagnostics import Diagnostic, render_human, render_json, render_sarif

if TYPE_CHECKING:  # imported lazily: `weftc build` of an unchanged program stays fast
    from weftc.pipeline import Compilation

EXIT_OK = 0
EXIT_DIAGNOSTICS = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with the invocation itself (exit 2), not with the program."""


def version() -> str:
    try:
        return metadata.version("weft")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="weftc", description="Compiler for checked Verum-subset web servers.")
    ap.add_argument("--version", action="version", version=f"weftc {version()}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND",
                            parser_class=_Parser)

    p = sub.add_parser("parse", help="print the AST, or the syntax diagnostics")
    p.add_argument("file")
    p.add_argument("--format", choices=("human", "json"), default="human")

    f = sub.add_parser("fmt", help="print the file in canonical form")
    f.add_argument("file")

    c = sub.add_parser("check", help="run every stage up to proofs; write nothing")
    c.add_argument("file")
    c.add_argument("--format", choices=("human", "json", "sarif"), default="human")
    c.add_argument("--explain-effects", action="store_true",
                   help="print each function's inferred effect set (human format)")

    b = sub.add_parser("build", help="check, then emit a Python package")
    b.add_argument("file")
    b.add_argument("-o", "--output", required=True, metavar="DIR")

    r = sub.add_parser("run", help="build into a cache folder and serve")
    r.add_argument("file")
    r.add_argument("--bind", default=None, metavar="HOST:PORT",
                   help="serve here instead of the address written in the program")
    r.add_argument("--workers", type=int, default=1, metavar="N")
    return ap


# ---------------------------------------------------------------- helpers


def _require_file(path: str) -> None:
    """Reject paths that cannot be a source file before any stage runs."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{path}: is a directory, expected a .vr file")
    if not p.exists():
        raise UsageError(f"{path}: no such file")


def _read(path: str, parse_only: bool) -> Compilation:
    from weftc.pipeline import check_file, parse_file

    _require_file(path)
    try:
        return parse_file(path) if parse_only else check_file(path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _report(comp: Compilation, fmt: str, out: TextIO, err: TextIO) -> None:
    diags: Sequence[Diagnostic] = comp.diagnostics
    if fmt == "json":
        out.write(render_json(comp.source.name, diags) + "\n")
    elif fmt == "sarif":
        out.write(render_sarif(diags, version()) + "\n")
    elif diags:
        err.write(render_human(diags, comp.sources) + "\n")


def _status(comp: Compilation) -> int:
    return EXIT_OK if comp.ok else EXIT_DIAGNOSTICS


# ---------------------------------------------------------------- commands


def cmd_parse(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    comp = _read(args.file, parse_only=True)
    if args.format == "json":
        from weftc.syntax.ast_json import to_json

        doc = json.loads(render_json(comp.source.name, comp.diagnostics))
        doc["ast"] = to_json(comp.module) if comp.ok and comp.module else None
        out.write(json.dumps(doc, indent=2) + "\n")
        return _status(comp)
    _report(comp, "human", out, err)
    if comp.ok and comp.module is not None:
        from weftc.treeview import render_tree

        out.write(render_tree(comp.module) + "\n")
    return _status(comp)


def cmd_fmt(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from weftc.fmt import format_module

    comp = _read(args.file, parse_only=True)
    _report(comp, "human", out, err)
    if not comp.ok or comp.module is None:
        return EXIT_DIAGNOSTICS
    out.write(format_module(comp.module, comp.source))
    return EXIT_OK


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from weftc import checkcache

    _require_file(args.file)
    path = Path(args.file)
    key = checkcache.check_key(path, args.format, bool(args.explain_effects))
    fresh = checkcache.lookup(path, key)
    if fresh is not None:  # unchanged since a clean pass: the same answer
        out.write(fresh[0])
        err.write(fresh[1])
        return EXIT_OK
    out_text, err_text = io.StringIO(), io.StringIO()
    comp = _read(args.file, parse_only=False)
    _report(comp, args.format, out_text, err_text)
    if args.format == "human" and args.explain_effects and comp.effects is not None:
        from weftc.effects import explain_effects

        out_text.write(explain_effects(comp.effects) + "\n")
    if args.format == "human" and comp.ok:
        stages = ", ".join(comp.stages_run)
        err_text.write(f"{comp.source.name}: ok (stages run: {stages})\n")
    out.write(out_text.getvalue())
    err.write(err_text.getvalue())
    status = _status(comp)
    if status == EXIT_OK and not comp.diagnostics:
        checkcache.store(path, key, out_text.getvalue(), err_text.getvalue())
    return status


def _build(args: argparse.Namespace, out_dir: Path, err: TextIO) -> tuple[int, str | None]:
    from weftc.build import build

    _require_file(args.file)
    try:
        result = build(args.file, out_dir, version())
    except OSError as exc:
        raise UsageError(f"{args.file}: {exc.strerror or exc}") from None
    if result.diagnostics:  # errors stop the build; warnings (W2002 ...) are shown too
        err.write(render_human(result.diagnostics, result.sources) + "\n")
    if result.package is None:
        return EXIT_DIAGNOSTICS, None
    return EXIT_OK, result.package


def cmd_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    status, package = _build(args, Path(args.output), err)
    if package is not None:
        err.write(f"weftc build: {Path(args.output) / package} "
                  f"(serve it with: PYTHONPATH={args.output} python -m {package})\n")
    return status


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    from weftc.build import cache_dir

    _require_file(args.file)
    where = cache_dir(args.file, version())
    status, package = _build(args, where, err)
    if package is None:
        return status
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(where), env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-m", package, "--workers", str(args.workers)]
    if args.bind is not None:
        cmd += ["--bind", args.bind]
    # Become the server (no child process): SIGTERM/SIGINT reach it directly,
    # so graceful shutdown works and nothing is orphaned when we are signalled.
    out.flush()
    err.flush()
    os.execve(sys.executable, cmd, env)


COMMANDS = {"parse": cmd_parse, "fmt": cmd_fmt, "check": cmd_check,
            "build": cmd_build, "run": cmd_run}


# Trees are walked recursively; a long operator chain is a deep tree. The
# command runs on a thread with a large stack and a raised recursion limit so
# that such programs compile, and anything deeper still ends in a clean error.
STACK_BYTES = 512 * 1024 * 1024
RECURSION_LIMIT = 200_000


def _dispatch(args: argparse.Namespace) -> int:
    out, err = sys.stdout, sys.stderr
    try:
        return COMMANDS[args.command](args, out, err)
    except UsageError as exc:
        err.write(f"weftc: error: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader of stdout went away (`weftc fmt x.vr | head`): not an error of ours.
        return EXIT_OK
    except RecursionError:
        err.write("weftc: internal compiler error: the program is nested too deeply "
                  f"(more than about {RECURSION_LIMIT // 4} levels)\n")
        return EXIT_USAGE
    except Exception as exc:
        err.write(f"weftc: internal compiler error: {type(exc).__name__}: {exc}\n"
                  "please report this together with the input file\n")
        return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: list[int] = []
    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    try:
        threading.stack_size(STACK_BYTES)
        sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
        worker = threading.Thread(target=lambda: result.append(_dispatch(args)),
                                  name="weftc", daemon=True)
        worker.start()
    finally:
        threading.stack_size(old_stack)
    try:
        worker.join()
    except KeyboardInterrupt:
        sys.stderr.write("weftc: interrupted\n")
        return 130
    finally:
        sys.setrecursionlimit(old_limit)
    return result[0] if result else EXIT_USAGE
