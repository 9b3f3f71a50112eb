"""Normalized records -> quads in the right graphs, and the update that replaces records.

The entity's description is exactly what its JSON-LD document expands to with our context.
Around it we add what the store needs: ``lei:record`` on every node of the record (so a
replace finds them all, blank nodes included), GeoSPARQL WKT for positions, the YSO concept of
a YSO keyword. Where the triples go decides who can see them (see ``ld.store``).
"""
from __future__ import annotations

import json
from typing import Any, Iterable

import pyoxigraph as ox

from ld import expansion
from ld.context import context
from ld.expansion import Triple, Unplanned, fresh_blank_node
from ld.model import EVENT
from ld.records import LOAD_TERMS, Record
from ld.store import PUBLIC_DATA, term
from ld.times import event_span, xsd
from ld.vocab import GEO, GRAPH, LE, LEI, RDF, SCHEMA, XSD, YSO

PUBLIC = PUBLIC_DATA
RESTRICTED = GRAPH.restricted
# How an N-Quads line ends in each graph (the default graph has no label).
_LINE_END = {PUBLIC: ".\n", RESTRICTED: f"{RESTRICTED} .\n"}

_ADMIN_PREDICATES = frozenset(f.iri for r in (EVENT,) for f in r.all_fields if f.admin)
# What a deleted entity keeps in public: enough for harvesters to drop or follow it.
_TOMBSTONE_PREDICATES = frozenset(
    (RDF.type, SCHEMA.identifier, SCHEMA.dateModified, LE.deleted, LE.replacedBy, LE.typeId, LEI.listing)
)
# Looked up once: record_nquads and enrichment compare every triple with them.
_WKT = GEO.wktLiteral
_AS_WKT = GEO.asWKT
_COORDINATES = LE.coordinates
_IDENTIFIER = SCHEMA.identifier
_SAME_AS = SCHEMA.sameAs
_RECORD = LEI.record


def expand(record: Record) -> list[Triple]:
    """The triples of the record's JSON-LD document."""
    try:
        return expansion.triples(record)
    except Unplanned:
        return _parse(record.document)


def _parse(document: dict) -> list[Triple]:
    """The triples of a JSON-LD document by pyoxigraph's JSON-LD parser (inline context)."""
    data = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return _relabel(ox.parse(data, format=ox.RdfFormat.JSON_LD))


def expand_batch(records: list[Record]) -> dict[str, list[Triple]]:
    """The triples of many records at once, by record IRI: by the plan of ``ld.expansion``, and
    those it does not cover by pyoxigraph's JSON-LD parser, all in one document (see
    :func:`_parse_batch`)."""
    out: dict[str, list[Triple]] = {}
    unplanned = []
    for record in records:
        try:
            out[record.iri] = expansion.triples(record)
        except Unplanned:
            unplanned.append(record)
    if unplanned:
        out.update(_parse_batch(unplanned))
    return out


def _parse_batch(records: list[Record]) -> dict[str, list[Triple]]:
    """Processing the (large) context once per batch instead of once per record makes the parser
    four times faster. Blank nodes are assigned to the record whose node contains them."""
    shared = context()["@context"]
    nodes = []
    for record in records:
        node = dict(record.document)
        local = node.pop("@context")
        if isinstance(local, list):  # [our context, date-only override]: keep the override
            node["@context"] = local[1]
        nodes.append(node)
    data = json.dumps({"@context": {**shared, **LOAD_TERMS}, "@graph": nodes}, ensure_ascii=False).encode("utf-8")
    triples = _relabel(ox.parse(data, format=ox.RdfFormat.JSON_LD))
    parent: dict[str, str] = {}
    for s, _, o in triples:
        if isinstance(o, ox.BlankNode):
            parent[_key(o)] = _key(s)
    out: dict[str, list[Triple]] = {r.iri: [] for r in records}
    for t in triples:
        owner = _key(t[0])
        while owner not in out and owner in parent:
            owner = parent[owner]
        out.setdefault(owner, []).append(t)
    return out


def _relabel(quads: Iterable[ox.Quad]) -> list[Triple]:
    """The parser's triples with blank nodes labelled as ``ld.expansion`` labels them: the parser's
    labels come from a random generator that forked workers inherit in the same state."""
    labels: dict[ox.BlankNode, ox.BlankNode] = {}

    def label(node: Any) -> Any:
        if isinstance(node, ox.BlankNode):
            if node not in labels:
                labels[node] = fresh_blank_node()
            return labels[node]
        return node

    return [(label(q.subject), q.predicate, label(q.object)) for q in quads]


def _key(node: ox.NamedNode | ox.BlankNode) -> str:
    return node.value if isinstance(node, ox.NamedNode) else "_:" + node.value


def is_public(record: Record, private_sources: frozenset[str] = frozenset()) -> bool:
    doc = record.document
    return (
        doc.get("publication_status", "public") == "public"
        and not doc.get("deleted")
        and doc.get("data_source") not in private_sources
    )


