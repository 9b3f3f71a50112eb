"""Registration filters read the registration's enrolment times and capacities, preferring them
over the event's own (behaviour catalog §11.2 cases 20, 46 and 48)."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from ld.filters.build import build
from ld.iris import Iris
from ld.model import RESOURCES
from ld.read import Reader
from ld.store import OxigraphStore

from conftest import BASE, load_records, real_records

IRIS = Iris(BASE)
NOW = datetime(2024, 1, 3, 12, tzinfo=timezone.utc)
TEMPLATE = real_records("event")[3]


def event(event_id: str, registration: str | None = None, **fields):
    record = copy.deepcopy(TEMPLATE)
    record.update(id=event_id, registration={"@id": f"{BASE}/linkedevents/v1/registration/{registration}/"}
                  if registration else None, **fields)
    record.pop("@id")
    return ("event", record)


def registration(reg_id: str, event_id: str, **fields):
    return ("registration", {"id": reg_id, "event": {"@id": f"{BASE}/linkedevents/v1/event/{event_id}/"}, **fields})


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    store = OxigraphStore()
    report = load_records(store, [
        event("t:a", "r:a"), registration("r:a", "t:a", enrolment_start_time="2024-01-01T00:00:00+02:00",
                                          enrolment_end_time="2024-01-07T00:00:00+02:00",
                                          remaining_attendee_capacity=10, remaining_waiting_list_capacity=0),
        event("t:b", enrolment_start_time="2024-02-01T00:00:00+02:00"),
        event("t:c", "r:c", enrolment_start_time="2024-03-01T00:00:00+02:00",
              enrolment_end_time="2024-03-31T00:00:00+02:00"),
        registration("r:c", "t:c", enrolment_start_time="2025-02-02T00:00:00+02:00",
                     enrolment_end_time="2025-03-02T00:00:00+02:00", remaining_attendee_capacity=5),
        event("t:d", enrolment_end_time="2024-12-01T00:00:00+02:00"),
        event("t:e", "r:e"), registration("r:e", "t:e", enrolment_end_time="2024-01-10T00:00:00+02:00",
                                          remaining_attendee_capacity=0, remaining_waiting_list_capacity=3),
        event("t:f", "r:f"), registration("r:f", "t:f", remaining_attendee_capacity=1),
    ])
    assert not report.rejected, report.rejected
    return store


def ids(store: OxigraphStore, params: dict[str, str]) -> list[str]:
    query = build(RESOURCES["event"], {"page_size": "100", **params}, iris=IRIS, now=NOW, store=store)
    return [item["id"] for item in Reader(store, IRIS).page(query, now=NOW).items]


@pytest.mark.parametrize("params,expected", [
    ({"enrolment_open_on": "2025-02-01"}, {"t:b", "t:f"}),
    ({"enrolment_open_on": "2025-02-02T13:00:00"}, {"t:b", "t:c", "t:f"}),
    ({"enrolment_open_on": "2024-01-02T13:00:00"}, {"t:a", "t:d", "t:e", "t:f"}),
    ({"registration__remaining_attendee_capacity__gte": "5"}, {"t:a", "t:c"}),
    ({"registration__remaining_attendee_capacity__gte": "11"}, set()),
    ({"registration__remaining_attendee_capacity__isnull": "true"}, {"t:b", "t:d"}),
    ({"registration__remaining_waiting_list_capacity__gte": "1"}, {"t:e"}),
    ({"registration__remaining_waiting_list_capacity__isnull": "1"}, {"t:b", "t:c", "t:d", "t:f"}),
    ({"enrolment_open": "true"}, {"t:a", "t:c", "t:d"}),  # t:e is full; t:b and t:f have no end
    ({"enrolment_open_waitlist": "true"}, {"t:a", "t:c", "t:d", "t:e"}),  # t:e has waiting-list room
    ({"registration": "true"}, {"t:a", "t:c", "t:e", "t:f"}),
])
def test_registration_filters(store, params, expected) -> None:
    assert set(ids(store, params)) == expected


def test_enrolment_start_prefers_the_registration_and_puts_events_without_last(store) -> None:
    ascending = ids(store, {"sort": "enrolment_start"})
    descending = ids(store, {"sort": "-enrolment_start"})
    timed = ["t:a", "t:b", "t:c"]  # 2024-01-01 (registration), 2024-02-01 (event), 2025-02-02 (registration)
    assert ascending[:3] == timed and descending[:3] == timed[::-1]
    assert set(ascending[3:]) == set(descending[3:]) == {"t:d", "t:e", "t:f"}
