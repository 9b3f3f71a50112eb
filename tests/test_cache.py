"""The response cache never serves an answer older than the last write."""
from __future__ import annotations

import copy

import falcon.testing

from endpoint.app import Settings, create_app
from ld.store import OxigraphStore

from conftest import BASE, KEYS, load_records, real_records


def test_a_write_invalidates_cached_answers() -> None:
    store = OxigraphStore()
    template = real_records("event")[3]
    load_records(store, [("event", dict(copy.deepcopy(template), id="test:1"))])
    client = falcon.testing.TestClient(create_app(store, Settings(base_url=BASE, keys=KEYS)))
    assert client.simulate_get("/linkedevents/v1/event/").json["meta"]["count"] == 1
    assert client.simulate_get("/linkedevents/v1/event/").json["meta"]["count"] == 1  # served from the cache
    load_records(store, [("event", dict(copy.deepcopy(template), id="test:2"))])
    assert client.simulate_get("/linkedevents/v1/event/").json["meta"]["count"] == 2
    renamed = dict(copy.deepcopy(template), id="test:2", name={"fi": "Uusi nimi"})
    load_records(store, [("event", renamed)])
    assert client.simulate_get("/linkedevents/v1/event/test:2/").json["name"] == {"fi": "Uusi nimi"}
