"""The limits of ``/sparql``: the per-query time limit (worker processes over an on-disk store),
the result-size cap, CORS, and what the process pool costs.

Heavy queries are cross joins over the real sample (~13k triples): three patterns make ~10^12
solutions, far past any limit. The process pool runs over a store on disk, loaded through the
real loader; the cap is also checked in-process, over in-memory stores.
"""
from __future__ import annotations

import csv
import io
import json
import os
import statistics
import threading
import time

import falcon.testing
import pyoxigraph as ox
import pytest

from conftest import BASE, REAL, assert_canonical_error, load_paths
from endpoint.app import Settings, create_app
from endpoint.sparql import Renderer, public_graphs
from ld.sparql_runner import InProcessRunner, Limits, ProcessRunner, runner_for
from ld.store import PUBLIC_DATA, Dataset, OxigraphStore, insert_data
from ld.vocab import GRAPH, PREFIXES, SCHEMA

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SIMPLE = "SELECT ?e WHERE { ?e a schema:Event } ORDER BY ?e LIMIT 3"
CAP = 50
ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


def runner_of(app: falcon.App):
    resource, *_ = app._router.find("/sparql")
    return resource.runner


def wait_for_workers(runner: ProcessRunner, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while runner._idle.qsize() < count:
        assert time.monotonic() < deadline, "the SPARQL workers did not start"
        time.sleep(0.05)


def query(client: falcon.testing.TestClient, text: str, **params):
    return client.simulate_get("/sparql", params={"query": text, **params})


@pytest.fixture(scope="module")
def disk_store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    store = OxigraphStore(tmp_path_factory.mktemp("limits") / "store")
    report = load_paths(store, [REAL])
    assert not report.rejected
    return store


@pytest.fixture(scope="module")
def limited(disk_store: OxigraphStore):
    """An app whose queries run in worker processes: 1.5 s limit, cap of 50 results."""
    app = create_app(disk_store, Settings(base_url=BASE, cache_size=0,
                                          sparql_limits=Limits(timeout=1.5, max_results=CAP, prestart=True)))
    runner = runner_of(app)
    assert isinstance(runner, ProcessRunner)
    wait_for_workers(runner, 2)
    yield falcon.testing.TestClient(app)
    runner.close()


# -- the time limit --------------------------------------------------------------------------
def test_in_memory_store_runs_in_process_without_a_time_limit() -> None:
    runner = runner_for(OxigraphStore(), Limits(timeout=1))
    assert isinstance(runner, InProcessRunner)  # documented: no timeout for path=None stores


def test_heavy_query_is_stopped_and_others_are_served_meanwhile(limited) -> None:
    runner = runner_of(limited.app)
    wait_for_workers(runner, 2)
    before = set(runner.pids())
    heavy: dict = {}

    def run_heavy() -> None:
        started = time.monotonic()
        heavy["result"] = query(limited, HEAVY)
        heavy["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run_heavy)
    thread.start()
    time.sleep(0.3)
    quick = []
    for _ in range(3):  # served by the other worker while the heavy query runs
        started = time.monotonic()
        result = query(limited, SIMPLE)
        quick.append(time.monotonic() - started)
        assert result.status_code == 200, result.text
        assert len(result.json["results"]["bindings"]) == 3
    assert thread.is_alive(), "the heavy query should still be running"
    assert max(quick) < 1.0, quick
    thread.join(timeout=30)

    result = heavy["result"]
    body = assert_canonical_error(result, 503, "1.5 s time limit")
    assert set(body) == {"detail"}
    assert 1.5 <= heavy["seconds"] < 5, heavy["seconds"]
    # The next query is answered, and the killed worker is replaced.
    after = query(limited, SIMPLE)
    assert after.status_code == 200 and len(after.json["results"]["bindings"]) == 3
    wait_for_workers(runner, 2)
    assert len(runner.pids()) == 2 and set(runner.pids()) != before


def test_the_killed_worker_process_is_gone(limited) -> None:
    runner = runner_of(limited.app)
    wait_for_workers(runner, 2)
    before = set(runner.pids())
    assert query(limited, HEAVY).status_code == 503
    gone = before - set(runner.pids())
    assert len(gone) == 1
    pid = gone.pop()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}"), "the timed-out worker still runs"


def test_a_query_waiting_for_the_only_worker_is_answered_not_hung(disk_store) -> None:
    """One worker, busy with a heavy query: the next query waits at most the limit for it (then
    for its replacement, while that starts) and is answered 200, or 503 "busy", never hangs."""
    app = create_app(disk_store, Settings(base_url=BASE, cache_size=0,
                                          sparql_limits=Limits(timeout=1, workers=1, prestart=True)))
    client = falcon.testing.TestClient(app)
    runner = runner_of(app)
    try:
        wait_for_workers(runner, 1)
        thread = threading.Thread(target=query, args=(client, HEAVY))
        thread.start()
        time.sleep(0.2)
        started = time.monotonic()
        result = query(client, SIMPLE)
        assert time.monotonic() - started < 10
        assert result.status_code in (200, 503)
        if result.status_code == 503:
            assert "busy" in result.json["detail"] or "time limit" in result.json["detail"]
        thread.join(timeout=30)
        wait_for_workers(runner, 1)
        assert query(client, SIMPLE).status_code == 200
    finally:
        runner.close()


def test_a_worker_killed_from_outside(limited) -> None:
    runner = runner_of(limited.app)
    wait_for_workers(runner, 2)
    # Idle worker killed, the one the next query would go to (the last one used): that query goes
    # to another worker, the dead one is replaced.
    query(limited, SIMPLE)
    victim = runner._idle.queue[-1].process.pid
    os.kill(victim, 9)
    time.sleep(0.2)
    for _ in range(3):
        assert query(limited, SIMPLE).status_code == 200
    wait_for_workers(runner, 2)
    assert victim not in runner.pids()
    # Worker killed mid-query (as the OOM killer would): 503, not a 500 or a truncated 200.
    results: dict = {}
    thread = threading.Thread(target=lambda: results.setdefault("r", query(limited, HEAVY)))
    before = set(runner.pids())
    thread.start()
    time.sleep(0.4)
    idle = {w.process.pid for w in list(runner._idle.queue)}
    busy = before - idle  # the one running the heavy query
    assert len(busy) == 1
    os.kill(busy.pop(), 9)
    thread.join(timeout=30)
    body = assert_canonical_error(results["r"], 503)
    assert "stopped" in body["detail"] or "time limit" in body["detail"]
    wait_for_workers(runner, 2)
    assert query(limited, SIMPLE).status_code == 200


# -- what the workers answer -----------------------------------------------------------------
def test_workers_answer_like_the_in_process_endpoint(limited, disk_store) -> None:
    local = falcon.testing.TestClient(create_app(disk_store, Settings(base_url=BASE, cache_size=0,
                                                                      sparql_limits=Limits(max_results=CAP))))
    local.app._router.find("/sparql")[0].runner = InProcessRunner(disk_store, Limits(max_results=CAP))
    cases = [
        (SIMPLE, {}), (SIMPLE, {"format": "xml"}), (SIMPLE, {"format": "csv"}), (SIMPLE, {"format": "tsv"}),
        ("ASK { ?e a schema:Event }", {}),
        ("CONSTRUCT { ?e a schema:Event } WHERE { ?e a schema:Event } LIMIT 3", {"format": "nt"}),
        ("CONSTRUCT { ?e a schema:Event } WHERE { ?e a schema:Event } LIMIT 3", {"format": "jsonld"}),
        ("SELECT ?e WHERE { ?e a schema:Event ", {}),                 # syntax error, with position
        (SIMPLE, {"format": "ttl"}),                                  # 406
        ("SELECT * { ?s ?p ?o FILTER(<http://example.org/nope>(?o)) }", {}),
    ]
    for text, params in cases:
        remote, here = query(limited, text, **params), query(local, text, **params)
        assert (remote.status_code, remote.headers["content-type"]) == (here.status_code, here.headers["content-type"])
        if "jsonld" not in params.values():
            assert remote.content == here.content, text
        else:
            assert remote.json == here.json
    assert "at 1:37" in query(limited, "SELECT ?e WHERE { ?e a schema:Event ").json["detail"]


def test_a_write_is_seen_by_the_next_query_and_the_reopen_is_measured(limited, disk_store, capsys) -> None:
    runner = runner_of(limited.app)
    wait_for_workers(runner, 2)
    thing = ox.NamedNode("http://example.org/reopen-test")
    ask = f"ASK {{ <{thing.value}> ?p ?o }}"
    assert query(limited, ask).json["boolean"] is False
    for i in range(6):
        disk_store.update(insert_data([ox.Quad(thing, SCHEMA.name, ox.Literal(f"r{i}"), PUBLIC_DATA)]))
        # the worker reopens its snapshot before its next query
        for _ in range(2):
            assert query(limited, ask).json["boolean"] is True
            assert len(query(limited, f"SELECT ?n {{ <{thing.value}> schema:name ?n }}").json["results"]["bindings"]) == i + 1
    disk_store.update(f"DELETE WHERE {{ <{thing.value}> ?p ?o }}")
    assert query(limited, ask).json["boolean"] is False
    last = runner.stats()  # the worker that answered them all: the last one used goes first
    assert last["generation"] == disk_store.generation()
    timings = last["opens"][1:]  # [0]: the open at start
    assert len(timings) >= 7
    # The other worker, idle since before the writes, reopens before its next query too.
    held = runner._checkout()
    try:
        assert query(limited, ask).json["boolean"] is False
        other = runner.stats()
    finally:
        runner._idle.put(held)
    assert other["pid"] != last["pid"] and other["generation"] == disk_store.generation()
    with capsys.disabled():
        print(f"\nsnapshot reopen after a write: median {statistics.median(timings) * 1000:.1f} ms "
              f"(min {min(timings) * 1000:.1f}, max {max(timings) * 1000:.1f}, n={len(timings)})")
    assert statistics.median(timings) < 1.0


def test_overhead_of_the_process_runner_on_a_tiny_select(limited, disk_store, capsys) -> None:
    """The issue's budget: at most 10 % + 1 ms over pyoxigraph itself (evaluate + serialize)."""
    runner = runner_of(limited.app)
    wait_for_workers(runner, 2)
    dataset = Dataset((GRAPH.public.value,), public_graphs(disk_store))
    render = Renderer("json", "json", "ttl", f"{BASE}/context/linkedevents.jsonld")
    default, named = dataset.nodes()

    def direct() -> bytes:
        results = disk_store._store.query(SIMPLE, prefixes=PREFIXES, default_graph=default, named_graphs=named)
        return results.serialize(format=ox.QueryResultsFormat.JSON)

    def pooled() -> bytes:
        return runner.run(SIMPLE, dataset, render)[1]

    assert direct() == pooled()
    rounds = []
    for _ in range(3):  # the best of three rounds: the machine is shared and noisy
        times: dict[str, list[float]] = {"direct": [], "pooled": []}
        for _ in range(200):
            for name, f in (("direct", direct), ("pooled", pooled)):
                started = time.perf_counter()
                f()
                times[name].append(time.perf_counter() - started)
        rounds.append((statistics.median(times["direct"]), statistics.median(times["pooled"])))
    d, p = min(rounds, key=lambda r: r[1] - r[0] * 1.1)
    with capsys.disabled():
        print(f"\ntiny SELECT: pyoxigraph {d * 1000:.3f} ms, through the worker pool {p * 1000:.3f} ms "
              f"(+{(p - d) * 1000:.3f} ms; budget {(d * 1.1 + 0.001) * 1000:.3f} ms)")
    assert p <= d * 1.1 + 0.001


# -- the result-size cap ---------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_cap_on_solutions_in_a_worker(limited, fmt) -> None:
    at_cap = query(limited, f"{ALL} LIMIT {CAP}", format=fmt)
    assert at_cap.status_code == 200
    over = query(limited, f"{ALL} LIMIT {CAP + 1}", format=fmt)
    body = assert_canonical_error(over, 400, f"more than {CAP} solutions", "LIMIT")
    assert set(body) == {"detail"}
    assert query(limited, ALL, format=fmt).status_code == 400


def test_cap_on_triples_in_a_worker(limited) -> None:
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert query(limited, f"{construct} LIMIT {CAP}", format="nt").text.count("\n") == CAP
    assert_canonical_error(query(limited, f"{construct} LIMIT {CAP + 1}", format="ttl"), 400,
                           f"more than {CAP} triples", "LIMIT")
    assert_canonical_error(query(limited, construct, format="jsonld"), 400, f"more than {CAP} triples")
    described = query(limited, "DESCRIBE ?s WHERE { ?s a schema:Place }", format="nt")
    assert_canonical_error(described, 400, f"more than {CAP} triples")


def test_ask_and_aggregates_are_not_capped(limited) -> None:
    assert query(limited, "ASK { ?s ?p ?o }").json["boolean"] is True
    count = query(limited, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").json
    assert int(count["results"]["bindings"][0]["n"]["value"]) > CAP


def _memory_client(quads: list[ox.Quad], cap: int) -> falcon.testing.TestClient:
    store = OxigraphStore()
    store.update(insert_data(quads))
    return falcon.testing.TestClient(create_app(store, Settings(base_url=BASE, cache_size=0,
                                                                sparql_limits=Limits(max_results=cap))))


@pytest.mark.parametrize("text", [
    "line one\r\nline two\nline three",   # CSV counts line breaks: more lines than rows
    'a literal with "},{" inside',        # JSON counts "},{": more separators than rows
])
@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_cap_counts_rows_not_markers(text, fmt) -> None:
    """Literals that look like row separators must not make a result that fits look too large."""
    quads = [ox.Quad(ox.NamedNode(f"http://example.org/{i}"), SCHEMA.name, ox.Literal(text * 3), PUBLIC_DATA)
             for i in range(10)]
    client = _memory_client(quads, cap=10)
    exact = query(client, "SELECT ?s ?n WHERE { ?s schema:name ?n } ORDER BY ?s", format=fmt)
    assert exact.status_code == 200, exact.text
    reference = OxigraphStore()
    reference.update(insert_data(quads))
    results = reference.query("SELECT ?s ?n WHERE { ?s schema:name ?n } ORDER BY ?s")
    assert exact.content == results.serialize(format=getattr(ox.QueryResultsFormat, fmt.upper()))
    if fmt == "csv":
        assert len(list(csv.reader(io.StringIO(exact.text)))) == 11
    one_more = quads + [ox.Quad(ox.NamedNode("http://example.org/x"), SCHEMA.name, ox.Literal(text), PUBLIC_DATA)]
    over = query(_memory_client(one_more, cap=10), "SELECT ?s ?n WHERE { ?s schema:name ?n }", format=fmt)
    assert_canonical_error(over, 400, "more than 10 solutions")


def test_cap_fallback_in_a_worker(limited, disk_store) -> None:
    """The exact recount (query evaluated again) also runs in a worker process."""
    thing = "http://example.org/csv-lines"
    quads = [ox.Quad(ox.NamedNode(f"{thing}/{i}"), SCHEMA.description, ox.Literal("a\r\nb\r\nc"), PUBLIC_DATA)
             for i in range(CAP)]
    disk_store.update(insert_data(quads))
    try:
        text = f"SELECT ?s ?d WHERE {{ ?s schema:description ?d FILTER(STRSTARTS(STR(?s), '{thing}')) }}"
        result = query(limited, text, format="csv")
        assert result.status_code == 200, result.text
        assert len(list(csv.reader(io.StringIO(result.text)))) == CAP + 1
    finally:
        disk_store.update(f"DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{thing}')) }}")


def test_default_limits() -> None:
    limits = Settings().sparql_limits
    assert (limits.timeout, limits.max_results, limits.workers) == (30.0, 100_000, 2)


# -- CORS --------------------------------------------------------------------------------------
def test_cors_preflight_for_a_sparql_query_post(client) -> None:
    preflight = client.simulate_options("/sparql", headers={
        "Origin": "https://yasgui.example.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    })
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://yasgui.example.org")
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    posted = client.simulate_post("/sparql", body="ASK {}", headers={
        "Origin": "https://yasgui.example.org", "Content-Type": "application/sparql-query"})
    assert posted.status_code == 200 and posted.headers["access-control-allow-origin"] == "*"
    got = client.simulate_get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://x.example"})
    assert got.headers["access-control-allow-origin"] == "*"
    error = client.simulate_get("/sparql", params={"query": "ASK {"}, headers={"Origin": "https://x.example"})
    assert error.status_code == 400 and error.headers["access-control-allow-origin"] == "*"
    assert json.loads(error.text)["detail"]
