"""``/.well-known/void``: a VoID description whose numbers are the public dataset's own counts."""
from __future__ import annotations

import copy
from typing import Any

import falcon.testing
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF

from endpoint.app import Settings, create_app
from endpoint.void import VoidDescription
from ld.formats import TURTLE
from ld.store import ADMIN, PUBLIC, OxigraphStore

from conftest import BASE, load_records, real_records

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SCHEMA = "http://schema.org/"
LE = "https://w3id.org/linkedevents/vocab#"
TEMPLATE = real_records("event")[3]  # helsinki:afy6ikna3u, a complete public event (as in test_visibility)


def event(event_id: str, **overrides: Any) -> tuple[str, dict[str, Any]]:
    record = copy.deepcopy(TEMPLATE)
    record.update(id=event_id, **overrides)
    record["@id"] = f"https://api.hel.fi/linkedevents/v1/event/{event_id}/"
    return ("event", record)


def fetch(client: falcon.testing.TestClient, **kwargs: Any) -> tuple[rdflib.Graph, rdflib.URIRef]:
    result = client.simulate_get("/.well-known/void", **kwargs)
    assert result.status_code == 200, result.text
    fmt = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
           "application/ld+json": "json-ld"}[result.headers["content-type"].split(";")[0]]
    graph = rdflib.Graph().parse(data=result.text, format=fmt)
    (dataset,) = graph.subjects(RDF.type, VOID.Dataset)
    return graph, dataset


def number(graph: rdflib.Graph, subject: rdflib.term.Node, predicate: rdflib.URIRef) -> int:
    (value,) = graph.objects(subject, predicate)
    assert value.datatype == rdflib.XSD.integer
    return int(value)


def one(store: OxigraphStore, sparql: str, dataset=PUBLIC) -> int:
    (row,) = list(store.query(sparql, dataset=dataset))
    return int(row[0].value)


def partitions(graph: rdflib.Graph, dataset: rdflib.term.Node, kind: str, counted: rdflib.URIRef) -> dict[str, int]:
    found = {}
    for part in graph.objects(dataset, VOID[kind + "Partition"]):
        (node,) = graph.objects(part, VOID[kind])
        found[str(node)] = number(graph, part, counted)
    return found


