"""Value parsers shared by catalog entries. Each raises ``ValueError`` with an English message
that says what a good value looks like; the builder attaches the parameter name."""
from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")

_TRUE = frozenset(("true", "1"))
_FALSE = frozenset(("false", "0"))


def boolean(value: str) -> bool:
    """``true/false/1/0`` in any case.

    >>> boolean("True"), boolean("0")
    (True, False)
    """
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {value!r} (e.g. true)")


def integer(value: str, *, minimum: int | None = None) -> int:
    """An integer, optionally bounded below.

    >>> integer("12")
    12
    """
    try:
        number = int(value.strip())
    except ValueError:
        raise ValueError(f"expected an integer, got {value!r} (e.g. 10)") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"must be {minimum} or more, got {number}")
    return number


def csv_of(item: Callable[[str], T]) -> Callable[[str], list[T]]:
    """A comma-separated list of items; empty items are dropped.

    >>> csv_of(str)("a,b,,c")
    ['a', 'b', 'c']
    """

    def parse(value: str) -> list[T]:
        items = [item(v.strip()) for v in value.split(",") if v.strip()]
        if not items:
            raise ValueError("expected at least one comma-separated value")
        return items

    return parse


def text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL (0x00) characters")
    return value