def record_nquads(record: Record, triples: list[Triple], *, public: bool) -> bytes:
    """The record's triples, plus bookkeeping, enrichment and index, placed into graphs, as N-Quads."""
    entity = ox.NamedNode(record.iri)
    triples = triples + enrichment(triples) + _span(record, entity) + _listing(record, entity)
    tombstone = not public and record.document.get("deleted")
    placed: dict[Any, list[str]] = {PUBLIC: [], RESTRICTED: []}
    # Each subject is marked with lei:record in each graph it is in. A term's str() is its
    # N-Triples form (escapes included, so " .\n" only ever ends a line); it costs more than the
    # rest of a line, so subjects and predicates are written once.
    subjects: dict[Any, dict[Any, str]] = {PUBLIC: {}, RESTRICTED: {}}
    names: dict[Any, str] = {}
    for s, p, o in triples:
        head = names.get(s)
        if head is None:
            head = names[s] = str(s)
        if public and p not in _ADMIN_PREDICATES:
            graph = PUBLIC
        else:
            graph = RESTRICTED
            if tombstone and p in _TOMBSTONE_PREDICATES and s == entity:
                placed[PUBLIC].append(f"{head} {_predicate(p)} {o} ")
                subjects[PUBLIC][s] = head
        placed[graph].append(f"{head} {_predicate(p)} {o} ")
        subjects[graph][s] = head
    out = []
    record_tail = f" <{_RECORD.value}> <{entity.value}> "
    for graph, lines in placed.items():
        if lines:
            end = _LINE_END[graph]
            lines.extend(head + record_tail for head in subjects[graph].values())
            out.append(end.join(lines))
            out.append(end)
    return "".join(out).encode()


_PREDICATES: dict[ox.NamedNode, str] = {}


def _predicate(p: ox.NamedNode) -> str:
    """str(p), remembered: predicates come from our context and vocabulary, a few hundred at most."""
    text = _PREDICATES.get(p)
    if text is None:
        text = _PREDICATES[p] = str(p)
    return text


def enrichment(triples: Iterable[Triple]) -> list[Triple]:
    """Links a linked-data client expects that the API JSON cannot express: GeoSPARQL WKT for
    positions, the YSO concept of a YSO keyword."""
    extra: list[Triple] = []
    for s, p, o in triples:
        if p == _COORDINATES:
            lon, lat = json.loads(o.value)[:2]
            extra.append((s, _AS_WKT, ox.Literal(f"POINT({lon!r} {lat!r})", datatype=_WKT)))
        elif p == _IDENTIFIER:
            value = o.value
            if value.startswith("yso:"):
                extra.append((s, _SAME_AS, YSO[value[4:]]))
    return extra


def document_triples(document: dict, context_url: str) -> list[ox.Triple]:
    """The RDF of a document we serve (entity or list page), with the enrichment the store has.

    Expanding the served JSON-LD is what makes every RDF format carry exactly the same graph."""
    inline = context()["@context"]

    def inline_context(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (_swap(v) if k == "@context" else inline_context(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [inline_context(v) for v in node]
        return node

    def _swap(ctx: Any) -> Any:
        if ctx == context_url:
            return inline
        if isinstance(ctx, list):
            return [inline if c == context_url else c for c in ctx]
        return ctx

    triples = _parse(inline_context(document))
    return [ox.Triple(*t) for t in triples + enrichment(triples)]


def _listing(record: Record, entity: ox.NamedNode) -> list[Triple]:
    """One index key for what every event list asks first: its type and whether it is deleted.

    A single pattern (``?e lei:listing "General"``) instead of a join of ``le:typeId`` with a
    ``NOT EXISTS`` on ``le:deleted``, which costs twenty times more in Oxigraph."""
    if record.resource is not EVENT:
        return []
    key = str(record.document.get("type_id"))
    if record.document.get("deleted"):
        key += " deleted"
    return [(entity, LEI.listing, ox.Literal(key))]


def _span(record: Record, entity: ox.NamedNode) -> list[Triple]:
    """Start and end as UTC instants (index triples): what time filters compare."""
    if record.resource is not EVENT:
        return []
    try:
        start, end = event_span(record.document.get("start_time"), record.document.get("end_time"))
    except (TypeError, ValueError):
        return []  # malformed times are SHACL's to report
    return [
        (entity, predicate, ox.Literal(xsd(moment), datatype=XSD.dateTime))
        for predicate, moment in ((LEI.start, start), (LEI.end, end))
        if moment is not None
    ]


def delete_records(iris: Iterable[str]) -> str:
    """Update that removes every node of the given records from every graph: first from the
    named graphs, then from the default graph (the public data), whose ``lei:record`` triples
    the first part still needs."""
    values = " ".join(term(ox.NamedNode(i)) for i in iris)
    record = term(LEI.record)
    return (
        f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ VALUES ?e {{ {values} }} "
        f"{{ ?s {record} ?e }} UNION {{ GRAPH ?r {{ ?s {record} ?e }} }} GRAPH ?g {{ ?s ?p ?o }} }} ;\n"
        f"DELETE {{ ?s ?p ?o }} WHERE {{ VALUES ?e {{ {values} }} ?s {record} ?e . ?s ?p ?o }}"
    )
