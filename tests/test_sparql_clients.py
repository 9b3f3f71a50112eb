"""Real SPARQL clients against the real server: ``ld load`` then ``ld serve`` (gunicorn, one
worker process owning the store, SPARQL queries in its worker pool) with a 1 s query time limit.

SPARQLWrapper reads SELECT results as JSON, XML, CSV and TSV and CONSTRUCT results as Turtle and
RDF/XML (and N3, JSON-LD); rdflib's SPARQLStore runs a SELECT and a CONSTRUCT; a deliberately heavy
query is stopped with a 503 while other clients are served, and the next query is answered.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import threading
import time
import urllib.error

import pytest
import rdflib
from pyld import jsonld
import requests
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from conftest import REAL, free_port, stop, wait_until_responds
from ld.context import CONTEXT_PATH, document_loader

pytestmark = pytest.mark.server

SCHEMA = "http://schema.org/"
EVENTS = f"""PREFIX schema: <{SCHEMA}>
SELECT ?event ?name WHERE {{ ?event a schema:Event ; schema:name ?name }} ORDER BY ?event ?name"""
EVENT_GRAPH = f"""PREFIX schema: <{SCHEMA}>
CONSTRUCT {{ ?event a schema:Event ; schema:name ?name ; schema:startDate ?start }}
WHERE {{ ?event a schema:Event ; schema:name ?name ; schema:startDate ?start }}"""
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    store = tmp_path_factory.mktemp("clients") / "store"
    subprocess.run([sys.executable, "-m", "ld.cli", "load", "--store", str(store), str(REAL)], check=True,
                   capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(store.parent / "server.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "ld.cli", "serve", "--store", str(store), "--port", str(port),
                               "--base-url", "http://127.0.0.1:8000", "--sparql-timeout", "1"],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_responds(f"{base}/linkedevents/v1/")
        deadline = time.monotonic() + 60
        while requests.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "the SPARQL workers did not start"
            time.sleep(0.2)
        yield f"{base}/sparql"
    finally:
        stop(server)
        log.close()


def wrapper(endpoint: str, query: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client


@pytest.fixture(scope="module")
def expected(endpoint: str) -> list[tuple[str, str]]:
    """The (event, name) rows, from a plain HTTP GET of SPARQL JSON."""
    body = requests.get(endpoint, params={"query": EVENTS}, headers={"Accept": "application/sparql-results+json"},
                        timeout=10).json()
    rows = [(b["event"]["value"], b["name"]["value"]) for b in body["results"]["bindings"]]
    assert len(rows) >= 4
    return rows


# -- SPARQLWrapper -----------------------------------------------------------------------------
def test_sparqlwrapper_select_json(endpoint, expected) -> None:
    result = wrapper(endpoint, EVENTS, JSON).query()
    assert result.response.headers["content-type"].startswith("application/sparql-results+json")
    body = result.convert()
    assert body["head"]["vars"] == ["event", "name"]
    assert [(b["event"]["value"], b["name"]["value"]) for b in body["results"]["bindings"]] == expected


def test_sparqlwrapper_select_xml(endpoint, expected) -> None:
    document = wrapper(endpoint, EVENTS, XML).query().convert()  # xml.dom.minidom
    rows = []
    for result in document.getElementsByTagName("result"):
        values = {b.getAttribute("name"): b.firstChild.firstChild.data for b in result.getElementsByTagName("binding")}
        rows.append((values["event"], values["name"]))
    assert rows == expected


def test_sparqlwrapper_select_csv(endpoint, expected) -> None:
    body = wrapper(endpoint, EVENTS, CSV).query().convert()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0] == ["event", "name"]
    assert [tuple(r) for r in rows[1:]] == expected


def test_sparqlwrapper_select_tsv(endpoint, expected) -> None:
    body = wrapper(endpoint, EVENTS, TSV).query().convert().decode("utf-8")
    lines = body.rstrip("\n").split("\n")
    assert lines[0] == "?event\t?name"
    parsed = rdflib.query.Result.parse(io.BytesIO(body.encode()), format="tsv")
    assert [(str(r[0]), str(r[1])) for r in parsed] == expected


def test_sparqlwrapper_select_by_post(endpoint, expected) -> None:
    client = wrapper(endpoint, EVENTS, JSON)
    client.setMethod(POST)
    body = client.query().convert()
    assert [(b["event"]["value"], b["name"]["value"]) for b in body["results"]["bindings"]] == expected


@pytest.fixture(scope="module")
def reference_graph(endpoint: str) -> rdflib.Graph:
    nt = requests.get(endpoint, params={"query": EVENT_GRAPH, "format": "nt"}, timeout=10)
    graph = rdflib.Graph().parse(data=nt.text, format="nt")
    assert len(graph) >= 8
    return graph


def test_sparqlwrapper_construct_turtle(endpoint, reference_graph) -> None:
    result = wrapper(endpoint, EVENT_GRAPH, TURTLE).query()
    assert result.response.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=result.convert(), format="turtle")
    assert isomorphic(graph, reference_graph)


def test_sparqlwrapper_construct_rdfxml(endpoint, reference_graph) -> None:
    result = wrapper(endpoint, EVENT_GRAPH, RDFXML).query()
    assert result.response.headers["content-type"].startswith("application/rdf+xml")
    graph = result.convert()  # SPARQLWrapper parses RDF/XML into an rdflib graph
    assert isomorphic(rdflib.Graph() + graph, reference_graph)


def test_sparqlwrapper_construct_n3(endpoint, reference_graph) -> None:
    """SPARQLWrapper sends format=n3: answered with Turtle, which is N3."""
    graph = rdflib.Graph().parse(data=wrapper(endpoint, EVENT_GRAPH, N3).query().convert(), format="n3")
    assert isomorphic(graph, reference_graph)


def test_sparqlwrapper_construct_jsonld(endpoint, reference_graph) -> None:
    """SPARQLWrapper sends format=json-ld&format=application/ld+json,application/x-json+ld."""
    result = wrapper(endpoint, EVENT_GRAPH, JSONLD).query()
    assert result.response.headers["content-type"].startswith("application/ld+json")
    # Not result.convert(): rdflib would fetch the context from the --base-url host, not running here.
    document = json.loads(result.response.read())
    context_url = "http://127.0.0.1:8000" + CONTEXT_PATH  # the server's --base-url, read offline
    assert document["@context"] == context_url
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads",
                                      "documentLoader": document_loader((context_url,))})
    assert isomorphic(rdflib.Graph().parse(data=nquads, format="nt"), reference_graph)


# -- rdflib SPARQLStore ------------------------------------------------------------------------
def test_rdflib_sparqlstore_select(endpoint, expected) -> None:
    graph = rdflib.Graph(SPARQLStore(endpoint))
    rows = [(str(r.event), str(r.name)) for r in graph.query(EVENTS)]
    assert rows == expected


def test_rdflib_sparqlstore_construct(endpoint, reference_graph) -> None:
    graph = rdflib.Graph(SPARQLStore(endpoint))
    result = graph.query(EVENT_GRAPH)
    assert isomorphic(rdflib.Graph() + result.graph, reference_graph)


# -- the time limit on the real server ---------------------------------------------------------
def test_heavy_query_gets_a_503_while_others_are_served(endpoint, expected) -> None:
    outcome: dict = {}

    def heavy() -> None:
        started = time.monotonic()
        try:
            wrapper(endpoint, HEAVY, JSON).query()
        except urllib.error.HTTPError as exc:
            outcome["status"], outcome["body"] = exc.code, exc.read()
            outcome["type"] = exc.headers["content-type"]
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    during = wrapper(endpoint, EVENTS, JSON).query().convert()
    took = time.monotonic() - started
    running = thread.is_alive()
    thread.join(timeout=30)

    assert outcome.get("status") == 503, outcome
    assert outcome["type"].startswith("application/json")
    detail = json.loads(outcome["body"])["detail"]
    assert "1 s time limit" in detail
    assert 1 <= outcome["seconds"] < 5
    assert running and took < 1.0, (running, took)  # answered while the heavy query ran
    assert len(during["results"]["bindings"]) == len(expected)
    # the next queries are answered (by the other worker, then by the replacement)
    for _ in range(3):
        after = wrapper(endpoint, EVENTS, JSON).query().convert()
        assert len(after["results"]["bindings"]) == len(expected)


def test_result_cap_default_lets_ordinary_queries_through(endpoint) -> None:
    count = requests.get(endpoint, params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}, timeout=10).json()
    n = int(count["results"]["bindings"][0]["n"]["value"])
    assert n < 100_000
    everything = requests.get(endpoint, params={"query": "SELECT * { ?s ?p ?o }", "format": "tsv"}, timeout=30)
    assert everything.status_code == 200 and everything.text.count("\n") == n + 1


def test_cors_preflight_on_the_real_server(endpoint) -> None:
    preflight = requests.options(endpoint, headers={
        "Origin": "https://yasgui.example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"}, timeout=10)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    posted = requests.post(endpoint, data="ASK {}", headers={
        "Origin": "https://yasgui.example.org", "Content-Type": "application/sparql-query"}, timeout=10)
    assert posted.json()["boolean"] is True and posted.headers["access-control-allow-origin"] == "*"
