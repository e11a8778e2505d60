"""Stage 3, resolve: names to symbols.

`World` holds the program-wide tables (types, protocols, implement blocks
attached to their types, type lowering); `Scope` the lexical scopes of a
body. Expression-level resolution happens while stage 4 walks each body, so
that `a.b` can be decided with the type of `a` in hand; every decision is
recorded in `CheckedProgram.symbols`.
"""

from weftc.resolve.scopes import Binding, Scope, new_local
from weftc.resolve.symbols import (
    ConstSym,
    ContextSym,
    FieldSym,
    FnSym,
    LocalSym,
    ModuleSym,
    Resolved,
    TypeSym,
    VariantSym,
)
from weftc.resolve.world import ImplInfo, MethodEntry, TypeEnv, World, match_pattern, substitute

__all__ = [
    "Binding", "ConstSym", "ContextSym", "FieldSym", "FnSym", "ImplInfo", "LocalSym",
    "MethodEntry", "ModuleSym", "Resolved", "Scope", "TypeEnv", "TypeSym", "VariantSym",
    "World", "match_pattern", "new_local", "substitute",
]
