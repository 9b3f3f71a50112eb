"""The reader's per-generation memos (ld.memo): shared places and keywords fetched and rendered
once, with exactly the JSON a fresh render gives, per request time, and never across a write."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from conftest import BASE, load_records
from ld.identity import Identity
from ld.iris import Iris
from ld.memo import Memo
from ld.read import Reader
from ld.store import PUBLIC, OxigraphStore
from ld.times import UTC


INCLUDE = ("location", "keywords", "audience", "in_language", "publisher")


def _events(reader: Reader, n: int) -> list[str]:
    rows = reader.store.query("SELECT ?e WHERE { ?e <https://w3id.org/linkedevents/internal#listing> ?l } ORDER BY ?e")
    return [r["e"].value for r in rows][:n]


def test_memoized_pages_render_exactly_as_fresh_ones(generated_store: OxigraphStore) -> None:
    reader = Reader(generated_store, Iris(BASE))
    now = datetime.now(UTC)
    events = _events(reader, 120)
    for srid in (None, 3067):
        view = reader.view(include=INCLUDE, srid=srid)
        fresh = reader.render_all(events, PUBLIC, replace(view, shared=None), now)
        # Two pages overlapping in their events share most places and keywords: the second is
        # rendered from the memo, the third entirely so.
        assert reader.render_all(events[:80], PUBLIC, view, now) == fresh[:80]
        assert reader.render_all(events[40:], PUBLIC, view, now) == fresh[40:]
        assert reader.render_all(events, PUBLIC, view, now) == fresh
    assert any(isinstance(e["location"], dict) and "n_events" in e["location"] for e in fresh)


PLACE = {"id": "test:p1", "name": {"fi": "Vanha"}, "data_source": "test", "publisher": "test:org"}
EVENT = {"id": "test:e1", "name": {"fi": "Tapahtuma"}, "data_source": "test", "publisher": "test:org",
         "event_status": "EventScheduled", "location": {"@id": f"{BASE}/linkedevents/v1/place/test:p1/"},
         "start_time": "2030-01-01T10:00:00Z", "end_time": "2030-01-01T12:00:00Z"}


def _location(reader: Reader, now: datetime) -> dict:
    iri = reader.iris.entity("event", EVENT["id"])
    return reader.render_all([iri], PUBLIC, reader.view(include=["location"]), now)[0]["location"]


def _one_event_store() -> OxigraphStore:
    store = OxigraphStore()
    report = load_records(store, [("place", PLACE), ("event", EVENT)])
    assert not report.rejected, report.rejected
    return store


def test_computed_fields_follow_the_request_time() -> None:
    reader = Reader(_one_event_store(), Iris(BASE))
    before = _location(reader, datetime(2029, 1, 1, tzinfo=UTC))
    after = _location(reader, datetime(2031, 1, 1, tzinfo=UTC))
    assert (before["has_upcoming_events"], after["has_upcoming_events"]) == (True, False)
    assert before["n_events"] == after["n_events"] == 1


def test_a_write_is_seen_at_once() -> None:
    store = _one_event_store()
    reader = Reader(store, Iris(BASE))
    assert _location(reader, datetime.now(UTC))["name"] == {"fi": "Vanha"}
    load_records(store, [("place", {**PLACE, "name": {"fi": "Uusi"}})])
    assert _location(reader, datetime.now(UTC))["name"] == {"fi": "Uusi"}


def test_callers_who_may_see_more_get_no_shared_renders(generated_store: OxigraphStore) -> None:
    reader = Reader(generated_store, Iris(BASE))
    assert reader.view().shared is not None
    assert reader.view(identity=Identity(user="admin", superuser=True)).shared is None


def test_a_bucket_keeps_the_most_recently_used_and_a_new_generation_starts_empty() -> None:
    generation = [1]
    memo = Memo(lambda: generation[0], size=2)
    bucket = memo.current()
    bucket.put("a", 1)
    bucket.put("b", 2)
    assert bucket.get("a") == 1  # "b" is now the least recently used
    bucket.put("c", 3)
    assert bucket.get_many(["a", "b", "c"]) == {"a": 1, "c": 3}
    assert memo.current() is bucket
    generation[0] = 2
    assert memo.current() is not bucket and memo.current().get("a") is None
