"""``/sparql`` on the real Linked Events sample: formats read back, content negotiation, the
service description, malformed requests, updates, and attempts to read restricted data.

SPARQLWrapper against a real server comes later; here every body is parsed with rdflib, json
and csv.
"""
from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlencode

import falcon.testing
import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld
from rdflib.compare import isomorphic
from rdflib.query import Result

from conftest import REAL
from endpoint.app import Settings, create_app
from endpoint.sparql import EXAMPLES, GEOF_FUNCTIONS, is_public_graph, public_graphs, read_query
from ld.context import CONTEXT_PATH, document_loader
from ld.identity import Identity, Keys
from ld.inputs import expand_paths, read
from ld.iris import Iris
from ld.load import Loader
from ld.store import ADMIN, META, OxigraphStore, insert_data
from ld.vocab import GRAPH, LE, RDF, SCHEMA

BASE = "http://127.0.0.1:8000"
ENDPOINT = f"{BASE}/sparql"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")

PUBLIC_EVENT = f"{BASE}/linkedevents/v1/event/helsinki:afy6ikna3u/"
DRAFT = f"{BASE}/linkedevents/v1/event/test:draft/"
SECRET_NAME = "SECRET-DRAFT-NAME"
SECRET_EMAIL = "secret-person@example.org"
OTHER_GRAPH = "http://example.org/graph/other"   # a public graph of another publisher

SRJ = "application/sparql-results+json"
SRX = "application/sparql-results+xml"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"

EVENTS_QUERY = "SELECT ?event ?name WHERE { ?event a schema:Event ; schema:name ?name } ORDER BY ?event ?name"
EVENT_CONSTRUCT = f"CONSTRUCT {{ <{PUBLIC_EVENT}> ?p ?o }} WHERE {{ <{PUBLIC_EVENT}> ?p ?o }}"


def restricted_quads() -> list[ox.Quad]:
    draft = ox.NamedNode(DRAFT)
    public = ox.NamedNode(PUBLIC_EVENT)
    return [
        ox.Quad(draft, RDF.type, SCHEMA.Event, GRAPH.restricted),
        ox.Quad(draft, SCHEMA.name, ox.Literal(SECRET_NAME, language="fi"), GRAPH.restricted),
        ox.Quad(draft, LE.publicationStatus, ox.Literal("draft"), GRAPH.restricted),
        ox.Quad(public, LE.userEmail, ox.Literal(SECRET_EMAIL), GRAPH.restricted),  # a personal field
    ]


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    store = OxigraphStore()
    report = Loader(store, Iris(BASE)).load(item for path in expand_paths([str(REAL)]) for item in read(path))
    assert not report.rejected
    other = ox.Quad(ox.NamedNode("http://example.org/thing"), SCHEMA.name, ox.Literal("other publisher"),
                    ox.NamedNode(OTHER_GRAPH))
    store.update(insert_data([*restricted_quads(), other]))
    return store


@pytest.fixture(scope="module")
def client(store: OxigraphStore) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(create_app(store, Settings(base_url=BASE)))


def get(client, query: str | None = None, accept: str | None = None, **params):
    if query is not None:
        params["query"] = query
    headers = {"Accept": accept} if accept else {}
    return client.simulate_get("/sparql", query_string=urlencode(params, doseq=True) or None, headers=headers)


def post(client, body: str | bytes, content_type: str | None, *, query_string: str | None = None, **headers):
    if content_type:
        headers["Content-Type"] = content_type
    return client.simulate_post("/sparql", body=body, headers=headers, query_string=query_string)


def media_type(result) -> str:
    return (result.headers.get("content-type") or "").split(";")[0]


def assert_error(result, status: int, *fragments: str) -> None:
    assert result.status_code == status, result.text
    assert media_type(result) == "application/json"
    assert set(result.json) >= {"detail"}
    for fragment in fragments:
        assert fragment in result.json["detail"]


# -- formats read back ---------------------------------------------------------------------
def _rows(result: Result) -> set[tuple[str, ...]]:
    return {tuple(str(row[v]) for v in result.vars) for row in result}


