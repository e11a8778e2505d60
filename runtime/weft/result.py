"""`Ok` / `Err`: Verum's `Result` as two frozen generic dataclasses.

Generated code returns these from fallible functions and lowers `?` to an
`isinstance(r, Err)` early return; `match r: case Ok(v): ... case Err(e): ...`
works through `__match_args__`. Handlers may return either; `into_response`
renders `Ok(v)` as `v` and `Err(e)` as `e`'s response.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, Never, NoReturn, TypeAlias, TypeVar, final

__all__ = ["Err", "Ok", "Result", "UnwrapError"]

T = TypeVar("T", covariant=True)
E = TypeVar("E", covariant=True)
U = TypeVar("U")
F = TypeVar("F")
D = TypeVar("D")


@final
class UnwrapError(Exception):
    """`unwrap()` on an `Err` or `unwrap_err()` on an `Ok` (a bug: Verum panics)."""


@final
@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    """The success arm of a `Result`."""

    value: T

    def is_ok(self) -> Literal[True]:
        return True

    def is_err(self) -> Literal[False]:
        return False

    def unwrap(self) -> T:
        return self.value

    def unwrap_err(self) -> NoReturn:
        raise UnwrapError(f"unwrap_err() on Ok({self.value!r})")

    def unwrap_or(self, default: object) -> T:
        return self.value

    def unwrap_or_else(self, fn: Callable[[Never], object]) -> T:
        return self.value

    def ok(self) -> T:
        return self.value

    def err(self) -> None:
        return None

    def map(self, fn: Callable[[T], U]) -> Ok[U]:
        return Ok(fn(self.value))

    def map_err(self, fn: Callable[[Never], object]) -> Ok[T]:
        return self

    def and_then(self, fn: Callable[[T], Result[U, F]]) -> Result[U, F]:
        return fn(self.value)


@final
@dataclass(frozen=True, slots=True)
class Err(Generic[E]):
    """The failure arm of a `Result`."""

    error: E

    def is_ok(self) -> Literal[False]:
        return False

    def is_err(self) -> Literal[True]:
        return True

    def unwrap(self) -> NoReturn:
        if isinstance(self.error, BaseException):
            raise UnwrapError(f"unwrap() on Err({self.error!r})") from self.error
        raise UnwrapError(f"unwrap() on Err({self.error!r})")

    def unwrap_err(self) -> E:
        return self.error

    def unwrap_or(self, default: D) -> D:
        return default

    def unwrap_or_else(self, fn: Callable[[E], U]) -> U:
        return fn(self.error)

    def ok(self) -> None:
        return None

    def err(self) -> E:
        return self.error

    def map(self, fn: Callable[[Never], object]) -> Err[E]:
        return self

    def map_err(self, fn: Callable[[E], F]) -> Err[F]:
        return Err(fn(self.error))

    def and_then(self, fn: Callable[[Never], object]) -> Err[E]:
        return self


Result: TypeAlias = Ok[T] | Err[E]
