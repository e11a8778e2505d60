"""Text → value parsers for path, query and header values.

Stricter than Python's constructors on purpose: `int(" 1_0 ")` and
`float("nan")` succeed in Python but are not what a client means by an
integer or a number, so they are refused here. Each parser raises
`ValueError`; the caller turns that into an `InvalidParam` naming the
expected shape.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from typing import Literal, get_args, get_origin

__all__ = ["Parser", "parse_bool", "parse_float", "parse_int", "parse_str", "scalar_parser"]

Parser = Callable[[str], object]

_INT = re.compile(r"-?[0-9]{1,4000}")
_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def parse_int(s: str) -> int:
    """ASCII decimal integer, optional leading `-`."""
    if _INT.fullmatch(s) is None:
        raise ValueError(s)
    return int(s)


def parse_float(s: str) -> float:
    """ASCII decimal number; refuses `nan`, `inf` and `_` separators."""
    if _FLOAT.fullmatch(s) is None:
        raise ValueError(s)
    value = float(s)
    if value in (float("inf"), float("-inf")):
        raise ValueError(s)
    return value


def parse_bool(s: str) -> bool:
    """`true`/`false`/`1`/`0`, case-insensitive."""
    low = s.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(s)


def parse_str(s: str) -> str:
    return s


def scalar_parser(tp: object) -> tuple[Parser, str]:
    """The parser and the expected-shape wording for a scalar target type."""
    if tp is int:
        return parse_int, "integer"
    if tp is float:
        return parse_float, "number"
    if tp is bool:
        return parse_bool, "boolean"
    if tp is str or tp is object:
        return parse_str, "string"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_parser(tp)
    if get_origin(tp) is Literal:
        return _literal_parser(get_args(tp))
    raise TypeError(f"cannot extract a {tp!r} from text; use int, float, bool, str, an Enum "
                    "or a Literal of strings")


def _enum_parser(tp: type[enum.Enum]) -> tuple[Parser, str]:
    by_text = {str(m.value): m for m in tp}

    def parse(s: str) -> object:
        try:
            return by_text[s]
        except KeyError:
            raise ValueError(s) from None

    return parse, "one of " + ", ".join(sorted(by_text))


def _literal_parser(values: tuple[object, ...]) -> tuple[Parser, str]:
    if not all(isinstance(v, str) for v in values):
        raise TypeError(f"only Literal[...] of strings can be extracted from text, not {values!r}")
    allowed = frozenset(values)

    def parse(s: str) -> object:
        if s not in allowed:
            raise ValueError(s)
        return s

    return parse, "one of " + ", ".join(sorted(str(v) for v in values))
