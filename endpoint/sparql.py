"""``/sparql``: the SPARQL 1.1 Protocol endpoint over the public graphs.

Parse the request (query or update, its text, the protocol dataset), run it through
``ld.store``, render the result in the negotiated format. What a query can read is decided
here, by construction: the dataset handed to the store is always cut down to
:func:`public_graphs`, whatever the request or the query text (``FROM``, ``FROM NAMED``,
``GRAPH ?g``) asks for. pyoxigraph lets the ``default_graph``/``named_graphs`` arguments
override the query's own dataset clauses (measured with 0.5.13, see ``tests/test_sparql.py``),
so we always pass both.

Queries are evaluated by a runner of ``ld.sparql_runner`` (see its docstring): for an on-disk
store in a pool of worker processes under a time limit (503 ``QueryTimeout`` past it, default
30 s) and a result-size cap (400 past it, default 100,000 solutions or triples); for an in-memory
store in-process, with the cap but no time limit. Content negotiation happens here, before the
query runs, for each kind of result (:class:`Renderer`); the worker serializes.

CORS: ``falcon.App(cors_enable=True)`` answers every origin for GET and POST, including the
preflight of a POST with ``Content-Type: application/sparql-query``.

Errors are ``ld.errors`` classes; ``endpoint/errors.py`` turns them into JSON bodies.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin

import falcon
import pyoxigraph as ox
from pyld import jsonld

from ld.context import CONTEXT_PATH, context, document_loader
from ld.errors import Forbidden, NotAcceptable, QueryError
from endpoint.ui import STATIC_PATH, query_page
from ld.formats import HTML, JSONLD, NQUADS, NTRIPLES, RDF_FORMATS, RDFXML, TURTLE, Format, by_name
from ld.identity import ANONYMOUS
from ld.sparql_runner import Answer, Limits, ResultTooLarge, runner_for
from ld.store import META, Dataset, Store
from ld.vocab import GEOF, GRAPH, PREFIXES, RDF, SD

SPARQL_PATH = "/sparql"
MAX_BODY = 1_000_000  # bytes of query or update text; the result-size cap is Limits.max_results

FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"

# -- formats -------------------------------------------------------------------------------
# SPARQL results formats live here, not in ld/formats.py: only this endpoint produces them.
# Graph results (CONSTRUCT, DESCRIBE) reuse the RDF rows of ld.formats.
SRJ = Format("json", "application/sparql-results+json", ("srj",))
SRX = Format("xml", "application/sparql-results+xml", ("srx",))
CSV = Format("csv", "text/csv")
TSV = Format("tsv", "text/tab-separated-values")

RESULTS: dict[Format, ox.QueryResultsFormat] = {
    SRJ: ox.QueryResultsFormat.JSON,
    SRX: ox.QueryResultsFormat.XML,
    CSV: ox.QueryResultsFormat.CSV,
    TSV: ox.QueryResultsFormat.TSV,
}
SOLUTION_FORMATS: tuple[Format, ...] = (SRJ, SRX, CSV, TSV)   # SELECT, the default first
BOOLEAN_FORMATS: tuple[Format, ...] = (SRJ, SRX)             # ASK: CSV/TSV define no boolean
GRAPH_FORMATS: tuple[Format, ...] = RDF_FORMATS               # CONSTRUCT, DESCRIBE: Turtle first
DESCRIPTION_FORMATS: tuple[Format, ...] = (TURTLE, HTML, NTRIPLES, RDFXML, JSONLD)

# Media types some clients send instead of the registered ones; used only when no registered
# type matches, so a browser's "application/xml;q=0.9, */*;q=0.8" still gets the default.
LOOSE_MEDIA_TYPES: dict[str, Format] = {
    "application/json": SRJ,
    "application/xml": SRX,
    "text/xml": SRX,
}
LOOSE_GRAPH_MEDIA_TYPES: dict[str, Format] = {
    "application/json": JSONLD,
    "application/xml": RDFXML,
    "text/xml": RDFXML,
    "text/plain": NTRIPLES,
}

_W3C_FORMATS = "http://www.w3.org/ns/formats/"
FORMAT_IRIS: dict[Format, str] = {
    SRJ: _W3C_FORMATS + "SPARQL_Results_JSON",
    SRX: _W3C_FORMATS + "SPARQL_Results_XML",
    CSV: _W3C_FORMATS + "SPARQL_Results_CSV",
    TSV: _W3C_FORMATS + "SPARQL_Results_TSV",
    TURTLE: _W3C_FORMATS + "Turtle",
    NTRIPLES: _W3C_FORMATS + "N-Triples",
    NQUADS: _W3C_FORMATS + "N-Quads",
    RDFXML: _W3C_FORMATS + "RDF_XML",
    JSONLD: _W3C_FORMATS + "JSON-LD",
}

DESCRIPTION_PREFIXES = {"sd": SD.iri, "formats": _W3C_FORMATS, "geof": GEOF.iri, "rdf": RDF.iri}

# GeoSPARQL functions pyoxigraph 0.5.13 evaluates (spargeo). Anything else under geof: is
# refused at planning time ("The custom function ... is not supported"); a test checks every
# name here is accepted, so the service description cannot promise more than the engine does.
GEOF_FUNCTIONS: tuple[str, ...] = (
    "sfEquals", "sfDisjoint", "sfIntersects", "sfTouches", "sfCrosses", "sfWithin", "sfContains", "sfOverlaps",
    "ehEquals", "ehDisjoint", "ehMeet", "ehOverlap", "ehCovers", "ehCoveredBy", "ehInside", "ehContains",
    "rcc8eq", "rcc8dc", "rcc8ec", "rcc8po", "rcc8tppi", "rcc8tpp", "rcc8ntpp", "rcc8ntppi",
    "relate", "distance", "convexHull", "intersection", "union", "difference", "symDifference", "envelope",
    "getSRID", "dimension", "coordinateDimension", "spatialDimension", "isEmpty", "isSimple", "asGeoJSON",
    "area", "length", "centroid",
)

# ``format=`` choices offered by the page's plain form.
PAGE_FORMATS = (("json", "SPARQL JSON"), ("xml", "SPARQL XML"), ("csv", "CSV"), ("tsv", "TSV"),
                ("ttl", "Turtle (CONSTRUCT, DESCRIBE)"), ("jsonld", "JSON-LD (CONSTRUCT, DESCRIBE)"))

EXAMPLES: tuple[tuple[str, str], ...] = (
    ("Ten events with their start time", """SELECT ?event ?name ?start WHERE {
  ?event a schema:Event ;
         schema:name ?name ;
         schema:startDate ?start .
}
ORDER BY ?start
LIMIT 10"""),
    ("Places within 500 m of Helsinki Cathedral", """SELECT ?place ?name ?metres WHERE {
  ?place a schema:Place ;
         schema:name ?name ;
         geo:hasGeometry/geo:asWKT ?wkt .
  FILTER(LANGMATCHES(LANG(?name), "fi"))
  BIND(geof:distance(?wkt, "POINT(24.9521506 60.1707042)"^^geo:wktLiteral, uom:metre) AS ?metres)
  FILTER(?metres < 500)
}
ORDER BY ?metres"""),
    ("Keywords used by events, most used first", """SELECT ?keyword (COUNT(?event) AS ?events) WHERE {
  ?event a schema:Event ;
         schema:keywords ?keyword .
}
GROUP BY ?keyword
ORDER BY DESC(?events)
LIMIT 20"""),
)


# -- which graphs a query may read ---------------------------------------------------------
def is_public_graph(iri: str) -> bool:
    """Whether a graph may ever be read through ``/sparql``.

    Our own graph namespace is closed: only ``GRAPH.public`` is readable there, so
    ``restricted``, ``meta`` and any internal graph added later stay out without a code
    change. ``GRAPH.public`` is the store's default graph (see ``ld.store``): ``FROM`` and
    ``default-graph-uri`` may name it, and ``GRAPH`` finds nothing in it. Graphs of other
    publishers loaded beside ours (e.g. reference data) are public.

    >>> is_public_graph("https://w3id.org/linkedevents/graph/public")
    True
    >>> is_public_graph("https://w3id.org/linkedevents/graph/restricted")
    False
    >>> is_public_graph("https://w3id.org/linkedevents/graph/meta")
    False
    >>> is_public_graph("http://kasei.us/2009/09/sparql/data/data1.rdf")
    True
    """
    if iri == GRAPH.public.value:
        return True
    if iri in (GRAPH.restricted.value, META.value) or iri in GRAPH:
        return False
    return True


def public_graphs(store: Store) -> tuple[str, ...]:
    """The allow-list: ``GRAPH.public`` first, then every other public named graph the store holds."""
    names = getattr(store, "named_graphs", None)  # not part of the narrow Store protocol
    found = names() if names is not None else []
    graphs = [GRAPH.public.value]
    for iri in found:
        if iri not in graphs and is_public_graph(iri) and _is_iri(iri):
            graphs.append(iri)
    return tuple(graphs)


def _is_iri(value: str) -> bool:
    try:
        ox.NamedNode(value)
    except ValueError:
        return False  # a blank-node graph name
    return True


# -- reading the query text ----------------------------------------------------------------
_TOKENS = re.compile(
    r'''(?P<comment>\#[^\n]*)
      | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
                   |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$][\w]+)
      | (?P<name>(?:[^\W\d][\w.-]*)?:[\w.:%-]*|[^\W\d]\w*)
      | (?P<other>\S)''',
    re.X,
)


_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape(m: re.Match) -> str:
    code = int(m[1] or m[2], 16)
    return chr(code) if code <= 0x10FFFF else m[0]


@dataclass(frozen=True)
class QueryText:
    """What the endpoint needs to know about a query before the engine runs it."""

    default: tuple[str, ...]       # FROM
    named: tuple[str, ...]         # FROM NAMED
    service: bool                  # uses SERVICE (federation)

    @property
    def has_dataset(self) -> bool:
        return bool(self.default or self.named)


def read_query(text: str, base: str | None = None) -> QueryText:
    r"""The dataset clauses and the use of ``SERVICE`` in a query, from a light tokenizer.

    Strings, IRIs and comments are skipped, so ``"FROM"`` or ``<urn:SERVICE>`` do not count.
    The engine still parses the query itself. The dataset read here only chooses among public
    graphs, so a mistake cannot widen access; ``SERVICE`` (pyoxigraph would make the HTTP call)
    is looked for more eagerly than the engine would accept it: ``\u`` escapes are undone first.

    >>> read_query("PREFIX k: <http://kasei.us/> SELECT * FROM k:a FROM NAMED <http://b> { ?s ?p 'FROM <x>' }")
    QueryText(default=('http://kasei.us/a',), named=('http://b',), service=False)
    >>> read_query("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } } # FROM <x>").service
    True
    """
    text = _UCHAR.sub(_unescape, text)  # SPARQL allows \u escapes anywhere; be stricter than the engine
    tokens = [(m.lastgroup, m.group()) for m in _TOKENS.finditer(text) if m.lastgroup != "comment"]
    prefixes = dict(PREFIXES)
    default: list[str] = []
    named: list[str] = []
    service = False
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        word = value.upper() if kind == "name" else ""
        if word == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2][0] == "iri":
            prefixes[tokens[i + 1][1].rstrip(":")] = _resolve(tokens[i + 2][1][1:-1], base)
            i += 3
            continue
        if word == "BASE" and i + 1 < len(tokens) and tokens[i + 1][0] == "iri":
            base = _resolve(tokens[i + 1][1][1:-1], base)
            i += 2
            continue
        if word == "SERVICE":
            service = True
        if word == "FROM" and i + 1 < len(tokens):
            into = default
            j = i + 1
            if tokens[j][0] == "name" and tokens[j][1].upper() == "NAMED" and j + 1 < len(tokens):
                into, j = named, j + 1
            iri = _term_iri(tokens[j], prefixes, base)
            if iri is not None:
                into.append(iri)
            i = j + 1
            continue
        i += 1
    return QueryText(tuple(default), tuple(named), service)


def _resolve(iri: str, base: str | None) -> str:
    return urljoin(base, iri) if base else iri


def _term_iri(token: tuple[str, str], prefixes: dict[str, str], base: str | None) -> str | None:
    kind, value = token
    if kind == "iri":
        return _resolve(value[1:-1], base)
    if kind == "name" and ":" in value:
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
    return None


_POSITION = re.compile(r"\b(at )(\d+):(\d+)")


def _unshift(detail: str, text: str) -> str:
    """An error position in ``text`` after one line was prepended, on the client's own lines.

    ``ld.store`` appends to updates, so a position past the client's text is named as its end.

    >>> _unshift("SPARQL syntax error: error at 2:18: expected one of LATERAL, SERVICE", "SELECT")
    'SPARQL syntax error: error at 1:18: expected one of LATERAL, SERVICE'
    >>> _unshift("SPARQL syntax error: error at 4:1: expected DEFAULT", "CLEAR XYZ")
    'SPARQL syntax error: error at the end of the text: expected DEFAULT'
    """
    last = text.count("\n") + 1

    def position(m: re.Match) -> str:
        line = int(m[2]) - 1
        if line > last:
            return f"{m[1]}the end of the text"
        return f"{m[1]}{max(line, 1)}:{m[3]}"

    return _POSITION.sub(position, detail, count=1)


# -- the request ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    """One protocol request, parsed: ``kind`` is "query", "update" or None (no operation)."""

    kind: str | None
    text: str
    params: dict[str, list[str]]   # URL and form parameters together

    def values(self, name: str) -> list[str]:
        return self.params.get(name, [])

    @property
    def format(self) -> str | None:
        given = self.values("format")
        return given[-1] if given else None


def parse_request(req: falcon.Request) -> Operation:
    """The operation a request carries; QueryError (400) for anything the protocol forbids."""
    params = parse_qs(req.query_string or "", keep_blank_values=True)
    if req.method in ("GET", "HEAD"):
        if "update" in params:
            raise QueryError("SPARQL Update must be sent with POST, not GET")
        return _operation(params, body_kind=None, body="")
    media_type, charset = _content_type(req)
    if media_type is None:
        raise QueryError(f"a POST needs a Content-Type: {FORM}, {QUERY_TYPE} or {UPDATE_TYPE}")
    if media_type not in (FORM, QUERY_TYPE, UPDATE_TYPE):
        raise QueryError(f"unsupported Content-Type {media_type}; use {FORM}, {QUERY_TYPE} or {UPDATE_TYPE}")
    if charset not in (None, "utf-8", "utf8"):
        raise QueryError(f"the body must be UTF-8, not {charset}")
    body = _body(req)
    if media_type == FORM:
        form = parse_qs(body, keep_blank_values=True)
        for name, values in form.items():
            params.setdefault(name, []).extend(values)
        return _operation(params, body_kind=None, body="")
    return _operation(params, body_kind="query" if media_type == QUERY_TYPE else "update", body=body)


def _content_type(req: falcon.Request) -> tuple[str | None, str | None]:
    if not req.content_type:
        return None, None
    media_type, _, rest = req.content_type.partition(";")
    charset = None
    for param in rest.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media_type.strip().lower(), charset


def _body(req: falcon.Request) -> str:
    length = req.content_length
    if length is not None and length > MAX_BODY:
        raise falcon.HTTPPayloadTooLarge(description=f"the request body is limited to {MAX_BODY} bytes")
    raw = req.bounded_stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise falcon.HTTPPayloadTooLarge(description=f"the request body is limited to {MAX_BODY} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryError(f"the body is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None


def _operation(params: dict[str, list[str]], *, body_kind: str | None, body: str) -> Operation:
    queries = params.get("query", [])
    updates = params.get("update", [])
    if body_kind == "query":
        queries = [body, *queries]
    elif body_kind == "update":
        updates = [body, *updates]
    if queries and updates:
        raise QueryError("send either a query or an update, not both")
    for name, given in (("query", queries), ("update", updates)):
        if len(given) > 1:
            raise QueryError(f"{name} is given {len(given)} times; send exactly one")
    if queries or updates:
        kind, text = ("query", queries[0]) if queries else ("update", updates[0])
        if not text.strip():
            raise QueryError(f"the {kind} is empty")
        return Operation(kind, text, params)
    return Operation(None, "", params)


# -- the dataset ---------------------------------------------------------------------------
def dataset_for(op: Operation, query: QueryText, allowed: tuple[str, ...]) -> Dataset:
    """The graphs a query reads, always within ``allowed``.

    The protocol's ``default-graph-uri``/``named-graph-uri`` win over the query's ``FROM``/
    ``FROM NAMED`` (SPARQL 1.1 Protocol 2.1.4); with neither, the default graph is
    ``GRAPH.public`` and every other allowed graph can be named. A graph outside ``allowed`` is
    treated as a graph that does not exist: it is empty, and the answer does not tell it apart.

    >>> op = Operation("query", "ASK {}", {"default-graph-uri": ["https://w3id.org/linkedevents/graph/restricted"]})
    >>> dataset_for(op, read_query("ASK {}"), ("https://w3id.org/linkedevents/graph/public",))
    Dataset(default=(), named=())
    """
    default_uris, named_uris = op.values("default-graph-uri"), op.values("named-graph-uri")
    if default_uris or named_uris:
        default, named = default_uris, named_uris
    elif query.has_dataset:
        default, named = list(query.default), list(query.named)
    else:
        return Dataset((GRAPH.public.value,), allowed)
    keep = set(allowed)
    return Dataset(_unique(g for g in default if g in keep), _unique(g for g in named if g in keep))


def _unique(graphs: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(graphs))


# -- content negotiation -------------------------------------------------------------------
# ``format=`` values real clients send that ld.formats does not name: SPARQLWrapper sends
# format=n3 for N3 (Turtle is N3), and repeats format= with media type lists (JSON-LD:
# "json-ld" then "application/ld+json,application/x-json+ld").
FORMAT_ALIASES = {"n3": "ttl", "text/n3": "ttl", "text/rdf+n3": "ttl", "rdf+xml": "rdf"}


def requested_format(op: Operation, formats: tuple[Format, ...]) -> str | None:
    """The ``format=`` value to answer in: the first one given (commas split a value) that names
    one of ``formats``, else the last one given (so that the 406 names it), else None.

    >>> op = Operation("query", "ASK {}", {"format": ["json-ld", "application/ld+json,application/x-json+ld"]})
    >>> requested_format(op, RDF_FORMATS)
    'jsonld'
    >>> requested_format(Operation("query", "ASK {}", {"format": ["n3"]}), RDF_FORMATS)
    'ttl'
    """
    given = op.values("format")
    for value in given:
        for name in value.split(","):
            name = name.strip().lower()
            name = FORMAT_ALIASES.get(name, name)
            chosen = by_name(name, formats) if name else None
            if chosen is not None:
                return chosen.name
    return given[-1] if given else None


def choose(req: falcon.Request, requested: str | None, formats: tuple[Format, ...],
           loose: dict[str, Format] | None = None) -> Format:
    """``?format=`` first, then Accept (q-values and wildcards), then loose aliases; else 406."""
    offered = [f.media_type for f in formats]
    if requested:
        chosen = by_name(requested, formats)
        if chosen is None:
            raise NotAcceptable(
                f"format={requested} is not offered for this result; use one of {', '.join(f.name for f in formats)}",
                offered,
            )
        return chosen
    preferred = req.client_prefers(offered)
    if preferred is not None:
        if preferred == HTML.media_type and "text/html" not in (req.accept or ""):
            return formats[0]  # a bare */* gets the default, not the page for people
        return next(f for f in formats if f.media_type == preferred)
    aliases = {m: f for m, f in (loose or {}).items() if f in formats}
    if aliases:
        preferred = req.client_prefers(list(aliases))
        if preferred is not None:
            return aliases[preferred]
    raise NotAcceptable(f"cannot answer Accept: {req.accept}; offered: {', '.join(offered)}", offered)


# -- rendering -----------------------------------------------------------------------------
def render_solutions(results: ox.QuerySolutions | ox.QueryBoolean, fmt: Format) -> bytes:
    return results.serialize(format=RESULTS[fmt]) or b""


@dataclass(frozen=True)
class Renderer:
    """How to write each kind of result, chosen before the query runs (it is evaluated, and
    written, in a worker process; this object travels there, so it holds only format names).
    None: the client accepts no format for that kind; the caller raises its NotAcceptable."""

    solutions: str | None
    boolean: str | None
    graph: str | None
    context_url: str

    def __call__(self, answer: Answer) -> tuple[tuple[str, str | None], bytes]:
        """((kind, format name), body) of a query's results."""
        results = answer.results
        if isinstance(results, ox.QueryTriples):
            kind, name = "graph", self.graph
        elif isinstance(results, ox.QueryBoolean):
            kind, name = "boolean", self.boolean
        else:
            kind, name = "solutions", self.solutions
        if name is None:
            return (kind, None), b""
        fmt = _FORMATS[kind][name]
        if kind == "graph":
            return (kind, name), render_graph(answer.triples(), fmt, self.context_url)
        if kind == "solutions":
            return (kind, name), answer.solutions(RESULTS[fmt])
        return (kind, name), render_solutions(results, fmt)


