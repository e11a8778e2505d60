"""Discharging goals: one long-lived solver, deterministic limits, a proof cache.

A goal is proven when `axioms ∧ facts ∧ ¬goal` is unsatisfiable. Before any
solver call the hypotheses are *sliced* to the cone of influence of the goal
(facts sharing constants with it, transitively): smaller queries, better
counterexamples, and a cache key that changes only when something the goal
depends on changes — editing a callee's refinement invalidates exactly the
obligations that assumed it. A goal without free constants is evaluated by
simplification, with no solver call.

The limit is Z3's `rlimit` (resource units), not a wall-clock timeout, so a
result does not depend on machine load.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import z3

from weftc.verify.encode import show_value
from weftc.verify.facts import FactSet, const_terms, consts

RLIMIT = 5_000_000
CACHE_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Verdict:
    """`status` is "proved", "evaluated", "refuted" or "unknown"."""

    status: str
    model: tuple[tuple[str, str], ...] = ()
    reason: str = ""
    solver_ms: float = 0.0
    cached: bool = False
    key: str = ""


class Prover:
    """Proves goals against one solver; counts real solver calls for tests and benches."""

    def __init__(self, cache_dir: Path | None = None, rlimit: int = RLIMIT) -> None:
        self.solver = z3.Solver()
        self.solver.set("rlimit", rlimit)
        self.rlimit = rlimit
        self.solver_calls = 0
        self.cache_dir = cache_dir
        self._cache: dict[str, dict[str, object]] = {}
        self._functions: dict[str, list[dict[str, object]]] = {}
        self._dirty = False
        self._memo: dict[int, tuple[z3.BoolRef, frozenset[str]]] = {}
        self._salt = f"{CACHE_FORMAT}|{z3.get_version_string()}|rlimit={rlimit}"
        if cache_dir is not None:
            self._load()

    # ------------------------------------------------------------ cache

    @property
    def _cache_file(self) -> Path | None:
        return self.cache_dir / "proofs.json" if self.cache_dir is not None else None

    def _load(self) -> None:
        f = self._cache_file
        if f is None or not f.is_file():
            return
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("salt") == self._salt:
            entries = data.get("entries")
            if isinstance(entries, dict):
                self._cache = entries
            functions = data.get("functions")
            if isinstance(functions, dict):
                self._functions = functions

    def save(self) -> None:
        """Write the cache atomically (a crash never leaves half a file)."""
        f = self._cache_file
        if f is None or not self._dirty:
            return
        try:
            f.parent.mkdir(parents=True, exist_ok=True)
            tmp = f.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"salt": self._salt, "entries": self._cache,
                                       "functions": self._functions},
                                      sort_keys=True), encoding="utf-8")
            tmp.replace(f)
        except OSError:
            return
        self._dirty = False

    def function_key(self, context: str, qualified: str, text: str, runtime: bool) -> str:
        h = hashlib.sha256(self._salt.encode())
        for part in (context, qualified, text, str(runtime)):
            h.update(b"\x00")
            h.update(part.encode())
        return h.hexdigest()

    def function_results(self, key: str) -> list[dict[str, object]] | None:
        return self._functions.get(key)

    def store_function(self, key: str, results: list[dict[str, object]]) -> None:
        self._functions[key] = results
        self._dirty = True

    # ------------------------------------------------------------ proving

    def prove(self, facts: Iterable[z3.BoolRef], goal: z3.BoolRef,
              axioms: FactSet | None = None,
              shown: tuple[tuple[str, z3.ExprRef], ...] = ()) -> Verdict:
        """Prove `axioms ∧ facts ⇒ goal`; a refutation carries the model's values
        of the goal's constants, shown in Verum syntax."""
        if not consts(goal):
            simple = z3.simplify(goal)
            if z3.is_true(simple):
                return Verdict("evaluated")
            if z3.is_false(simple):
                return Verdict("refuted", reason="never satisfies it")
        relevant = self.slice(list(facts), goal, axioms)
        key = self.key(relevant, goal, shown)
        hit = self._cache.get(key)
        if hit is not None:
            model = hit.get("model", [])
            assert isinstance(model, list)
            return Verdict(str(hit["status"]), tuple((str(a), str(b)) for a, b in model),
                           str(hit.get("reason", "")), 0.0, True, key)
        started = time.perf_counter()
        self.solver.push()
        try:
            self.solver.add(*relevant)
            self.solver.add(z3.Not(goal))
            self.solver_calls += 1
            result = self.solver.check()
            if result == z3.unsat:
                verdict = Verdict("proved")
            elif result == z3.sat:
                verdict = Verdict("refuted", self._model(goal, shown))
            else:
                verdict = Verdict("unknown", reason=self.solver.reason_unknown())
        finally:
            self.solver.pop()
        ms = (time.perf_counter() - started) * 1000
        verdict = Verdict(verdict.status, verdict.model, verdict.reason, ms, False, key)
        self._cache[key] = {"status": verdict.status, "model": [list(m) for m in verdict.model],
                            "reason": verdict.reason}
        self._dirty = True
        return verdict

    def _model(self, goal: z3.BoolRef,
               shown: tuple[tuple[str, z3.ExprRef], ...]) -> tuple[tuple[str, str], ...]:
        """The goal's constants (completed: a constant the model leaves free
        still gets a value) and then the flowing value's locals, as `=label`."""
        model = self.solver.model()
        out = [(name, show_value(model.eval(t, model_completion=True)))
               for name, t in sorted(const_terms(goal).items())]
        for label, term in shown:
            out.append((f"={label}", show_value(model.eval(term, model_completion=True))))
        return tuple(out)

    def _names(self, fact: z3.BoolRef) -> frozenset[str]:
        tid = fact.get_id()
        hit = self._memo.get(tid)
        if hit is not None and hit[0].eq(fact):
            return hit[1]
        names = frozenset(consts(fact))
        self._memo[tid] = (fact, names)  # the term is kept, so its id is not reused
        return names

    def slice(self, facts: list[z3.BoolRef], goal: z3.BoolRef,
              axioms: FactSet | None = None) -> list[z3.BoolRef]:
        """The facts (and axioms) in the goal's cone of influence, in order."""
        infos = [(f, self._names(f)) for f in facts]
        wanted = set(consts(goal))
        queue = list(wanted)
        chosen_facts = [not names for _, names in infos]
        chosen_axioms: set[int] = set()
        while queue:
            name = queue.pop()
            if axioms is not None:
                for i in axioms.by_name.get(name, ()):
                    if i not in chosen_axioms:
                        chosen_axioms.add(i)
                        for n in axioms.names[i] - wanted:
                            wanted.add(n)
                            queue.append(n)
            for j, (_, names) in enumerate(infos):
                if not chosen_facts[j] and name in names:
                    chosen_facts[j] = True
                    for n in names - wanted:
                        wanted.add(n)
                        queue.append(n)
        out = [axioms.items[i] for i in sorted(chosen_axioms)] if axioms is not None else []
        return out + [f for j, (f, _) in enumerate(infos) if chosen_facts[j]]

    def key(self, facts: list[z3.BoolRef], goal: z3.BoolRef,
            shown: tuple[tuple[str, z3.ExprRef], ...] = ()) -> str:
        h = hashlib.sha256(self._salt.encode())
        for f in sorted({f.sexpr() for f in facts}):
            h.update(b"\x00H")
            h.update(f.encode())
        h.update(b"\x00G")
        h.update(goal.sexpr().encode())
        for label, term in shown:
            h.update(f"\x00S{label}={term.sexpr()}".encode())
        return h.hexdigest()
