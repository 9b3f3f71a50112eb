"""The filter catalog: one entry per documented query parameter, in the order of the original
API documentation. Each entry keeps its parsing, its SPARQL and its documentation together, so
adding a filter means copying one entry.

``apply(value, ctx, name) -> Clause``: ``value`` is already parsed; ``$slots`` in templates are
filled by :func:`ld.filters.build.bind` with pyoxigraph terms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pyoxigraph as ox

from ld.filters import parse
from ld.filters.build import Clause, Context, Order, bind
from ld.model import RESOURCES


@dataclass(frozen=True)
class Filter:
    name: str
    parse: Callable[[str], Any]
    apply: Callable[[Any, Context, str], Clause]
    doc: str
    example: str
    resources: tuple[str, ...] = ("event",)

    def applies_to(self, resource: str) -> bool:
        return resource in self.resources


def literal(value: Any, ctx: Context) -> ox.Literal:
    return ox.Literal(value)


def entity_iri(resource: str) -> Callable[[Any, Context], ox.NamedNode]:
    """Term maker for ids of another resource (``tprek:8215`` -> the place's IRI)."""
    return lambda entity_id, ctx: ox.NamedNode(ctx.iris.entity(resource, entity_id))


def template(sparql: str, slot: str = "values", term: Callable[[Any, Context], Any] = literal,
             **clause: Any) -> Callable[[Any, Context, str], Clause]:
    """An ``apply`` that binds the parsed value (or list of values) into one template slot."""

    def apply(value: Any, ctx: Context, name: str) -> Clause:
        values = value if isinstance(value, list) else [value]
        return Clause(bind(sparql, **{slot: [term(v, ctx) for v in values]}), **clause)

    return apply


def _sort(value: list[str], ctx: Context, name: str) -> Clause:
    keys = SORTS.get(ctx.resource.name, {})
    orders = []
    for item in value:
        descending = item.startswith("-")
        key = item.lstrip("-")
        if key not in keys:
            raise ValueError(f"cannot sort by {key!r}; use one of {', '.join(sorted(keys))}")
        var, pattern, nulls_last = keys[key]
        orders.append(Order(var, pattern, descending, nulls_last))
    return Clause(order=tuple(orders))


def _deleted(value: bool, ctx: Context, name: str) -> Clause:
    if not value:
        return Clause()
    if name == "deleted":
        return Clause("?e le:deleted true .", cancels=frozenset({"not_deleted"}))
    return Clause(cancels=frozenset({"not_deleted"}))


def _event_type(value: list[str], ctx: Context, name: str) -> Clause:
    types = []
    for v in value:
        canonical = EVENT_TYPES.get(v.lower())
        if canonical is None:
            raise ValueError(f"{v!r} is not an event type; use General, Course or Volunteering")
        types.append(canonical)
    return Clause(bind("?e le:typeId ?type . VALUES ?type { $types }", types=[ox.Literal(t) for t in types]),
                  cancels=frozenset({"type"}))


EVENT_TYPES = {"general": "General", "course": "Course", "volunteering": "Volunteering"}

# sort key -> (variable, pattern binding it, nulls last in both directions)
SORTS: dict[str, dict[str, tuple[str, str, bool]]] = {
    "event": {
        "last_modified_time": ("?modified", "?e schema:dateModified ?modified", False),
        "start_time": ("?start", "?e lei:start ?start", False),
        "end_time": ("?end", "?e lei:end ?end", False),
        "name": ("?name", '?e schema:name ?name FILTER(LANG(?name) = "fi")', False),
    },
    "place": {"id": ("?id", "?e schema:identifier ?id", False), "name": ("?name", '?e schema:name ?name FILTER(LANG(?name) = "fi")', False)},
    "keyword": {"id": ("?id", "?e schema:identifier ?id", False), "name": ("?name", '?e schema:name ?name FILTER(LANG(?name) = "fi")', False)},
    "keyword_set": {"id": ("?id", "?e schema:identifier ?id", False), "usage": ("?usage", "?e le:usage ?usage", False),
                    "name": ("?name", '?e schema:name ?name FILTER(LANG(?name) = "fi")', False)},
    "image": {"id": ("?id", "?e schema:identifier ?id", False),
              "last_modified_time": ("?modified", "?e schema:dateModified ?modified", False),
              "name": ("?name", "?e schema:name ?name", False)},
}

DEFAULT_ORDER: dict[str, tuple[Order, ...]] = {
    "event": (Order("?modified", "?e schema:dateModified ?modified", descending=True),),
    "image": (Order("?modified", "?e schema:dateModified ?modified", descending=True),),
    "place": (Order("?id", "?e schema:identifier ?id"),),
    "keyword": (Order("?id", "?e schema:identifier ?id"),),
    "keyword_set": (Order("?id", "?e schema:identifier ?id"),),
    "organization": (Order("?id", "?e schema:identifier ?id"),),
    "language": (Order("?id", "?e schema:identifier ?id"),),
}

# Always-on clauses a parameter may cancel (by name); they depend on the mount for event types.
DEFAULTS: dict[str, dict[str, Callable[[Context], str]]] = {
    "event": {
        "type": lambda ctx: bind("?e le:typeId $type .", type=ox.Literal(ctx.mount_type)),
        "not_deleted": lambda ctx: "FILTER NOT EXISTS { ?e le:deleted true }",
    },
    "place": {"not_deleted": lambda ctx: "FILTER NOT EXISTS { ?e le:deleted true }"},
}

ALL = tuple(RESOURCES)

FILTERS: tuple[Filter, ...] = (
    Filter(
        "ids",
        lambda v: parse.csv_of(str)(v.strip("/")),
        template("?e schema:identifier ?id . VALUES ?id { $values }"),
        "Events with one of these ids (comma-separated).",
        "event/?ids=helsinki:1,helsinki:2",
    ),
    Filter(
        "event_type",
        parse.csv_of(str),
        _event_type,
        "Events of these types: General, Course, Volunteering (comma-separated, any case). "
        "Without it, General (Course on the Linked Courses mount).",
        "event/?event_type=General,Course",
    ),
    Filter(
        "location",
        parse.csv_of(str),
        template("?e schema:location ?loc . VALUES ?loc { $values }", term=entity_iri("place")),
        "Events at one of these places (comma-separated place ids).",
        "event/?location=tprek:28473",
    ),
    Filter(
        "data_source",
        parse.csv_of(str),
        template("?e le:dataSource ?ds . VALUES ?ds { $values }"),
        "Only entities from these data sources (comma-separated).",
        "event/?data_source=helmet",
        resources=("event", "place", "keyword", "image"),
    ),
    Filter(
        "publisher",
        parse.csv_of(str),
        template("?e schema:publisher ?pub . VALUES ?pub { $values }"),
        "Entities published by one of these organizations (comma-separated ids).",
        "event/?publisher=ytj:0586977-6",
        resources=("event", "image"),
    ),
    Filter(
        "show_deleted",
        parse.boolean,
        _deleted,
        "true: deleted events are included, shown as a stub of five keys.",
        "event/?last_modified_since=2020-04-07&show_deleted=true",
        resources=("event", "place"),
    ),
    Filter(
        "deleted",
        parse.boolean,
        _deleted,
        "true: only deleted events.",
        "event/?deleted=true",
    ),
    Filter(
        "sort",
        parse.csv_of(str),
        _sort,
        "Order of the results; '-' in front means descending. Default -last_modified_time.",
        "event/?sort=-end_time",
        resources=("event", "place", "keyword", "keyword_set", "image"),
    ),
)

# Parameters whose name carries a number: keyword_OR_set1, local_ongoing_OR_set2 ...
PATTERN_FILTERS: tuple[tuple[str, Filter], ...] = ()

# Paging and rendering options, read by the builder itself.
PAGING: dict[str, Filter] = {
    f.name: f
    for f in (
        Filter("page", lambda v: parse.integer(v, minimum=1), lambda *a: Clause(), "Page number, from 1.", "event/?page=2", ALL),
        Filter("page_size", lambda v: parse.integer(v, minimum=1), lambda *a: Clause(),
               "Items per page: default 20, at most 100 (images: 1000).", "event/?page_size=100", ALL),
        Filter("srid", lambda v: __import__("ld.geo", fromlist=["check_srid"]).check_srid(v), lambda *a: Clause(),
               "Coordinate system (EPSG code) of positions in the response and of bbox/dwithin inputs.",
               "place/?srid=3067", ALL),
    )
}

FILTERS_BY_RESOURCE: dict[tuple[str, str], Filter] = {
    (resource, f.name): f for f in FILTERS for resource in f.resources
}
