"""``/.well-known/void``: a VoID description of the public Linked Events dataset.

The description (https://www.w3.org/TR/void/) tells crawlers and SPARQL clients what the
dataset holds before they query it: the SPARQL endpoint, how many triples, entities, subjects
and objects it has, one partition per class (``void:entities``) and per property
(``void:triples``), an example resource, the URI space and the vocabularies used, plus title,
description and licence.

Every number comes from a SPARQL ``COUNT`` over :data:`ld.store.PUBLIC` (the public graph of
our own data, the default graph of ``/sparql``): drafts, deleted records, private data sources
and personal fields live in the restricted graph and are never counted. Reference graphs loaded
with ``ld load --graph`` (YSO, test data) are other publishers' datasets and are not described.

Counting scans the whole public graph, so the description is computed once per store write
generation (``store.generation()``) and kept, rendered formats included, until the next write.
"""
from __future__ import annotations

import hashlib
import json
import re
from threading import Lock
from typing import Any

import falcon
import pyoxigraph as ox
from pyld import jsonld

from endpoint.negotiate import choose
from ld.formats import JSONLD, NTRIPLES, RDFXML, TURTLE, Format
from ld.iris import API_PATH
from ld.store import PUBLIC, Store, term
from ld.vocab import GEO, LE, LEI, RDF, RDFS, SCHEMA, SF, VOID, XSD

VOID_PATH = "/.well-known/void"
SPARQL_PATH = "/sparql"  # kept here, not imported, so this module does not depend on endpoint.sparql

VOID_FORMATS: tuple[Format, ...] = (TURTLE, NTRIPLES, RDFXML, JSONLD)  # Turtle is the default

DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"
SOURCE = "https://api.hel.fi/linkedevents/v1/"
_W3C_FORMATS = "http://www.w3.org/ns/formats/"

TITLE = "Linked Events: City of Helsinki events, places and keywords"
DESCRIPTION = (
    "Public events, places, keywords, keyword sets, organizations, languages and images of the "
    "City of Helsinki's Linked Events service, as RDF (schema.org and the Linked Events vocabulary), "
    "with GeoSPARQL points for places. Drafts, deleted records, private data sources and personal "
    "fields are not part of this dataset."
)

PREFIXES: dict[str, str] = {
    "void": VOID.iri,
    "dcterms": DCTERMS,
    "foaf": FOAF,
    "rdf": RDF.iri,
    "xsd": XSD.iri,
    "schema": SCHEMA.iri,
    "le": LE.iri,
    "lei": LEI.iri,
    "geo": GEO.iri,
    "sf": SF.iri,
    "rdfs": RDFS.iri,
    "formats": _W3C_FORMATS,
}

# -- the counting queries (all over PUBLIC) ------------------------------------------------
TOTALS = """SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects)
       (COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { ?s ?p ?o }"""
ENTITIES = """SELECT (COUNT(?s) AS ?entities) WHERE {{
  {{ SELECT DISTINCT ?s WHERE {{ ?s ?p ?o }} }}
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), {space}))
}}"""
CLASSES = "SELECT ?class (COUNT(DISTINCT ?s) AS ?entities) WHERE { ?s a ?class } GROUP BY ?class ORDER BY ?class"
PROPERTIES = "SELECT ?property (COUNT(*) AS ?triples) WHERE { ?s ?property ?o } GROUP BY ?property ORDER BY ?property"
EXAMPLE = """SELECT ?event WHERE {
  ?event a schema:Event ; schema:name ?name .
  FILTER NOT EXISTS { ?event le:deleted true }
}
ORDER BY ?event
LIMIT 1"""


_LOCAL = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _int(value: ox.Literal | None) -> int:
    return int(value.value) if value is not None else 0


def _count(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=XSD.integer)