@pytest.mark.parametrize("fmt, expected, parser", [
    ("json", SRJ, "json"),
    ("xml", SRX, "xml"),
    ("csv", "text/csv", "csv"),
    ("tsv", "text/tab-separated-values", "tsv"),
])
def test_select_formats_read_back(client, fmt, expected, parser) -> None:
    result = get(client, EVENTS_QUERY, format=fmt)
    assert result.status_code == 200
    assert media_type(result) == expected
    assert result.headers["vary"] == "Accept"
    parsed = Result.parse(io.BytesIO(result.content), format=parser)
    assert [str(v) for v in parsed.vars] == ["event", "name"]
    rows = _rows(parsed)
    assert (PUBLIC_EVENT, "Uutta Koillis-Helsinkiä verkkotilaisuus") in rows
    assert len(rows) == 4  # the four public events of the sample; not the draft


def test_csv_and_tsv_agree_with_json(client) -> None:
    reference = _rows(Result.parse(io.BytesIO(get(client, EVENTS_QUERY).content), format="json"))
    csv_rows = list(csv.reader(io.StringIO(get(client, EVENTS_QUERY, format="csv").text)))
    assert csv_rows[0] == ["event", "name"]
    assert {tuple(r) for r in csv_rows[1:]} == reference
    tsv_lines = get(client, EVENTS_QUERY, format="tsv").text.splitlines()
    assert tsv_lines[0] == "?event\t?name"


@pytest.mark.parametrize("fmt, expected", [("json", SRJ), ("xml", SRX)])
@pytest.mark.parametrize("query, answer", [
    (f"ASK {{ <{PUBLIC_EVENT}> a schema:Event }}", True),
    ("ASK { ?e schema:name 'no such name' }", False),
])
def test_ask_formats_read_back(client, fmt, expected, query, answer) -> None:
    result = get(client, query, format=fmt)
    assert result.status_code == 200
    assert media_type(result) == expected
    assert Result.parse(io.BytesIO(result.content), format=fmt).askAnswer is answer


def _graph(body: bytes, fmt: str) -> rdflib.Graph:
    if fmt == "jsonld":
        # The body references our context by URL; read it with the same offline loader.
        document = json.loads(body)
        assert document["@context"] == BASE + CONTEXT_PATH
        nquads = jsonld.to_rdf(document, {"format": "application/n-quads",
                                          "documentLoader": document_loader((BASE + CONTEXT_PATH,))})
        return rdflib.Graph().parse(data=nquads, format="nt")
    if fmt == "nq":
        dataset = rdflib.Dataset()
        dataset.parse(data=body, format="nquads")
        graph = rdflib.Graph()
        for s, p, o, _ in dataset.quads():
            graph.add((s, p, o))
        return graph
    return rdflib.Graph().parse(data=body, format={"ttl": "turtle", "nt": "nt", "rdf": "xml"}[fmt])


@pytest.mark.parametrize("fmt, expected", [
    ("ttl", "text/turtle"),
    ("nt", "application/n-triples"),
    ("nq", "application/n-quads"),
    ("rdf", "application/rdf+xml"),
    ("jsonld", "application/ld+json"),
])
def test_graph_formats_read_back(client, fmt, expected) -> None:
    reference = _graph(get(client, EVENT_CONSTRUCT, format="nt").content, "nt")
    assert (rdflib.URIRef(PUBLIC_EVENT), rdflib.RDF.type, rdflib.URIRef(SCHEMA.Event.value)) in reference
    result = get(client, EVENT_CONSTRUCT, format=fmt)
    assert result.status_code == 200
    assert media_type(result) == expected
    assert isomorphic(_graph(result.content, fmt), reference)


def test_jsonld_is_compacted_with_our_context(client) -> None:
    document = get(client, EVENT_CONSTRUCT, format="jsonld").json
    assert document["@id"] == PUBLIC_EVENT
    assert "name" in document and "http://schema.org/name" not in document
    assert document["@type"] == "Event"


def test_describe_public_event(client) -> None:
    result = get(client, f"DESCRIBE <{PUBLIC_EVENT}>", accept="text/turtle")
    assert result.status_code == 200
    graph = rdflib.Graph().parse(data=result.content, format="turtle")
    assert (rdflib.URIRef(PUBLIC_EVENT), rdflib.URIRef(SCHEMA.name.value), None) in graph