# Each kind of result, the formats it can be written in, and the loose media types for it.
_NEGOTIATED: tuple[tuple[str, tuple[Format, ...], dict[str, Format]], ...] = (
    ("solutions", SOLUTION_FORMATS, LOOSE_MEDIA_TYPES),
    ("boolean", BOOLEAN_FORMATS, LOOSE_MEDIA_TYPES),
    ("graph", GRAPH_FORMATS, LOOSE_GRAPH_MEDIA_TYPES),
)

_FORMATS: dict[str, dict[str, Format]] = {
    "solutions": {f.name: f for f in SOLUTION_FORMATS},
    "boolean": {f.name: f for f in BOOLEAN_FORMATS},
    "graph": {f.name: f for f in GRAPH_FORMATS},
}


def render_graph(triples: Any, fmt: Format, context_url: str, prefixes: dict[str, str] = PREFIXES) -> bytes:
    if fmt is JSONLD:
        return compact_jsonld(ox.serialize(triples, format=ox.RdfFormat.JSON_LD) or b"[]", context_url)
    if fmt is NQUADS:
        triples = (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return ox.serialize(triples, format=fmt.rdf, prefixes=prefixes if fmt in (TURTLE, RDFXML) else None) or b""


def compact_jsonld(expanded: bytes, context_url: str) -> bytes:
    """pyoxigraph writes expanded JSON-LD; compact it with our context, referenced by URL."""
    loader = document_loader((context_url,))
    nodes = json.loads(expanded)
    for node in nodes:
        _rdf_type_as_type(node)
    compacted = jsonld.compact(nodes, context(), options={"documentLoader": loader})
    compacted["@context"] = context_url
    return json.dumps(compacted, ensure_ascii=False).encode()


def _rdf_type_as_type(node: dict[str, Any]) -> None:
    """pyoxigraph keeps ``rdf:type`` as a property; JSON-LD readers expect ``@type`` (what
    ``fromRdf`` makes of it without ``useRdfType``), and only ``@type`` compacts to ``"Event"``."""
    values = node.get(RDF.type.value)
    if values and all(set(v) == {"@id"} and not v["@id"].startswith("_:") for v in values):
        node["@type"] = [*node.get("@type", []), *(v["@id"] for v in values)]
        del node[RDF.type.value]


def content_type(fmt: Format) -> str:
    textual = fmt in (CSV, TSV, TURTLE, NTRIPLES, NQUADS, HTML)
    return fmt.media_type + ("; charset=utf-8" if textual else "")


# -- the service description ---------------------------------------------------------------
def service_description(endpoint: str, graphs: tuple[str, ...]) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of this endpoint.

    No standard ``sd:feature`` applies: the default graph is not the union of the named graphs
    (``sd:UnionDefaultGraph``), ``SERVICE`` is refused (``sd:BasicFederatedQuery``), URIs in
    ``FROM`` are not fetched (``sd:DereferencesURIs``), and updates are not public.
    """
    service = ox.NamedNode(endpoint)
    dataset = ox.BlankNode()
    default_graph = ox.BlankNode()
    triples = [
        ox.Triple(service, RDF.type, SD.Service),
        ox.Triple(service, SD.endpoint, service),
        ox.Triple(service, SD.supportedLanguage, SD.SPARQL11Query),
        ox.Triple(service, SD.defaultDataset, dataset),
        ox.Triple(dataset, RDF.type, SD.Dataset),
        ox.Triple(dataset, SD.defaultGraph, default_graph),
        ox.Triple(default_graph, RDF.type, SD.Graph),
    ]
    for fmt in (*SOLUTION_FORMATS, *GRAPH_FORMATS):
        triples.append(ox.Triple(service, SD.resultFormat, ox.NamedNode(FORMAT_IRIS[fmt])))
    for name in GEOF_FUNCTIONS:
        function = GEOF.iri + name
        triples.append(ox.Triple(service, SD.extensionFunction, ox.NamedNode(function)))
        triples.append(ox.Triple(ox.NamedNode(function), RDF.type, SD.Function))
    for graph in graphs:
        if graph == GRAPH.public.value:
            continue  # the default graph, not a named one
        named = ox.BlankNode()
        triples += [
            ox.Triple(dataset, SD.namedGraph, named),
            ox.Triple(named, RDF.type, SD.NamedGraph),
            ox.Triple(named, SD.name, ox.NamedNode(graph)),
        ]
    return triples


# -- the resource --------------------------------------------------------------------------
class Sparql:
    """GET and POST ``/sparql``: queries for everyone, updates for keys allowed to update."""

    allow = "GET, HEAD, POST, OPTIONS"

    def __init__(self, store: Store, base_url: str, limits: Limits = Limits()) -> None:
        self.store = store
        self.endpoint = base_url.rstrip("/") + SPARQL_PATH
        self.context_url = base_url.rstrip("/") + CONTEXT_PATH
        self.limits = limits
        self.runner = runner_for(store, limits, preload=(__name__,))
        # Per-request costs kept off the query's time (the issue allows the endpoint 10 % + 1 ms):
        # the allow-list changes only with a write, and a format choice only with Accept/format=.
        self._graphs: tuple[int, tuple[str, ...]] = (-1, ())
        self._renderers: dict[tuple, Renderer] = {}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._answer(req, resp, parse_request(req))

    on_head = on_get

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        op = parse_request(req)
        if op.kind is None:
            raise QueryError("the POST carries no query and no update")
        self._answer(req, resp, op)

    def _answer(self, req: falcon.Request, resp: falcon.Response, op: Operation) -> None:
        resp.vary = ("Accept",)
        resp.set_header("Allow", "GET, HEAD, POST, OPTIONS")
        if op.kind == "update":
            self._update(req, resp, op)
        elif op.kind == "query":
            self._query(req, resp, op)
        else:
            self._describe(req, resp, op)

    def _query(self, req: falcon.Request, resp: falcon.Response, op: Operation) -> None:
        query = read_query(op.text, self.endpoint)
        if query.service:
            raise QueryError("SERVICE (federated query) is not available on this endpoint")
        dataset = dataset_for(op, query, self._public_graphs())
        try:
            (kind, name), body = self.runner.run(self._with_base(op.text), dataset, self._renderer(req, op))
        except ResultTooLarge:
            raise
        except QueryError as exc:
            raise QueryError(_unshift(exc.detail, op.text)) from exc
        if name is None:
            _, formats, loose = next(n for n in _NEGOTIATED if n[0] == kind)
            choose(req, requested_format(op, formats), formats, loose)  # raises the NotAcceptable
        resp.content_type = content_type(_FORMATS[kind][name])
        resp.data = body

    def _public_graphs(self) -> tuple[str, ...]:
        generation = self.store.generation()
        if self._graphs[0] != generation:
            self._graphs = (generation, public_graphs(self.store))
        return self._graphs[1]

    def _renderer(self, req: falcon.Request, op: Operation) -> Renderer:
        """The format for each kind of result (None: the client accepts none of that kind)."""
        key = (req.get_header("Accept"), tuple(op.values("format")))
        renderer = self._renderers.get(key)
        if renderer is None:
            chosen: dict[str, str | None] = {}
            for kind, formats, loose in _NEGOTIATED:
                try:
                    chosen[kind] = choose(req, requested_format(op, formats), formats, loose).name
                except NotAcceptable:
                    chosen[kind] = None
            renderer = Renderer(chosen["solutions"], chosen["boolean"], chosen["graph"], self.context_url)
            if len(self._renderers) >= 256:  # bounded: Accept headers are client text
                self._renderers.clear()
            self._renderers[key] = renderer
        return renderer

    def _update(self, req: falcon.Request, resp: falcon.Response, op: Operation) -> None:
        identity = getattr(req.context, "identity", None) or ANONYMOUS
        if not identity.sparql_update:
            raise Forbidden("SPARQL Update needs an API key allowed to update (send it in the apikey header)")
        for name in ("using-graph-uri", "using-named-graph-uri"):
            if op.values(name):
                raise QueryError(f"{name} is not supported; name the graphs with USING or WITH in the update")
        try:
            self.store.update(self._with_base(op.text))
        except QueryError as exc:
            raise QueryError(_unshift(exc.detail, op.text.rstrip())) from exc
        except RuntimeError as exc:
            raise QueryError(f"SPARQL update error: {exc}") from exc
        resp.status = falcon.HTTP_204

    def _with_base(self, text: str) -> str:
        """The text with the endpoint as its base IRI (SPARQL 1.1 Protocol: the service defines
        the base; it may be the endpoint). A ``BASE`` in the text still wins, being later.
        ``ld.store.Store`` takes no ``base_iri``, so the base goes into the text, on a line of
        its own: :func:`_unshift` puts error positions back on the client's lines."""
        return f"BASE <{self.endpoint}>\n{text}"

    def _describe(self, req: falcon.Request, resp: falcon.Response, op: Operation) -> None:
        fmt = choose(req, op.format, DESCRIPTION_FORMATS)
        if fmt is HTML:
            body = query_page(self.endpoint, static_url=STATIC_PATH, examples=EXAMPLES, prefixes=PREFIXES,
                              formats=PAGE_FORMATS).encode()
        else:
            triples = service_description(self.endpoint, self._public_graphs())
            body = render_graph(triples, fmt, self.context_url, DESCRIPTION_PREFIXES)
        resp.content_type = content_type(fmt)
        resp.data = body