def test_counts_equal_direct_count_queries_over_the_public_graph(generated_client, generated_store) -> None:
    graph, ds = fetch(generated_client)
    store = generated_store
    assert number(graph, ds, VOID.triples) == one(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert number(graph, ds, VOID.distinctSubjects) == one(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }")
    assert number(graph, ds, VOID.distinctObjects) == one(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) { ?s ?p ?o }")
    assert number(graph, ds, VOID.properties) == one(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }")
    # entities: the resources in the URI space, i.e. every record (each has one schema:identifier)
    assert number(graph, ds, VOID.entities) == one(store, f"""SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s ?p ?o
        FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}/linkedevents/v1/")) }}""")
    assert number(graph, ds, VOID.entities) == one(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s schema:identifier ?id }")

    classes = partitions(graph, ds, "class", VOID.entities)
    expected = {row["c"].value: int(row["n"].value) for row in store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c } GROUP BY ?c", dataset=PUBLIC)}
    assert classes == expected
    assert number(graph, ds, VOID.classes) == len(expected)
    assert classes[SCHEMA + "Event"] == one(store, "SELECT (COUNT(DISTINCT ?e) AS ?n) { ?e a schema:Event }")
    assert classes[SCHEMA + "Place"] == 250  # the generator was asked for 250 places

    properties = partitions(graph, ds, "property", VOID.triples)
    expected = {row["p"].value: int(row["n"].value) for row in store.query(
        "SELECT ?p (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?p", dataset=PUBLIC)}
    assert properties == expected
    assert sum(properties.values()) == number(graph, ds, VOID.triples)
    assert "http://www.opengis.net/ont/geosparql#asWKT" in properties


def test_describes_endpoint_uri_space_vocabularies_licence_and_a_real_example(generated_client, generated_store) -> None:
    graph, ds = fetch(generated_client)
    assert set(graph.objects(ds, VOID.sparqlEndpoint)) == {rdflib.URIRef(f"{BASE}/sparql")}
    assert set(graph.objects(ds, VOID.uriSpace)) == {rdflib.Literal(f"{BASE}/linkedevents/v1/")}
    assert {rdflib.URIRef(SCHEMA), rdflib.URIRef(LE)} <= set(graph.objects(ds, VOID.vocabulary))
    assert set(graph.objects(ds, DCTERMS.license)) == {rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")}
    assert graph.value(ds, DCTERMS.title) and graph.value(ds, DCTERMS.description)
    assert (rdflib.URIRef(f"{BASE}/.well-known/void"), RDF.type, VOID.DatasetDescription) in graph

    (example,) = graph.objects(ds, VOID.exampleResource)
    assert str(example).startswith(f"{BASE}/linkedevents/v1/event/")
    assert generated_store.query(f"ASK {{ <{example}> a schema:Event ; schema:name ?name }}", dataset=PUBLIC)
    answer = generated_client.simulate_get(str(example)[len(BASE):])  # it dereferences
    assert answer.status_code == 200 and answer.json["@id"] == str(example)

    # the endpoint it names answers with the same number
    counted = generated_client.simulate_get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
                                            headers={"Accept": "application/sparql-results+json"})
    assert int(counted.json["results"]["bindings"][0]["n"]["value"]) == number(graph, ds, VOID.triples)


@pytest.mark.parametrize("how", [
    {"headers": {"Accept": "application/n-triples"}},
    {"headers": {"Accept": "application/rdf+xml"}},
    {"headers": {"Accept": "application/ld+json"}},
    {"params": {"format": "nt"}},
    {"params": {"format": "jsonld"}},
    {"params": {"format": "rdf"}},
])
def test_every_format_carries_the_same_graph(generated_client, how) -> None:
    turtle, _ = fetch(generated_client)
    other, _ = fetch(generated_client, **how)
    assert isomorphic(turtle, other)


def test_turtle_by_default_vary_and_406(generated_client) -> None:
    for accept in (None, "*/*", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"):
        result = generated_client.simulate_get("/.well-known/void", headers={"Accept": accept} if accept else None)
        assert result.status_code == 200
        assert result.headers["content-type"] == "text/turtle; charset=utf-8"
        assert "Accept" in result.headers["vary"]
    refused = generated_client.simulate_get("/.well-known/void", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and "text/turtle" in refused.json["detail"]
    assert generated_client.simulate_head("/.well-known/void").status_code == 200


@pytest.fixture()
def draft_store() -> OxigraphStore:
    store = OxigraphStore()
    report = load_records(store, [
        event("test:public"),
        event("test:draft", publication_status="draft", name={"fi": "Salainen luonnos"}),
    ])
    assert not report.rejected, report.rejected
    return store


def test_drafts_are_not_counted(draft_store) -> None:
    client = falcon.testing.TestClient(create_app(draft_store, Settings(base_url=BASE, cache_size=0)))
    graph, ds = fetch(client)
    draft = f"{BASE}/linkedevents/v1/event/test:draft/"
    # the draft is in the store, only not in the public graph
    assert draft_store.query(f"ASK {{ <{draft}> ?p ?o }}", dataset=ADMIN)
    everything = one(draft_store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", dataset=ADMIN)
    public = one(draft_store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert number(graph, ds, VOID.triples) == public < everything

    classes = partitions(graph, ds, "class", VOID.entities)
    assert classes[SCHEMA + "Event"] == 1
    assert all(draft not in str(node) for triple in graph for node in triple)
    assert LE + "publicationStatus" not in partitions(graph, ds, "property", VOID.triples)

    # the same description as for a store that never saw the draft
    alone = OxigraphStore()
    load_records(alone, [event("test:public")])
    graph_alone, ds_alone = fetch(falcon.testing.TestClient(create_app(alone, Settings(base_url=BASE))))
    for predicate in (VOID.triples, VOID.entities, VOID.distinctSubjects, VOID.distinctObjects):
        assert number(graph, ds, predicate) == number(graph_alone, ds_alone, predicate)
    assert classes == partitions(graph_alone, ds_alone, "class", VOID.entities)


class CountingStore:
    """Wraps a store and counts the queries that reach it."""

    def __init__(self, store: OxigraphStore) -> None:
        self.store = store
        self.queries = 0

    def query(self, *args: Any, **kwargs: Any) -> Any:
        self.queries += 1
        return self.store.query(*args, **kwargs)

    def generation(self) -> int:
        return self.store.generation()


def test_computed_once_per_write_generation(draft_store) -> None:
    counting = CountingStore(draft_store)
    description = VoidDescription(counting, BASE)
    first = description.triples()
    asked = counting.queries
    assert asked > 0
    rendered = description.render(TURTLE)
    assert description.triples() is first and description.render(TURTLE) is rendered
    assert counting.queries == asked  # same generation: nothing recounted, the rendering kept

    before = number(*parsed(description), VOID.triples)
    load_records(draft_store, [event("test:another")])  # a write: the generation moves on
    after = number(*parsed(description), VOID.triples)
    assert counting.queries == 2 * asked
    assert before < after == one(draft_store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")


def parsed(description: VoidDescription) -> tuple[rdflib.Graph, rdflib.URIRef]:
    graph = rdflib.Graph().parse(data=description.render(TURTLE).decode(), format="turtle")
    (dataset,) = graph.subjects(RDF.type, VOID.Dataset)
    return graph, dataset
