"""Entity URIs dereference by content negotiation; every RDF format carries one graph."""
from __future__ import annotations

import json

import falcon.testing
import pytest
from pyld import jsonld
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, isomorphic

from endpoint.app import Settings, create_app
from ld.context import CONTEXT_PATH, document_loader

from conftest import BASE, assert_canonical_error

EVENT = "/linkedevents/v1/event/helsinki:afy6ikna3u/"
PLACE = "/linkedevents/v1/place/tprek:15321/"
DATE_ONLY = "/linkedevents/v1/event/harrastushaku:13248/"
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml"}
SCHEMA = "http://schema.org/"


def graph_of(client, path: str, accept: str) -> Graph:
    result = client.simulate_get(path, headers={"Accept": accept})
    assert result.status_code == 200, result.text
    assert result.headers["content-type"].startswith(accept)
    assert "Accept" in result.headers["vary"]
    if accept == "application/ld+json":
        loader = document_loader((BASE + CONTEXT_PATH,))
        nquads = jsonld.to_rdf(result.json, {"format": "application/n-quads", "documentLoader": loader})
        return Graph().parse(data=nquads, format="nquads")
    return Graph().parse(data=result.text, format=RDF_TYPES[accept])


@pytest.mark.parametrize("path", [EVENT, PLACE, DATE_ONLY, "/linkedevents/v1/keyword/yso:p4354/"])
def test_all_rdf_formats_carry_the_same_graph(client, path: str) -> None:
    turtle = graph_of(client, path, "text/turtle")
    assert len(turtle) > 5
    for accept in ("application/n-triples", "application/rdf+xml"):
        assert isomorphic(turtle, graph_of(client, path, accept)), accept
    # JSON-LD expanded by a standard processor gives the same graph, minus the enrichment the
    # store adds (GeoSPARQL WKT of positions, the YSO concept of YSO keywords).
    expanded = graph_of(client, path, "application/ld+json")
    _, only_turtle, only_jsonld = graph_diff(turtle, expanded)
    assert len(only_jsonld) == 0
    assert {str(p) for _, p, _ in only_turtle} <= {"http://www.opengis.net/ont/geosparql#asWKT", SCHEMA + "sameAs"}


def test_json_ld_is_real_linked_data(client) -> None:
    body = client.simulate_get(EVENT, headers={"Accept": "application/ld+json"}).json
    assert body["@context"] == BASE + CONTEXT_PATH
    expanded = jsonld.expand(body, {"documentLoader": document_loader((BASE + CONTEXT_PATH,))})[0]
    assert expanded["@type"] == [SCHEMA + "Event"]
    assert expanded[SCHEMA + "startDate"][0]["@type"] == "http://www.w3.org/2001/XMLSchema#dateTime"
    assert expanded[SCHEMA + "eventStatus"] == [{"@id": SCHEMA + "EventScheduled"}]
    assert SCHEMA + "start_time" not in expanded and not any("start_time" in k for k in expanded)
    names = {(v["@value"], v["@language"]) for v in expanded[SCHEMA + "name"]}
    assert ("Uutta Koillis-Helsinkiä verkkotilaisuus", "fi") in names


def test_date_only_times_are_xsd_dates_in_rdf(client) -> None:
    g = graph_of(client, DATE_ONLY, "text/turtle")
    starts = list(g.objects(URIRef(BASE + DATE_ONLY), URIRef(SCHEMA + "startDate")))
    assert [str(s.datatype) for s in starts] == ["http://www.w3.org/2001/XMLSchema#date"]


def test_places_carry_geosparql_points_and_yso_keywords_their_concepts(client) -> None:
    g = graph_of(client, PLACE, "text/turtle")
    wkt = [str(o) for o in g.objects(None, URIRef("http://www.opengis.net/ont/geosparql#asWKT"))]
    assert wkt == ["POINT(24.657864 60.203636)"]
    k = graph_of(client, "/linkedevents/v1/keyword/yso:p4354/", "text/turtle")
    assert (URIRef(BASE + "/linkedevents/v1/keyword/yso:p4354/"), URIRef(SCHEMA + "sameAs"),
            URIRef("http://www.yso.fi/onto/yso/p4354")) in k


@pytest.mark.parametrize("fmt,media", [("json", "application/json"), ("json-ld", "application/ld+json"),
                                       ("turtle", "text/turtle"), ("nt", "application/n-triples"),
                                       ("rdf", "application/rdf+xml"), ("api", "text/html")])
def test_format_parameter_for_browsers(client, fmt: str, media: str) -> None:
    result = client.simulate_get(EVENT, params={"format": fmt}, headers={"Accept": "text/html"})
    assert result.status_code == 200 and result.headers["content-type"].startswith(media)


def test_html_page_links_related_entities(client) -> None:
    page = client.simulate_get(EVENT, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}).text
    assert "<title>Uutta Koillis-Helsinkiä verkkotilaisuus</title>" in page
    assert f'href="{BASE}/linkedevents/v1/place/helsinki:internet/?format=api"' in page
    listing = client.simulate_get("/linkedevents/v1/event/", params={"format": "api"}).text
    assert "explain=sparql" in listing


def test_lists_negotiate_too(client) -> None:
    body = client.simulate_get("/linkedevents/v1/keyword/", headers={"Accept": "application/ld+json"}).json
    assert body["@context"] == BASE + CONTEXT_PATH and body["data"]
    assert len(graph_of(client, "/linkedevents/v1/keyword/", "text/turtle")) > 20


def test_unsupported_type_is_406_with_json(client) -> None:
    body = assert_canonical_error(client.simulate_get(EVENT, headers={"Accept": "image/png"}), 406)
    assert "text/turtle" in body["offered"]
    assert_canonical_error(client.simulate_get(EVENT, params={"format": "docx"}), 406, "format=docx")


def test_context_document_is_served(client) -> None:
    result = client.simulate_get(CONTEXT_PATH)
    assert result.headers["content-type"] == "application/ld+json"
    assert json.loads(result.text)["@context"]["start_time"]["@id"] == "schema:startDate"


def test_cors_head_options_and_allow(client) -> None:
    origin = {"Origin": "https://linkedevents.hel.fi"}
    got = client.simulate_get(EVENT, headers=origin)
    assert got.headers["access-control-allow-origin"] == "*"
    assert "GET" in got.headers["allow"]
    head = client.simulate_head(EVENT)
    assert head.status_code == 200 and head.text == ""
    preflight = client.simulate_options(EVENT, headers={**origin, "Access-Control-Request-Method": "GET",
                                                        "Access-Control-Request-Headers": "apikey"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]


def test_conditional_get(client) -> None:
    first = client.simulate_get(EVENT)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.simulate_get(EVENT, headers={"If-None-Match": etag}).status_code == 304
    assert client.simulate_get(EVENT, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.simulate_get(EVENT, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.simulate_get(EVENT, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200


def test_cors_origins_are_configurable(real_store) -> None:
    closed = falcon.testing.TestClient(create_app(real_store, Settings(base_url=BASE, cors_origins=())))
    assert "access-control-allow-origin" not in closed.simulate_get(EVENT, headers={"Origin": "https://x.example"}).headers
    only = falcon.testing.TestClient(create_app(real_store, Settings(base_url=BASE, cors_origins=("https://ok.example",))))
    assert only.simulate_get(EVENT, headers={"Origin": "https://ok.example"}).headers["access-control-allow-origin"] == "https://ok.example"
    assert "access-control-allow-origin" not in only.simulate_get(EVENT, headers={"Origin": "https://x.example"}).headers