# -- content negotiation -------------------------------------------------------------------
@pytest.mark.parametrize("accept, expected", [
    (None, SRJ),
    ("*/*", SRJ),
    (SRX, SRX),
    ("text/csv;q=0.9, application/sparql-results+xml;q=0.5", "text/csv"),
    ("application/sparql-results+xml;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    ("text/*", "text/csv"),
    ("application/*;q=0.2, text/tab-separated-values;q=0.1", SRJ),
    (BROWSER, SRJ),                 # not the XML a browser's application/xml;q=0.9 would match loosely
    ("application/json", SRJ),      # loose aliases, only when nothing registered matches
    ("application/xml", SRX),
])
def test_select_negotiation(client, accept, expected) -> None:
    result = get(client, EVENTS_QUERY, accept=accept)
    assert result.status_code == 200, result.text
    assert media_type(result) == expected
    assert result.headers["vary"] == "Accept"


@pytest.mark.parametrize("accept, expected", [
    (None, "text/turtle"),
    ("*/*", "text/turtle"),
    ("application/n-triples", "application/n-triples"),
    ("text/turtle;q=0.5, application/rdf+xml", "application/rdf+xml"),
    ("application/ld+json", "application/ld+json"),
    ("application/json", "application/ld+json"),
    (BROWSER, "text/turtle"),
])
def test_construct_negotiation(client, accept, expected) -> None:
    result = get(client, EVENT_CONSTRUCT, accept=accept)
    assert result.status_code == 200, result.text
    assert media_type(result) == expected


def test_format_parameter_wins_over_accept(client) -> None:
    assert media_type(get(client, EVENTS_QUERY, accept=SRJ, format="csv")) == "text/csv"
    # one name, the right kind of XML for the result
    assert media_type(get(client, EVENTS_QUERY, format="xml")) == SRX
    assert media_type(get(client, EVENT_CONSTRUCT, format="xml")) == "application/rdf+xml"


def test_format_in_a_posted_form(client) -> None:
    result = post(client, urlencode({"query": EVENTS_QUERY, "format": "tsv"}), "application/x-www-form-urlencoded")
    assert result.status_code == 200
    assert media_type(result) == "text/tab-separated-values"


@pytest.mark.parametrize("query, accept, fmt, offered", [
    (EVENTS_QUERY, "image/png", None, SRJ),
    (EVENTS_QUERY, None, "ttl", "text/csv"),
    ("ASK {}", "text/csv", None, SRX),          # CSV and TSV define no boolean
    (EVENT_CONSTRUCT, SRJ, None, "text/turtle"),
    (None, "image/png", None, "text/turtle"),   # the service description
])
def test_not_acceptable(client, query, accept, fmt, offered) -> None:
    params = {"format": fmt} if fmt else {}
    result = get(client, query, accept=accept, **params)
    assert_error(result, 406)
    assert offered in result.json["offered"]
    assert result.headers["vary"] == "Accept"


# -- the service description and the page for people ----------------------------------------
def _description(client, fmt: str = "ttl") -> rdflib.Graph:
    result = get(client, format=fmt) if fmt != "ttl" else get(client)
    assert result.status_code == 200
    if fmt == "jsonld":
        return _graph(result.content, "jsonld")
    return rdflib.Graph().parse(data=result.content, format={"ttl": "turtle", "nt": "nt", "rdf": "xml"}[fmt])


@pytest.mark.parametrize("fmt", ["ttl", "nt", "rdf", "jsonld"])
def test_service_description(client, fmt) -> None:
    g = _description(client, fmt)
    endpoint = rdflib.URIRef(ENDPOINT)
    assert (endpoint, rdflib.RDF.type, SD.Service) in g
    assert (endpoint, SD.endpoint, endpoint) in g   # W3C SD test: a matching sd:endpoint triple
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert len(set(g.objects(endpoint, SD.resultFormat))) == 9
    functions = {str(f) for f in g.objects(endpoint, SD.extensionFunction)}
    assert "http://www.opengis.net/def/function/geosparql/sfWithin" in functions
    names = {str(n) for n in g.objects(None, SD.name)}
    assert OTHER_GRAPH in names
    assert GRAPH.public.value not in names  # the default graph
    assert GRAPH.restricted.value not in names and META.value not in names


def test_service_description_is_turtle_by_default(client) -> None:
    result = get(client, accept="*/*")
    assert media_type(result) == "text/turtle"
    assert result.headers["vary"] == "Accept"


@pytest.mark.parametrize("name", GEOF_FUNCTIONS)
def test_advertised_geof_functions_are_evaluated(client, name) -> None:
    query = f"SELECT ?r WHERE {{ BIND(geof:{name}('POINT(24.9 60.1)'^^geo:wktLiteral) AS ?r) }}"
    assert get(client, query).status_code == 200


def test_unsupported_function_is_a_bad_request(client) -> None:
    query = "SELECT ?r WHERE { BIND(geof:buffer('POINT(24.9 60.1)'^^geo:wktLiteral, 1, uom:metre) AS ?r) }"
    assert_error(get(client, query), 400, "geosparql/buffer", "not supported")


def test_query_page_for_browsers(client) -> None:
    result = get(client, accept=BROWSER)
    assert result.status_code == 200
    assert media_type(result) == "text/html"
    assert "<textarea" in result.text and 'action="http://127.0.0.1:8000/sparql"' in result.text
    links = re.findall(r'href="([^"]*\?query=[^"]*)"', result.text)
    assert len(links) == len(EXAMPLES) == 3


@pytest.mark.parametrize("title, query", EXAMPLES, ids=[t for t, _ in EXAMPLES])
def test_examples_answer(client, title, query) -> None:
    result = get(client, query)
    assert result.status_code == 200, result.text
    assert result.json["results"]["bindings"], title


# -- malformed requests --------------------------------------------------------------------
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("send, fragment", [
    (lambda c: c.simulate_get("/sparql", query_string="query=ASK%20%7B%7D&query=ASK%20%7B%7D"), "2 times"),
    (lambda c: c.simulate_get("/sparql", query_string="query=ASK%20%7B%7D&update=CLEAR%20ALL"), "POST"),
    (lambda c: c.simulate_get("/sparql", query_string="update=CLEAR%20ALL"), "POST"),
    (lambda c: c.simulate_get("/sparql", query_string="query="), "empty"),
    (lambda c: post(c, "query=ASK%20%7B%7D&update=CLEAR%20ALL", FORM), "not both"),
    (lambda c: post(c, "ASK {}", "application/sparql-query", query_string="query=ASK%20%7B%7D"), "2 times"),
    (lambda c: post(c, "format=json", FORM), "no query"),
    (lambda c: post(c, "", FORM), "no query"),
    (lambda c: post(c, "ASK {}", "text/plain"), "Content-Type"),
    (lambda c: post(c, "ASK {}", None), "Content-Type"),
    (lambda c: post(c, "query=ASK%20%7B%7D", None), "Content-Type"),
    (lambda c: post(c, "ASK {}".encode("utf-16"), "application/sparql-query; charset=UTF-16"), "UTF-8"),
    (lambda c: post(c, b"ASK { ?s ?p '\xff' }", "application/sparql-query"), "UTF-8"),
    (lambda c: get(c, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"), "SERVICE"),
    (lambda c: get(c, "select * where { service silent <http://127.0.0.1:8000/sparql> { ?s ?p ?o } }"), "SERVICE"),
    (lambda c: get(c, r"SELECT * WHERE { \u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }"), "SERVICE"),
], ids=["query-twice", "query-and-update", "update-by-get", "empty-query", "form-both", "query-in-url-and-body",
        "form-without-query", "empty-form", "text-plain", "no-content-type", "form-without-content-type",
        "utf-16", "invalid-utf-8", "service", "service-lowercase", "service-escaped"])
def test_malformed_requests(client, send, fragment) -> None:
    assert_error(send(client), 400, fragment)


def test_syntax_error_names_the_position_on_the_clients_lines(client) -> None:
    result = get(client, "SELECT * WHERE { ?s ?p }")
    assert_error(result, 400, "syntax error", "error at 1:")
    result = post(client, "SELECT *\nWHERE {\n  ?s ?p ?o\n  FILTER(\n}", "application/sparql-query")
    assert_error(result, 400, "error at 5:")


# -- nothing restricted is ever visible -----------------------------------------------------
R = GRAPH.restricted.value

LEAKS = {
    "default-graph": f"SELECT * WHERE {{ ?s ?p ?o FILTER(?s = <{DRAFT}> || CONTAINS(STR(?o), 'secret')) }}",
    "all-named-graphs": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "named-restricted": f"SELECT * WHERE {{ GRAPH <{R}> {{ ?s ?p ?o }} }}",
    "from-restricted": f"SELECT * FROM <{R}> WHERE {{ ?s ?p ?o }}",
    "from-restricted-lowercase-prefixed": "PREFIX lg: <https://w3id.org/linkedevents/graph/>\n"
                                          "select * from lg:restricted where { ?s ?p ?o }",
    "from-named-restricted": f"SELECT * FROM NAMED <{R}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "from-both": f"SELECT * FROM <{R}> FROM NAMED <{R}> WHERE {{ {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }} }}",
    "relative-from": "BASE <https://w3id.org/linkedevents/graph/>\nSELECT * FROM <restricted> WHERE {{ ?s ?p ?o }}",
    "describe-draft": f"DESCRIBE <{DRAFT}>",
    "describe-public-event": f"DESCRIBE <{PUBLIC_EVENT}>",
    "construct-graphs": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "ask-draft": f"SELECT (EXISTS {{ GRAPH ?g {{ <{DRAFT}> ?p ?o }} }} AS ?found) WHERE {{}}",
}


def _no_secret(result) -> None:
    assert result.status_code == 200, result.text
    for secret in (SECRET_NAME, SECRET_EMAIL, DRAFT, R, META.value):
        assert secret not in result.text


def test_the_secrets_are_in_the_store(store) -> None:
    """The control for the leak tests: the admin dataset sees what the endpoint must not show."""
    rows = list(store.query(f"SELECT ?o WHERE {{ <{DRAFT}> schema:name ?o }}", dataset=ADMIN))
    assert rows and rows[0]["o"].value == SECRET_NAME


@pytest.mark.parametrize("query", LEAKS.values(), ids=LEAKS.keys())
def test_no_leak_by_query(client, query) -> None:
    _no_secret(get(client, query, format="json" if "SELECT" in query.upper() else "nt"))
    _no_secret(post(client, query, "application/sparql-query", Accept="application/n-triples, " + SRJ))


@pytest.mark.parametrize("params", [
    {"default-graph-uri": R},
    {"named-graph-uri": R},
    {"default-graph-uri": [R, META.value], "named-graph-uri": [R, META.value]},
    {"default-graph-uri": GRAPH.public.value, "named-graph-uri": R},
])
def test_no_leak_by_protocol_dataset(client, params) -> None:
    for query in (LEAKS["default-graph"], LEAKS["all-named-graphs"], LEAKS["from-both"]):
        _no_secret(get(client, query, **params))
        _no_secret(post(client, urlencode({"query": query, **params}, doseq=True), FORM))


def test_only_public_graphs_can_be_named(client) -> None:
    """Our public data is the default graph; what can be named is other publishers' data."""
    result = get(client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", format="csv")
    assert set(result.text.split()[1:]) == {OTHER_GRAPH}
    named = get(client, f"SELECT ?name WHERE {{ GRAPH <{GRAPH.public.value}> {{ ?s schema:name ?name }} }}")
    assert _names(named) == set()


def test_generation_counter_in_the_meta_graph_is_invisible(client) -> None:
    query = f"SELECT * WHERE {{ GRAPH <{META.value}> {{ ?s ?p ?o }} }}"
    assert get(client, query).json["results"]["bindings"] == []


# -- which graphs a query reads, when it reads only public ones ----------------------------
def _names(result) -> set[str]:
    return {b["name"]["value"] for b in result.json["results"]["bindings"]}


def test_default_graph_is_the_public_graph(client) -> None:
    names = _names(get(client, "SELECT ?name WHERE { ?s schema:name ?name }"))
    assert "Uutta Koillis-Helsinkiä verkkotilaisuus" in names and "other publisher" not in names


def test_from_a_public_graph_is_honoured(client) -> None:
    assert _names(get(client, f"SELECT ?name FROM <{OTHER_GRAPH}> WHERE {{ ?s schema:name ?name }}")) == {"other publisher"}
    ours = _names(get(client, f"SELECT ?name FROM <{GRAPH.public.value}> WHERE {{ ?s schema:name ?name }}"))
    assert "Uutta Koillis-Helsinkiä verkkotilaisuus" in ours and "other publisher" not in ours
    named = get(client, f"SELECT ?name FROM NAMED <{OTHER_GRAPH}> WHERE {{ GRAPH ?g {{ ?s schema:name ?name }} }}")
    assert _names(named) == {"other publisher"}


def test_protocol_dataset_wins_over_from(client) -> None:
    query = f"SELECT ?name FROM <{OTHER_GRAPH}> WHERE {{ ?s schema:name ?name }}"
    names = _names(get(client, query, **{"default-graph-uri": GRAPH.public.value}))
    assert "other publisher" not in names and "Uutta Koillis-Helsinkiä verkkotilaisuus" in names


def test_pyoxigraph_lets_the_passed_dataset_override_from() -> None:
    """The engine behaviour the endpoint relies on (pyoxigraph 0.5.13): when ``default_graph``
    and ``named_graphs`` are passed, FROM / FROM NAMED in the text are ignored."""
    raw = ox.Store()
    for quad in restricted_quads():
        raw.add(quad)
    public = [ox.NamedNode(GRAPH.public.value)]
    for query in (LEAKS["from-restricted"], LEAKS["from-named-restricted"], LEAKS["named-restricted"]):
        assert list(raw.query(query, default_graph=public, named_graphs=public)) == []
        assert list(raw.query(query)) != []   # without them, the text decides


def test_allow_list(store) -> None:
    assert public_graphs(store) == (GRAPH.public.value, OTHER_GRAPH)
    assert not is_public_graph("https://w3id.org/linkedevents/graph/anything-added-later")
    assert read_query("SELECT * FROM <a> { }", "http://h/sparql").default == ("http://h/a",)
    assert read_query("SELECT * { ?s <urn:FROM> 'FROM <x>' } # FROM <y>").default == ()


# -- updates -------------------------------------------------------------------------------
ADMIN_KEY = "k"
KEYS = Keys({
    ADMIN_KEY: Identity(user="admin", superuser=True, sparql_update=True),
    "reader": Identity(user="reader"),
})
INSERT = 'INSERT DATA { <http://example.org/new> <http://schema.org/name> "inserted" }'  # into the public data
ASK_INSERTED = "ASK { <http://example.org/new> schema:name 'inserted' }"


@pytest.fixture()
def update_client() -> falcon.testing.TestClient:
    return falcon.testing.TestClient(create_app(OxigraphStore(), Settings(base_url=BASE, keys=KEYS)))


def _inserted(client) -> bool:
    return get(client, ASK_INSERTED).json["boolean"]


@pytest.mark.parametrize("headers", [{}, {"apikey": "reader"}], ids=["no-key", "key-without-update"])
@pytest.mark.parametrize("body, content_type", [
    (INSERT, "application/sparql-update"),
    (urlencode({"update": INSERT}), FORM),
], ids=["direct", "form"])
def test_update_forbidden(update_client, headers, body, content_type) -> None:
    assert_error(post(update_client, body, content_type, **headers), 403, "API key")
    assert not _inserted(update_client)


def test_unknown_key_is_unauthorized(update_client) -> None:
    assert post(update_client, INSERT, "application/sparql-update", apikey="nope").status_code == 401


@pytest.mark.parametrize("body, content_type", [
    (INSERT, "application/sparql-update"),
    (urlencode({"update": INSERT}), FORM),
    (INSERT + " ;", "application/sparql-update"),          # a final ';' is allowed
    (INSERT + " # done", "application/sparql-update"),     # and so is a final comment
], ids=["direct", "form", "final-semicolon", "final-comment"])
def test_update_with_key(update_client, body, content_type) -> None:
    result = post(update_client, body, content_type, apikey=ADMIN_KEY)
    assert result.status_code == 204, result.text
    assert _inserted(update_client)


def test_update_errors_with_key(update_client) -> None:
    bad = post(update_client, "INSERT DATA { <a> <b> }", "application/sparql-update", apikey=ADMIN_KEY)
    assert_error(bad, 400, "syntax error", "error at 1:")
    # pyoxigraph reports the farthest point it read, here past the client's text (ld.store appends to it)
    bad = post(update_client, "CLEAR XYZ", "application/sparql-update", apikey=ADMIN_KEY)
    assert_error(bad, 400, "syntax error", "at the end of the text")
    result = post(update_client, INSERT, "application/sparql-update", apikey=ADMIN_KEY,
                  query_string="using-graph-uri=http%3A%2F%2Fexample.org%2Fg")
    assert_error(result, 400, "using-graph-uri")
    assert not _inserted(update_client)


def test_update_uses_the_endpoint_as_base(update_client) -> None:
    update = "INSERT DATA { <thing> <http://schema.org/name> 'x' }"
    assert post(update_client, update, "application/sparql-update", apikey=ADMIN_KEY).status_code == 204
    assert get(update_client, f"ASK {{ <{BASE}/thing> ?p ?o }}").json["boolean"] is True
