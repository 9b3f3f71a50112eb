"""Value parsers shared by catalog entries. Each raises ``ValueError`` with an English message
that says what a good value looks like; the builder attaches the parameter name."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, TypeVar

from ld.times import HELSINKI, UTC, local_midnight

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


# ----------------------------------------------------------------------------------------
# Times
# ----------------------------------------------------------------------------------------
_TIME_FORMAT = "expected an ISO 8601 date-time or date, 'today' or 'now' (e.g. 2020-12-31 or 2020-12-31T18:00:00+02:00)"


@dataclass(frozen=True)
class When:
    """A parsed ``start``/``end``-style value; resolved against the request clock by ``resolve``.

    ``kind`` is ``now``, ``today``, ``date`` (``value`` a date) or ``datetime`` (``value`` an
    aware UTC datetime; naive input is Europe/Helsinki local time).
    """

    kind: str
    value: Any = None

    def resolve(self, now: datetime, *, end: bool) -> datetime:
        """The instant (UTC) this value means; date-like values at an ``end`` mean the next local midnight."""
        if self.kind == "now":
            return now.astimezone(UTC)
        if self.kind == "datetime":
            return self.value
        day = now.astimezone(HELSINKI).date() if self.kind == "today" else self.value
        return local_midnight(day + timedelta(days=1) if end else day)


def when(value: str) -> When:
    """``today``/``now`` (any case), ``YYYY-MM-DD`` or an ISO 8601 date-time.

    >>> when("2020-02-20")
    When(kind='date', value=datetime.date(2020, 2, 20))
    >>> when("2020-02-19T11:22:33").value.isoformat()
    '2020-02-19T09:22:33+00:00'
    >>> when("NOW").kind
    'now'
    """
    text = value.strip()
    lowered = text.lower()
    if lowered in ("now", "today"):
        return When(lowered)
    if _DATE_RE.fullmatch(text):
        try:
            return When("date", date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"{value!r} is not a valid date; {_TIME_FORMAT}") from None
    if not _DATETIME_RE.match(text):
        raise ValueError(f"{value!r} is not a valid time; {_TIME_FORMAT}")
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid time; {_TIME_FORMAT}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=HELSINKI)
    offset = parsed.utcoffset()
    if offset is not None and abs(offset) > timedelta(hours=15):
        raise ValueError(f"time zone of {value!r} is out of bounds (offsets must be within ±15:00)")
    return When("datetime", parsed.astimezone(UTC))


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}")


def time_of_day(value: str) -> int:
    """``H``, ``HH``, ``H:MM`` or ``HH:`` -> seconds after local midnight.

    >>> time_of_day("16:30"), time_of_day("16:"), time_of_day("7")
    (59400, 57600, 25200)
    """
    parts = value.strip().split(":")
    if len(parts) > 2:
        raise ValueError("only hours and minutes can be given, for example 16:00")
    hours_text, minutes_text = parts[0], (parts[1] if len(parts) == 2 else "")
    if not hours_text.isdigit():
        raise ValueError("hours should be passed as numbers, for example 16:00")
    hours = int(hours_text)
    if not 0 <= hours <= 23:
        raise ValueError(f"hours should be between 0 and 23, for example 16:00; got {hours}")
    minutes = 0
    if minutes_text:
        if not minutes_text.isdigit() or not 0 <= int(minutes_text) <= 59:
            raise ValueError(f"minutes should be between 0 and 59, as in 16:20; got {minutes_text!r}")
        minutes = int(minutes_text)
    return hours * 3600 + minutes * 60


_DURATION_RE = re.compile(r"(\d+)\s*([smhd]?)", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(value: str) -> int:
    """``N``/``Ns`` seconds, ``Nm`` minutes, ``Nh`` hours or ``Nd`` days -> seconds.

    >>> duration("86400"), duration("180m"), duration("3h"), duration("3d")
    (86400, 10800, 10800, 259200)
    """
    match = _DURATION_RE.fullmatch(value.strip())
    if not match:
        raise ValueError(f"invalid duration {value!r}; try 1d, 2h, 180m or 86400s")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


# ----------------------------------------------------------------------------------------
# Numbers and geometry
# ----------------------------------------------------------------------------------------
def number(value: str) -> float:
    """A finite decimal number.

    >>> number("35.5")
    35.5
    """
    try:
        result = float(value.strip())
    except ValueError:
        raise ValueError(f"expected a number, got {value!r} (e.g. 1000)") from None
    if not math.isfinite(result):
        raise ValueError(f"expected a finite number, got {value!r} (e.g. 1000)")
    return result


def numbers(count: int, what: str) -> Callable[[str], list[float]]:
    """Exactly ``count`` comma-separated numbers."""

    def parse(value: str) -> list[float]:
        items = [v.strip() for v in value.split(",")]
        if len(items) != count:
            raise ValueError(f"must be in the format {what}")
        try:
            return [number(v) for v in items]
        except ValueError:
            raise ValueError(f"values must be numbers, in the format {what}") from None

    return parse


def ages(value: str) -> list[int]:
    """One or two integers (``suitable_for``).

    >>> ages("12,11")
    [12, 11]
    """
    items = [v.strip() for v in value.split(",")]
    if len(items) > 2:
        raise ValueError(f"takes at most two values, you provided {len(items)}")
    return [integer(v) for v in items]


def weekdays(value: str) -> list[int]:
    """ISO weekdays 1 (Monday) .. 7 (Sunday), comma-separated."""
    days = csv_of(str)(value)
    out = []
    for d in days:
        if not d.isdigit() or not 1 <= int(d) <= 7:
            raise ValueError(f"{d!r} is not a weekday; use numbers 1 (Monday) to 7 (Sunday)")
        out.append(int(d))
    return out


def choice(*options: str, lower: bool = True) -> Callable[[str], str]:
    """One of a fixed set of words (compared in lower case unless ``lower=False``)."""

    def parse(value: str) -> str:
        v = value.strip().lower() if lower else value.strip()
        if v not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return v

    return parse
