"""`@cfg(...)` evaluation: which items and mounts exist for the build target.

weftc emits Python, so the target is the machine that runs the generated
package; by default that is the host compiling it (`CfgEnv.host()`).
Predicates:

* `key = "value"`: `target_os` (`linux`, `macos`, `windows`, ...),
  `target_family` (`unix`, `windows`), `target_arch` (`x86_64`, `aarch64`,
  ...), `feature` (true if the value is among the enabled features);
* a bare flag: `unix`, `windows`, `test`, `debug_assertions`, `weft`
  (always true: code compiled by weftc);
* `all(...)`, `any(...)`, `not(...)`; several arguments to `@cfg` mean all.

An unknown key or flag is false. A predicate of any other shape is false
and reported once as warning W1001.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from weftc.diagnostics import Diagnostic, warning
from weftc.syntax import ast

_OS_NAMES = {"linux": "linux", "darwin": "macos", "win32": "windows", "cygwin": "windows",
             "freebsd": "freebsd", "openbsd": "openbsd", "netbsd": "netbsd"}
_ARCH_NAMES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64", "i386": "x86",
               "i686": "x86"}


@dataclass(frozen=True, slots=True)
class CfgEnv:
    target_os: str
    target_family: str
    target_arch: str
    features: frozenset[str] = frozenset()
    flags: frozenset[str] = field(default_factory=lambda: frozenset({"weft"}))

    @staticmethod
    def host(features: Iterable[str] = ()) -> CfgEnv:
        plat = next((v for k, v in _OS_NAMES.items() if sys.platform.startswith(k)), sys.platform)
        family = "windows" if plat == "windows" else "unix"
        machine = platform.machine().lower()
        arch = _ARCH_NAMES.get(machine, machine)
        return CfgEnv(plat, family, arch, frozenset(features), frozenset({"weft", family}))

    def value(self, key: str) -> str | None:
        return {"target_os": self.target_os, "target_family": self.target_family,
                "target_arch": self.target_arch}.get(key)


Report = Callable[[Diagnostic], None]


def _unsupported(node: ast.Node, report: Report) -> bool:
    report(warning("W1001", "unsupported `@cfg` predicate; it is treated as false", node.span,
                   help='write `key = "value"`, a flag such as `unix`, or all(..)/any(..)/not(..)'))
    return False


def _pair(key: str, value: ast.Expr, env: CfgEnv, report: Report) -> bool:
    if not isinstance(value, ast.TextLit):
        return _unsupported(value, report)
    if key == "feature":
        return value.value in env.features
    return env.value(key) == value.value


def _expr(e: ast.Expr, env: CfgEnv, report: Report) -> bool:
    if isinstance(e, ast.Name):
        return e.name in env.flags
    if isinstance(e, ast.Assign) and e.op == "=" and isinstance(e.target, ast.Name):
        return _pair(e.target.name, e.value, env, report)
    if isinstance(e, ast.Binary) and e.op == "==" and isinstance(e.left, ast.Name):
        return _pair(e.left.name, e.right, env, report)
    if isinstance(e, ast.Paren):
        return _expr(e.expr, env, report)
    if isinstance(e, ast.Call) and isinstance(e.callee, ast.Name):
        op = e.callee.name
        if op == "all":
            return all([_expr(a, env, report) for a in e.args])
        if op == "any":
            return any([_expr(a, env, report) for a in e.args])
        if op == "not" and len(e.args) == 1:
            return not _expr(e.args[0], env, report)
    return _unsupported(e, report)


def _arg(a: ast.AttrArg, env: CfgEnv, report: Report) -> bool:
    if a.key is not None:
        return _pair(a.key.name, a.value, env, report)
    return _expr(a.value, env, report)


def cfg_active(attributes: tuple[ast.Attribute, ...], env: CfgEnv, report: Report) -> bool:
    """False if any `@cfg(...)` on the item evaluates false."""
    for attr in attributes:
        if attr.name.name != "cfg":
            continue
        if not attr.args:
            return _unsupported(attr, report)
        # Evaluate every argument (no short-circuit) so each bad one is reported.
        if not all([_arg(a, env, report) for a in attr.args]):
            return False
    return True
