"""Bad input is always a clear JSON error naming what is wrong: never a 500, never a traceback."""
from __future__ import annotations

import pytest

from conftest import assert_canonical_error

BAD_PARAMETERS = [
    ("event", "days=99999999999", "days"),
    ("event", "start=0001-01-01", "start"),
    ("event", "start=2020-13-45", "start"),
    ("event", "bbox=1e400,0,1,1", "bbox"),
    ("event", "dwithin_origin=24.9,60.1&dwithin_metres=x", "dwithin_metres"),
    ("event", "weekday=0", "weekday"),
    ("event", "text=a%00b", "text"),
    ("event", "is_free=maybe", "is_free"),
    ("event", "sort=foo", "sort"),
    ("event", "page_size=0", "page_size"),
    ("event", "page=abc", "page"),
    ("event", "event_type=party", "event_type"),
    ("event", "enrolment_open_on=99999-01-01", "enrolment_open_on"),
    ("place", "srid=777", "srid"),
    ("place", "has_upcoming_events=maybe", "has_upcoming_events"),
    ("keyword", "show_deprecated=perhaps", "show_deprecated"),
]


@pytest.mark.parametrize("resource,query,param", BAD_PARAMETERS)
def test_bad_parameter_is_a_400_naming_it(client, resource: str, query: str, param: str) -> None:
    body = assert_canonical_error(client.simulate_get(f"/linkedevents/v1/{resource}/", query_string=query), 400)
    assert body["detail"].startswith(f"{param}: "), body


def test_every_bad_parameter_is_reported_at_once(client) -> None:
    body = assert_canonical_error(
        client.simulate_get("/linkedevents/v1/event/", query_string="start=x&is_free=maybe&weekday=9"), 400)
    for param in ("start", "is_free", "weekday"):
        assert f"{param}: " in body["detail"]


@pytest.mark.parametrize("path,status", [
    ("/linkedevents/v1/event/%00/", 404),
    ("/linkedevents/v1/image/abc/", 404),
    ("/linkedevents/v1/nothing/", 404),
    ("/static/../../etc/passwd", 404),
    ("/sparql?query=%00", 400),
])
def test_bad_paths(client, path: str, status: int) -> None:
    path, _, query = path.partition("?")
    assert_canonical_error(client.simulate_get(path, query_string=query or None), status)
