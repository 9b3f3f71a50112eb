"""Event times as instants: the one place that knows date-only values are Helsinki days."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

HELSINKI = ZoneInfo("Europe/Helsinki")
UTC = timezone.utc


def local_midnight(day: date) -> datetime:
    """00:00 Helsinki time on ``day``, in UTC.

    >>> local_midnight(date(2020, 2, 20)).isoformat()
    '2020-02-19T22:00:00+00:00'
    """
    return datetime.combine(day, time(0), HELSINKI).astimezone(UTC)


def parse_instant(value: str, *, naive_tz=HELSINKI) -> datetime:
    """An ISO 8601 date-time; a naive one is local time in ``naive_tz``."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed.astimezone(UTC)


def event_span(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """The instants an event starts and ends, as the original server stores them.

    A date-only start begins at local midnight; a date-only end lasts to the next local
    midnight; a missing end is the next local midnight after the start.

    >>> [t.isoformat() for t in event_span("2020-08-22", "2020-08-22")]
    ['2020-08-21T21:00:00+00:00', '2020-08-22T21:00:00+00:00']
    >>> [t.isoformat() for t in event_span("2020-06-01T13:45:00Z", None)]
    ['2020-06-01T13:45:00+00:00', '2020-06-01T21:00:00+00:00']
    """
    start_at = _instant(start, end_of_day=False)
    end_at = _instant(end, end_of_day=True)
    if end_at is None and start_at is not None:
        local_day = start_at.astimezone(HELSINKI).date()
        end_at = local_midnight(local_day + timedelta(days=1))
    return start_at, end_at


def _instant(value: str | None, *, end_of_day: bool) -> datetime | None:
    if not value:
        return None
    if len(value) == 10:
        day = date.fromisoformat(value)
        return local_midnight(day + timedelta(days=1) if end_of_day else day)
    return parse_instant(value)


def xsd(moment: datetime) -> str:
    """Canonical UTC lexical form, so that index literals compare and sort as strings too."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{moment.microsecond:06d}Z" if moment.microsecond else "Z"
    )


def _last_sundays(year: int) -> tuple[int, int]:
    """Days of the month of the last Sundays of March and October: the formula the SPARQL
    templates use (ld.filters.catalog.local_time_binds), so both agree for every year."""
    q = 5 * year // 4
    return 31 - (q + 4) % 7, 31 - (q + 1) % 7


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware instant (how the side index keeps instants).

    >>> micros(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC))
    1000005
    """
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    """The instant ``micros`` gave ``value`` for."""
    return _EPOCH + timedelta(microseconds=int(value))


def _summer_time_table(first: int = 1900, last: int = 2200) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of summer time (01:00 UTC on those Sundays) per year, in µs since the epoch."""
    starts, ends = [], []
    for year in range(first, last + 1):
        march, october = _last_sundays(year)
        starts.append(micros(datetime(year, 3, march, 1, tzinfo=UTC)))
        ends.append(micros(datetime(year, 10, october, 1, tzinfo=UTC)))
    return np.array(starts, np.int64), np.array(ends, np.int64)


_FIRST_YEAR = 1900
_SUMMER_STARTS, _SUMMER_ENDS = _summer_time_table(_FIRST_YEAR)


def helsinki_seconds_of_day(micros: np.ndarray) -> np.ndarray:
    """Seconds after local (Helsinki) midnight of instants given in µs since the epoch.

    >>> summer = local_midnight(date(2026, 7, 1)) + timedelta(hours=16, minutes=30)
    >>> winter = local_midnight(date(2026, 1, 1)) + timedelta(hours=9, seconds=0.5)
    >>> helsinki_seconds_of_day(np.array([micros(summer), micros(winter)])).tolist()
    [59400.0, 32400.5]
    """
    years = micros.astype("datetime64[us]").astype("datetime64[Y]").astype(np.int64) + 1970 - _FIRST_YEAR
    years = np.clip(years, 0, len(_SUMMER_STARTS) - 1)
    summer = (micros >= _SUMMER_STARTS[years]) & (micros < _SUMMER_ENDS[years])
    local = micros + np.where(summer, 3, 2) * 3_600_000_000
    return (local % 86_400_000_000) / 1_000_000
