"""Parsed JSON → typed value, through a converter compiled once per type.

`converter_for(tp)` walks the type at registration time and returns a
closure tree; applying it to a parsed document does only the isinstance
checks the type demands. Supported: `int`, `float` (accepts integers),
`bool`, `str`, `None`, `object`/`Any` (as parsed), `list[T]`, `tuple[T, ...]`,
`dict[str, T]`, `T | None`, unions (first arm that fits), `Literal[...]`,
`Enum` subclasses (by value), dataclasses, TypedDicts, and
`Annotated[T, Refine(...)]`. Unknown object keys are ignored.

A failure raises `Unprocessable(reason, path)` with a JSONPath-like location
(`$.items[2].qty`). Paths are assembled only on failure: each container
catches its child's `_ShapeError`, prepends its own step and re-raises, so
the happy path builds no strings.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from weft.errors import Unprocessable
from weft.extract.base import Refine

__all__ = ["Converter", "converter_for", "materialise"]

Converter = Callable[[object], object]


class _ShapeError(Exception):
    __slots__ = ("reason", "steps")

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.steps: list[str] = []


def _path(steps: list[str]) -> str:
    return "$" + "".join(reversed(steps))


def _key_step(key: str) -> str:
    return f".{key}" if key.isidentifier() else f"[{key!r}]"


_JSON_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
               float: "number", type(None): "null"}


def _kind(value: object) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


_cache: dict[object, Converter] = {}


def converter_for(tp: object) -> Converter:
    """The (cached) converter for `tp`; raises TypeError for unsupported types."""
    try:
        return _cache[tp]
    except KeyError:
        pass
    except TypeError:  # unhashable type expression
        return _compile(tp, {})
    conv = _compile(tp, {})
    _cache[tp] = conv
    return conv


def materialise(tp: object, value: object) -> object:
    """Convert a parsed JSON value to `tp` or raise `Unprocessable`."""
    return run(converter_for(tp), value)


def run(conv: Converter, value: object) -> object:
    try:
        return conv(value)
    except _ShapeError as e:
        raise Unprocessable(e.reason, _path(e.steps)) from None


def _compile(tp: object, seen: dict[object, Converter]) -> Converter:
    if tp in (object, Any):
        return _identity
    if tp is int:
        return _to_int
    if tp is float:
        return _to_float
    if tp is bool:
        return _to_bool
    if tp is str:
        return _to_str
    if tp is None or tp is type(None):
        return _to_none
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Annotated:
        return _annotated(_compile(args[0], seen), tuple(m for m in tp.__metadata__  # type: ignore[attr-defined]
                                                        if isinstance(m, Refine)))
    if origin is list:
        return _list(_compile(args[0] if args else object, seen))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuple(_compile(args[0], seen))
    if origin is dict:
        if args and args[0] is not str:
            raise TypeError(f"JSON object keys are strings; cannot materialise {tp!r}")
        return _dict(_compile(args[1] if args else object, seen))
    if origin is Union or origin is types.UnionType:
        return _union(tuple(_compile(a, seen) for a in args), " or ".join(map(_type_name, args)))
    if origin is Literal:
        return _literal(args)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum(tp)
    if isinstance(tp, type) and (dataclasses.is_dataclass(tp) or typing.is_typeddict(tp)):
        if tp in seen:
            return seen[tp]
        cell: list[Converter] = []
        seen[tp] = lambda v: cell[0](v)  # recursion: resolved once compiled
        conv = _dataclass(tp, seen) if dataclasses.is_dataclass(tp) else _typeddict(tp, seen)
        cell.append(conv)
        return conv
    if tp in (list, dict, tuple):
        return _compile(tp[object] if tp is not tuple else tuple[object, ...], seen)
    raise TypeError(f"cannot materialise JSON into {tp!r}")


def _type_name(tp: object) -> str:
    return tp.__name__ if isinstance(tp, type) else repr(tp)


def _identity(v: object) -> object:
    return v


def _to_int(v: object) -> object:
    if type(v) is int:
        return v
    raise _ShapeError(f"expected integer, got {_kind(v)}")


def _to_float(v: object) -> object:
    t = type(v)
    if t is float:
        return v
    if t is int:
        return float(v)  # type: ignore[arg-type]
    raise _ShapeError(f"expected number, got {_kind(v)}")


def _to_bool(v: object) -> object:
    if type(v) is bool:
        return v
    raise _ShapeError(f"expected boolean, got {_kind(v)}")


def _to_str(v: object) -> object:
    if type(v) is str:
        return v
    raise _ShapeError(f"expected string, got {_kind(v)}")


def _to_none(v: object) -> object:
    if v is None:
        return None
    raise _ShapeError(f"expected null, got {_kind(v)}")


def _annotated(inner: Converter, refines: tuple[Refine, ...]) -> Converter:
    if not refines:
        return inner

    def conv(v: object) -> object:
        out = inner(v)
        for r in refines:
            if not r.predicate(out):
                raise _ShapeError(f"value {v!r} does not satisfy {r.expected}"[:300])
        return out
    return conv


def _list(item: Converter) -> Converter:
    def conv(v: object) -> object:
        if type(v) is not list:
            raise _ShapeError(f"expected array, got {_kind(v)}")
        out = []
        for i, x in enumerate(v):
            try:
                out.append(item(x))
            except _ShapeError as e:
                e.steps.append(f"[{i}]")
                raise
        return out
    return conv


def _tuple(item: Converter) -> Converter:
    as_list = _list(item)
    return lambda v: tuple(as_list(v))  # type: ignore[arg-type]


def _dict(value_conv: Converter) -> Converter:
    def conv(v: object) -> object:
        if type(v) is not dict:
            raise _ShapeError(f"expected object, got {_kind(v)}")
        out = {}
        for k, x in v.items():
            try:
                out[k] = value_conv(x)
            except _ShapeError as e:
                e.steps.append(_key_step(k))
                raise
        return out
    return conv


def _union(arms: tuple[Converter, ...], names: str) -> Converter:
    def conv(v: object) -> object:
        for arm in arms:
            try:
                return arm(v)
            except _ShapeError:
                continue
        raise _ShapeError(f"expected {names}, got {_kind(v)}")
    return conv


def _literal(values: tuple[object, ...]) -> Converter:
    allowed = [(type(x), x) for x in values]
    wording = "one of " + ", ".join(repr(x) for x in values)

    def conv(v: object) -> object:
        if (type(v), v) in allowed:
            return v
        raise _ShapeError(f"expected {wording}")
    return conv


def _enum(tp: type[enum.Enum]) -> Converter:
    members = {(type(m.value), m.value): m for m in tp}
    wording = "one of " + ", ".join(repr(m.value) for m in tp)

    def conv(v: object) -> object:
        try:
            return members[(type(v), v)]
        except (KeyError, TypeError):
            raise _ShapeError(f"expected {wording}") from None
    return conv


def _hints(tp: type) -> dict[str, Any]:
    try:
        return get_type_hints(tp, include_extras=True)
    except NameError as e:
        raise TypeError(f"cannot resolve the field types of {tp.__qualname__}: {e}") from e


def _fields_conv(fields: list[tuple[str, Converter, bool]],
                 build: Callable[[dict[str, object]], object]) -> Converter:
    def conv(v: object) -> object:
        if type(v) is not dict:
            raise _ShapeError(f"expected object, got {_kind(v)}")
        kwargs: dict[str, object] = {}
        for name, field_conv, required in fields:
            if name in v:
                try:
                    kwargs[name] = field_conv(v[name])
                except _ShapeError as e:
                    e.steps.append(_key_step(name))
                    raise
            elif required:
                err = _ShapeError("missing required field")
                err.steps.append(_key_step(name))
                raise err
        return build(kwargs)
    return conv


def _dataclass(tp: type, seen: dict[object, Converter]) -> Converter:
    hints = _hints(tp)
    fields = []
    for f in dataclasses.fields(tp):
        if not f.init:
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        fields.append((f.name, _compile(hints[f.name], seen), required))

    def build(kwargs: dict[str, object]) -> object:
        try:
            return tp(**kwargs)
        except ValueError as e:  # raised by a __post_init__ validator: the client's fault
            raise _ShapeError(str(e)[:300] or "invalid value") from None
    return _fields_conv(fields, build)


def _typeddict(tp: type, seen: dict[object, Converter]) -> Converter:
    hints = _hints(tp)
    required_keys: frozenset[str] = getattr(tp, "__required_keys__", frozenset(hints))
    fields = [(name, _compile(_strip_required(hint), seen), _is_required(name, hint, required_keys))
              for name, hint in hints.items()]
    return _fields_conv(fields, dict)


def _strip_required(hint: object) -> object:
    while get_origin(hint) in (typing.Required, typing.NotRequired):
        hint = get_args(hint)[0]
    return hint


def _is_required(name: str, hint: object, required_keys: frozenset[str]) -> bool:
    # The hint decides when it says so: with string annotations Python 3.11
    # computes `__required_keys__` without seeing `NotRequired[...]`.
    origin = get_origin(hint)
    if origin is typing.NotRequired:
        return False
    return origin is typing.Required or name in required_keys