class VoidDescription:
    """The VoID triples of one store at one write generation; see :meth:`triples`."""

    def __init__(self, store: Store, base_url: str) -> None:
        base = base_url.rstrip("/")
        self.store = store
        self.document = ox.NamedNode(base + VOID_PATH)
        self.dataset = ox.NamedNode(base + VOID_PATH + "#dataset")
        self.endpoint = ox.NamedNode(base + SPARQL_PATH)
        self.uri_space = base + API_PATH
        self._lock = Lock()
        self._generation: int | None = None
        self._triples: list[ox.Triple] = []
        self._rendered: dict[Format, bytes] = {}

    def triples(self) -> list[ox.Triple]:
        """The description, computed at most once per write generation."""
        return self._current()[0]

    def render(self, fmt: Format) -> bytes:
        triples, rendered = self._current()
        body = rendered.get(fmt)
        if body is None:
            body = rendered[fmt] = _serialize(triples, fmt)
        return body

    def _current(self) -> tuple[list[ox.Triple], dict[Format, bytes]]:
        # The generation is read before counting: should a write land meanwhile, the next
        # request sees a newer generation and counts again, so nothing stale is kept for long.
        generation = self.store.generation()
        with self._lock:
            if generation != self._generation:
                self._triples = self.compute()
                self._rendered = {}
                self._generation = generation
            return self._triples, self._rendered

    def _select(self, sparql: str) -> list[Any]:
        return list(self.store.query(sparql, dataset=PUBLIC))

    def _partition(self, kind: str, node: ox.NamedNode) -> ox.NamedNode:
        """A stable IRI for the partition of a class or property: ``...void#class-schema-Event``,
        or a short hash of the IRI when no prefix of ours fits."""
        for prefix, iri in PREFIXES.items():
            local = node.value[len(iri):]
            if node.value.startswith(iri) and _LOCAL.fullmatch(local):
                return ox.NamedNode(f"{self.dataset.value}-{kind}-{prefix}-{local}")
        digest = hashlib.sha1(node.value.encode()).hexdigest()[:12]
        return ox.NamedNode(f"{self.dataset.value}-{kind}-{digest}")

    def compute(self) -> list[ox.Triple]:
        ds = self.dataset
        totals = self._select(TOTALS)[0]
        entities = self._select(ENTITIES.format(space=term(ox.Literal(self.uri_space))))[0]
        classes = [(row["class"], _int(row["entities"])) for row in self._select(CLASSES)]
        properties = [(row["property"], _int(row["triples"])) for row in self._select(PROPERTIES)]
        example = self._select(EXAMPLE)

        dcterms = lambda name: ox.NamedNode(DCTERMS + name)  # noqa: E731
        triples = [
            ox.Triple(self.document, RDF.type, VOID.DatasetDescription),
            ox.Triple(self.document, dcterms("title"), ox.Literal("VoID description of the Linked Events dataset", language="en")),
            ox.Triple(self.document, ox.NamedNode(FOAF + "primaryTopic"), ds),
            ox.Triple(ds, RDF.type, VOID.Dataset),
            ox.Triple(ds, dcterms("title"), ox.Literal(TITLE, language="en")),
            ox.Triple(ds, dcterms("description"), ox.Literal(DESCRIPTION, language="en")),
            ox.Triple(ds, dcterms("license"), ox.NamedNode(CC_BY_4)),
            ox.Triple(ds, dcterms("source"), ox.NamedNode(SOURCE)),
            ox.Triple(ds, ox.NamedNode(FOAF + "homepage"), ox.NamedNode("https://linkedevents.hel.fi/")),
            ox.Triple(ds, VOID.sparqlEndpoint, self.endpoint),
            ox.Triple(ds, VOID.uriSpace, ox.Literal(self.uri_space)),
            ox.Triple(ds, VOID.rootResource, ox.NamedNode(self.uri_space)),
            ox.Triple(ds, VOID.triples, _count(_int(totals["triples"]))),
            ox.Triple(ds, VOID.entities, _count(_int(entities["entities"]))),
            ox.Triple(ds, VOID.distinctSubjects, _count(_int(totals["subjects"]))),
            ox.Triple(ds, VOID.distinctObjects, _count(_int(totals["objects"]))),
            ox.Triple(ds, VOID.properties, _count(_int(totals["properties"]))),
            ox.Triple(ds, VOID.classes, _count(len(classes))),
        ]
        for vocabulary in (SCHEMA.iri, LE.iri, GEO.iri):
            triples.append(ox.Triple(ds, VOID.vocabulary, ox.NamedNode(vocabulary)))
        for name in ("Turtle", "N-Triples", "RDF_XML", "JSON-LD"):  # what entity URIs answer with
            triples.append(ox.Triple(ds, VOID.feature, ox.NamedNode(_W3C_FORMATS + name)))
        if example:
            triples.append(ox.Triple(ds, VOID.exampleResource, example[0]["event"]))
        partitions: list[ox.Triple] = []
        for kind, rows, counted in (("class", classes, VOID.entities), ("property", properties, VOID.triples)):
            for node, n in rows:
                part = self._partition(kind, node)
                triples.append(ox.Triple(ds, VOID[kind + "Partition"], part))
                partitions += [ox.Triple(part, VOID[kind], node), ox.Triple(part, counted, _count(n))]
        triples += partitions  # after the dataset's own triples, so Turtle groups them by subject
        return triples


def _serialize(triples: list[ox.Triple], fmt: Format) -> bytes:
    if fmt is JSONLD:
        # From N-Triples with pyld: rdf:type becomes @type and counts native numbers; compacted
        # with an inline context of our prefixes (our Linked Events context has no VoID terms).
        nquads = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode()
        expanded = jsonld.from_rdf(nquads, {"format": "application/n-quads", "useNativeTypes": True})
        compacted = jsonld.compact(expanded, {"@context": PREFIXES})
        return json.dumps(compacted, ensure_ascii=False, indent=1).encode()
    prefixes = PREFIXES if fmt in (TURTLE, RDFXML) else None
    return ox.serialize(triples, format=fmt.rdf, prefixes=prefixes) or b""


class Void:
    """GET/HEAD ``/.well-known/void``: Turtle by default; N-Triples, RDF/XML, JSON-LD on request."""

    allow = "GET, HEAD, OPTIONS"

    def __init__(self, store: Store, base_url: str) -> None:
        self.description = VoidDescription(store, base_url)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        fmt = choose(req, VOID_FORMATS)
        resp.vary = ("Accept",)
        resp.content_type = fmt.media_type + ("; charset=utf-8" if fmt in (TURTLE, NTRIPLES) else "")
        resp.data = self.description.render(fmt)

    on_head = on_get
