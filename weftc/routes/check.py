"""Stage 7: the route table's own checks (E4001-E4004).

* E4001 — a handler extracts `Path(x)` but its route has no `:x`.
* E4002 — a route captures `:x` that its handler (one that uses `Path`
  extractors at all) never extracts. Handlers without `Path` extractors read
  parameters dynamically (the Verum `Handler` style) and are not checked.
* E4003 — two routes with the same method and the same shape (statics equal,
  parameters in the same places, whatever their names): the second can never
  be reached, or the router cannot tell the two parameter names apart.
* E4004 — a route parameter whose refinement no value satisfies: the route
  can never match. Proven unsatisfiable with the same solver as stage 5.
"""

from __future__ import annotations

import z3

from weftc.diagnostics import Diagnostic, Label, error
from weftc.routes.table import Route, route_table
from weftc.typecheck.checked import CheckedProgram
from weftc.types import Refined
from weftc.verify.encode import Universe


def check_routes(checked: CheckedProgram) -> tuple[tuple[Route, ...], list[Diagnostic]]:
    routes = route_table(checked)
    diags: list[Diagnostic] = []
    for r in routes:
        diags.extend(_params(r))
    diags.extend(_conflicts(routes))
    diags.extend(_unsatisfiable(checked, routes))
    return routes, diags


def _params(r: Route) -> list[Diagnostic]:
    if r.extractors is None:
        return []
    captured = [s.param for s in r.segments if s.param is not None]
    out = []
    for x in r.extractors:
        if x.name not in captured:
            have = ", ".join(f"`:{p}`" for p in captured) or "no parameters"
            out.append(error("E4001", f"handler `{r.handler_name}` extracts `Path({x.name})`, "
                             f"but route `{r.method} {r.path}` has no `:{x.name}` ({have})",
                             r.span, labels=[Label(x.span, "extracted here")]))
    if out:
        return out  # a renamed parameter: E4001 already says what differs
    extracted = {x.name for x in r.extractors}
    for p in captured:
        if p not in extracted:
            out.append(error("E4002", f"route `{r.method} {r.path}` captures `:{p}`, but "
                             f"handler `{r.handler_name}` never extracts it",
                             r.span, help=f"add a parameter `Path({p}): Path<…>` to "
                                          f"`{r.handler_name}`, or remove `:{p}`"))
    return out


def _conflicts(routes: tuple[Route, ...]) -> list[Diagnostic]:
    out = []
    seen: dict[tuple[int, str, tuple[str, ...]], Route] = {}
    for r in routes:
        key = (r.root, r.method, tuple(s.shape for s in r.segments))
        first = seen.get(key)
        if first is None:
            seen[key] = r
            continue
        same = first.path == r.path
        what = "duplicates" if same else "conflicts with"
        out.append(error("E4003", f"route `{r.method} {r.path}` {what} `{first.method} "
                         f"{first.path}`" + ("" if same else ": the same segments with "
                                              "parameters named differently"),
                         r.span, labels=[Label(first.span, "first declared here")],
                         notes=[f"`{r.handler_name}` can never be reached"] if same else []))
    return out


def _unsatisfiable(checked: CheckedProgram, routes: tuple[Route, ...]) -> list[Diagnostic]:
    out = []
    u = Universe(checked)
    solver = z3.Solver()
    solver.set("rlimit", 5_000_000)
    done: set[tuple[int, str]] = set()
    for r in routes:
        for x in r.extractors or ():
            if not isinstance(x.type, Refined) or (id(r.handler), x.name) in done:
                continue
            done.add((id(r.handler), x.name))
            before = len(u.axioms)
            value = u.fresh(x.type, x.name)
            if value is None:
                continue
            facts = u.axioms.since(before)
            solver.push()
            solver.add(*facts)
            result = solver.check()
            solver.pop()
            if result == z3.unsat:
                out.append(error("E4004", f"route `{r.method} {r.path}` can never match: no "
                                 f"value of `:{x.name}` satisfies its refinement",
                                 r.span, labels=[Label(x.type.span, "unsatisfiable refinement"),
                                                 Label(x.span, "extracted here")]))
    return out
