"""The response cache never serves an answer older than the last write, and computes each answer once."""
from __future__ import annotations

import copy
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import falcon
import falcon.testing
import pyoxigraph as ox
import pytest

from endpoint.app import Settings, create_app
from endpoint.cache import ResponseCache
from ld.errors import QueryError
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


class _Slow:
    """A resource that counts its computations and holds each one until released."""

    def __init__(self) -> None:
        self.calls = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.calls += 1
        self.entered.set()
        assert self.release.wait(10)
        resp.data = f"answer {self.calls}".encode()


def _slow_app(generation: list[int], ttl: float = 60.0) -> tuple[falcon.App, _Slow]:
    resource = _Slow()
    app = falcon.App(middleware=[ResponseCache(lambda: generation[0], ttl=ttl)])
    app.add_route("/slow", resource)
    return app, resource


def test_concurrent_misses_of_one_answer_compute_it_once() -> None:
    app, resource = _slow_app([0])
    client = falcon.testing.TestClient(app)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(client.simulate_get, "/slow")
        assert resource.entered.wait(10)
        others = [pool.submit(client.simulate_get, "/slow") for _ in range(3)]
        time.sleep(0.2)  # the others reach the cache and wait for the first computation
        resource.release.set()
        answers = [f.result().text for f in (first, *others)]
    assert answers == ["answer 1"] * 4
    assert resource.calls == 1


def test_no_cache_recomputes_and_replaces_the_cached_answer() -> None:
    app, resource = _slow_app([0])
    resource.release.set()
    client = falcon.testing.TestClient(app)
    assert client.simulate_get("/slow").text == "answer 1"
    assert client.simulate_get("/slow").text == "answer 1"
    assert client.simulate_get("/slow", headers={"Cache-Control": "no-cache"}).text == "answer 2"
    assert client.simulate_get("/slow").text == "answer 2"


def test_a_new_generation_misses_and_old_entries_expire() -> None:
    generation = [0]
    app, resource = _slow_app(generation, ttl=0.5)
    resource.release.set()
    client = falcon.testing.TestClient(app)
    assert client.simulate_get("/slow").text == "answer 1"
    assert client.simulate_get("/slow").text == "answer 1"
    generation[0] = 1
    assert client.simulate_get("/slow").text == "answer 2"
    time.sleep(0.6)
    assert client.simulate_get("/slow").text == "answer 3"


def test_a_failed_computation_is_not_cached_and_releases_the_waiters() -> None:
    app = falcon.App(middleware=[ResponseCache(lambda: 0)])
    calls = []

    class Failing:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            calls.append(1)
            raise falcon.HTTPNotFound()

    app.add_route("/missing", Failing())
    client = falcon.testing.TestClient(app)
    assert client.simulate_get("/missing").status_code == 404
    assert client.simulate_get("/missing").status_code == 404
    assert len(calls) == 2


def test_the_store_generation_follows_its_own_writes() -> None:
    store = OxigraphStore()
    before = store.generation()
    store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert store.generation() == before + 1
    store.load([ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.NamedNode("urn:d"))])
    assert store.generation() == before + 2
    with pytest.raises(QueryError):
        store.update("INSERT DATA { broken")
    assert store.generation() == before + 2
