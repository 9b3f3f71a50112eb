"""The filter catalog: one entry per documented query parameter, in the order of the original
API documentation. Each entry keeps its parsing, its SPARQL and its documentation together, so
adding a filter means copying one entry.

``apply(value, ctx, name) -> Clause``: ``value`` is already parsed; ``$slots`` in templates are
filled by :func:`ld.filters.build.bind` with pyoxigraph terms.
"""
from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass, replace
from functools import reduce
from datetime import datetime, timedelta
from typing import Any, Callable

import numpy as np
import pyoxigraph as ox

from ld import geo
from ld.filters import parse
from ld.filters.build import Clause, Context, Order, all_of, bind
from ld.errors import LdError
from ld.identity import Identity
from ld.model import LANGUAGES, RESOURCES
from ld.records import rdf_lang
from ld.sideindex import IndexSpec, per_generation, rows, table
from ld.tokens import TokenIndex
from ld.times import HELSINKI, UTC, micros, xsd
from ld.vocab import GEO, GRAPH, SCHEMA, XSD


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
             index: str | None = None, **clause: Any) -> Callable[[Any, Context, str], Clause]:
    """An ``apply`` that binds the parsed value (or list of values) into one template slot;
    ``index``: the side index's term key holding the same values (``?e`` has one of them)."""

    def apply(value: Any, ctx: Context, name: str) -> Clause:
        terms = [term(v, ctx) for v in (value if isinstance(value, list) else [value])]
        fast = (lambda ix: ix.has(index, [t.value for t in terms])) if index else None
        return Clause(bind(sparql, **{slot: terms}), fast=fast, **clause)

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
    if ctx.resource.name == "event":
        return Clause()  # folded into the event listing key, see _event_listing
    return Clause(cancels=frozenset({"not_deleted"})) if value else Clause()


def _event_types(value: str) -> list[str]:
    types = []
    for v in parse.csv_of(str)(value):
        canonical = EVENT_TYPES.get(v.lower())
        if canonical is None:
            raise ValueError(f"{v!r} is not an event type; use General, Course or Volunteering")
        types.append(canonical)
    return types


def _event_listing(ctx: Context) -> Clause:
    """Every event list starts from the listing key (``lei:listing "General"``, see ld.rdf):
    the types asked for (event_type, else the mount's) and whether deleted events are shown
    (show_deleted) or only they (deleted). The three parameters are validated by their entries."""
    types = _event_types(ctx.params["event_type"]) if "event_type" in ctx.params else [ctx.mount_type]
    only_deleted = parse.boolean(ctx.params["deleted"]) if "deleted" in ctx.params else False
    with_deleted = parse.boolean(ctx.params["show_deleted"]) if "show_deleted" in ctx.params else False
    keys = [f"{t} deleted" for t in types] if only_deleted else types + (
        [f"{t} deleted" for t in types] if with_deleted else [])
    fast = lambda ix: ix.has("listing", keys)  # noqa: E731
    if len(keys) == 1:
        return Clause(bind("?e lei:listing $key .", key=ox.Literal(keys[0])), fast=fast)
    return Clause(bind("?e lei:listing ?_listing . VALUES ?_listing { $keys }", keys=[ox.Literal(k) for k in keys]),
                  fast=fast)


EVENT_TYPES = {"general": "General", "course": "Course", "volunteering": "Volunteering"}


# ----------------------------------------------------------------------------------------
# Helpers shared by the entries below. Every clause keeps its own variables (``?_`` prefix)
# inside FILTER (NOT) EXISTS, MINUS or a sub-select projecting only ?e, so clauses never
# multiply rows nor capture each other's (or the ORDER BY's) variables.
#
# Performance rule: a condition on ?e's own triples is a FILTER EXISTS; anything that joins
# further (places, keywords, organizations, offers) is a sub-select evaluated once and joined on
# ?e, because the store plans a FILTER EXISTS without knowing that ?e is bound and may scan the
# other side once per event (minutes instead of milliseconds on 20 000 events).
# ----------------------------------------------------------------------------------------
KEYWORD_LINKS = "(schema:keywords|schema:audience)"


def _dt(moment: datetime) -> ox.Literal:
    return ox.Literal(xsd(moment), datatype=XSD.dateTime)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(int(value)), datatype=XSD.integer)


def _str(value: str) -> ox.Literal:
    return ox.Literal(value)


def _iris(resource: str, ids: list[str], ctx: Context) -> list[ox.NamedNode]:
    return [ox.NamedNode(ctx.iris.entity(resource, i)) for i in ids]


NOTHING = "FILTER(false)"


def _flag(on_true: Callable[[Context, str], Clause], on_false: Callable[[Context, str], Clause] | None = None):
    """An ``apply`` for a boolean parameter: ``false`` means no filter unless ``on_false`` says otherwise."""

    def apply(value: bool, ctx: Context, name: str) -> Clause:
        if value:
            return on_true(ctx, name)
        return on_false(ctx, name) if on_false else Clause()

    return apply


def _fixed(pattern: str, **clause: Any) -> Callable[[Context, str], Clause]:
    return lambda ctx, name: Clause(pattern, **clause)


# -- time ---------------------------------------------------------------------------------
def _start_clause(moment: datetime, ctx: Context) -> Clause:
    """Behaviour §7.3 ``start``: the event has not ended by ``moment`` (only events whose end is
    a real time, or whose start is date-only, count their end), or starts at or after it;
    postponed events match when ``end`` is absent."""
    with_postponed = "end" not in ctx.params
    postponed = "\n    || EXISTS { ?e schema:eventStatus schema:EventPostponed }" if with_postponed else ""
    t = micros(moment)

    def fast(ix: Any) -> Any:
        start, end = ix.column("start"), ix.column("end")
        ends_later = end.present & (end.values > t)
        keep = (ends_later & (ix.set("end_date_time") | ~ix.set("start_date_time"))) | (start.present & (start.values >= t))
        return keep | ix.has("event_status", [SCHEMA.EventPostponed.value]) if with_postponed else keep

    return Clause(bind(
        "FILTER(\n"
        "    EXISTS { ?e lei:end ?_end . FILTER(?_end > $t) ?e schema:endDate ?_ed . FILTER(DATATYPE(?_ed) = xsd:dateTime) }\n"
        "    || EXISTS { ?e lei:end ?_end . FILTER(?_end > $t)\n"
        "                FILTER NOT EXISTS { ?e schema:startDate ?_sd . FILTER(DATATYPE(?_sd) = xsd:dateTime) } }\n"
        "    || EXISTS { ?e lei:start ?_start . FILTER(?_start >= $t) }" + postponed + "\n  )",
        t=_dt(moment),
    ), fast=fast)


def _end_clause(moment: datetime) -> Clause:
    t = micros(moment)

    def fast(ix: Any) -> Any:
        start, end = ix.column("start"), ix.column("end")
        return (end.present & (end.values < t)) | (start.present & (start.values <= t))

    return Clause(bind(
        "FILTER(EXISTS { ?e lei:end ?_end . FILTER(?_end < $t) } || EXISTS { ?e lei:start ?_start . FILTER(?_start <= $t) })",
        t=_dt(moment),
    ), fast=fast)


def _start(value: parse.When, ctx: Context, name: str) -> Clause:
    return _start_clause(value.resolve(ctx.now, end=False), ctx)


def _end(value: parse.When, ctx: Context, name: str) -> Clause:
    return _end_clause(value.resolve(ctx.now, end=True))


def _days(value: int, ctx: Context, name: str) -> Clause:
    if "start" in ctx.params or "end" in ctx.params:
        raise ValueError("start or end cannot be used together with days")
    today = ctx.now.astimezone(UTC).date()  # the original takes today's UTC date
    start = parse.When("date", today).resolve(ctx.now, end=False)
    end = parse.When("date", today + timedelta(days=value)).resolve(ctx.now, end=True)
    return all_of(_start_clause(start, ctx), _end_clause(end))


def _last_modified_since(value: parse.When, ctx: Context, name: str) -> Clause:
    # Deliberate difference: a date means the start of that (Helsinki) day, not the next one.
    moment = value.resolve(ctx.now, end=False)
    return Clause(bind("FILTER EXISTS { ?e schema:dateModified ?_m . FILTER(?_m >= $t) }", t=_dt(moment)),
                  fast=lambda ix: _compared(ix.column("modified"), ">=", micros(moment)))


def local_time_binds(instant: str, p: str) -> str:
    """SPARQL BINDs giving the Europe/Helsinki local time of day (``?{p}secs``, seconds after
    local midnight) and local ISO weekday (``?{p}wd``, 1 = Monday) of the UTC xsd:dateTime
    ``instant``. The offset follows the EU summer-time rule (last Sunday of March 01:00 UTC to
    last Sunday of October 01:00 UTC: +03:00, else +02:00), exact for 1996-2099."""
    v = f"?{p}"
    return (
        f"BIND(YEAR({instant}) AS {v}y) BIND(MONTH({instant}) AS {v}mo) BIND(DAY({instant}) AS {v}d) "
        f"BIND(HOURS({instant}) AS {v}h) "
        f"BIND(FLOOR(5 * {v}y / 4) AS {v}q) "
        f"BIND(31 - ({v}q + 4 - 7 * FLOOR(({v}q + 4) / 7)) AS {v}d1) "
        f"BIND(31 - ({v}q + 1 - 7 * FLOOR(({v}q + 1) / 7)) AS {v}d2) "
        f"BIND(IF(({v}mo > 3 && {v}mo < 10) || ({v}mo = 3 && ({v}d > {v}d1 || ({v}d = {v}d1 && {v}h >= 1))) "
        f"|| ({v}mo = 10 && ({v}d < {v}d2 || ({v}d = {v}d2 && {v}h < 1))), 3, 2) AS {v}off) "
        f"BIND({v}h + {v}off AS {v}lh) "
        f"BIND(IF({v}lh >= 24, {v}lh - 24, {v}lh) * 3600 + MINUTES({instant}) * 60 + SECONDS({instant}) AS {v}secs) "
        # ISO weekday of the UTC date (Zeller), then one day on when the local time passed midnight.
        f"BIND(IF({v}mo < 3, {v}mo + 12, {v}mo) AS {v}zm) BIND(IF({v}mo < 3, {v}y - 1, {v}y) AS {v}zy) "
        f"BIND({v}zy - 100 * FLOOR({v}zy / 100) AS {v}zk) BIND(FLOOR({v}zy / 100) AS {v}zj) "
        f"BIND({v}d + FLOOR(13 * ({v}zm + 1) / 5) + {v}zk + FLOOR({v}zk / 4) + FLOOR({v}zj / 4) + 5 * {v}zj + 5 "
        f"+ IF({v}lh >= 24, 1, 0) AS {v}zh) "
        f"BIND({v}zh - 7 * FLOOR({v}zh / 7) + 1 AS {v}wd)"
    )


# (predicate, its side-index column, comparison)
_TIME_OF_DAY = {
    "starts_after": ("lei:start", "start", ">="),
    "starts_before": ("lei:start", "start", "<="),
    "ends_after": ("lei:end", "end", ">="),
    "ends_before": ("lei:end", "end", "<="),
}

_COMPARE = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}


def _compared(column: Any, op: str, value: Any) -> Any:
    """Rows whose column value compares so with ``value`` (``FILTER(?v op value)``)."""
    return column.present & _COMPARE[op](column.values, value)


def _time_of_day(value: int, ctx: Context, name: str) -> Clause:
    predicate, key, op = _TIME_OF_DAY[name]

    def fast(ix: Any) -> Any:
        return ix.column(key).present & _COMPARE[op](ix.seconds_of_day(key), value)

    return Clause(
        f"FILTER EXISTS {{ ?e {predicate} ?_t . {local_time_binds('?_t', '_t')} FILTER(?_tsecs {op} {value}) }}",
        fast=fast,
    )


def _duration(value: int, ctx: Context, name: str) -> Clause:
    op = ">=" if name == "min_duration" else "<="

    def fast(ix: Any) -> Any:
        start, end = ix.column("start"), ix.column("end")
        return start.present & end.present & _COMPARE[op](end.values - start.values, value * 1_000_000)

    return Clause(bind(
        f"FILTER EXISTS {{ ?e lei:start ?_s ; lei:end ?_x . FILTER(?_x - ?_s {op} $d) }}",
        d=ox.Literal(f"PT{value}S", datatype=DAY_TIME_DURATION),
    ), fast=fast)


DAY_TIME_DURATION = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dayTimeDuration")


def _weekday(value: list[int], ctx: Context, name: str) -> Clause:
    days = " ".join(str(d) for d in sorted(set(value)))
    return Clause(
        "FILTER EXISTS { ?e lei:start ?_s ; lei:end ?_x . "
        f"{local_time_binds('?_s', '_s')} {local_time_binds('?_x', '_x')} "
        f"VALUES ?_day {{ {days} }} "
        "FILTER(?_swd = ?_day || ?_xwd = ?_day || ?_x - ?_s >= \"P7D\"^^xsd:dayTimeDuration"
        " || (?_swd <= ?_xwd && ?_swd <= ?_day && ?_day <= ?_xwd)"
        " || (?_swd > ?_xwd && (?_day >= ?_swd || ?_day <= ?_xwd))) }"
    )


# -- place and geography ----------------------------------------------------------------------
def _srid(ctx: Context) -> int:
    return geo.check_srid(ctx.params["srid"]) if "srid" in ctx.params else geo.WGS84


def _at_places(group: str, ctx: Context, near: tuple[float, float, float, float] | None = None) -> Clause:
    """Events at the places ``group`` binds to ``?_p`` (or those places themselves on the place
    list), as a sub-select: the places are found once, not once per event. The side index asks
    the store for the same places and keeps the events at them; ``near`` (west, south, east,
    north) bounds where the group's places can lie, so that the store tests only the places
    there (and those that are not points)."""
    tail = "BIND(?_p AS ?e)" if ctx.resource.name == "place" else "?e schema:location ?_p ."

    def fast(ix: Any) -> Any:
        if near is None:
            return ix.has("location", ix.lookup(f"SELECT DISTINCT ?_p WHERE {{ {group} }}"))
        candidates = _places_near(ix.store, *near)
        found = ix.lookup(bind(f"SELECT DISTINCT ?_p WHERE {{ VALUES ?_p {{ $p }} {group} }}",
                               p=[ox.NamedNode(p) for p in candidates])) if candidates else []
        return ix.has("location", found)

    return Clause(_events_with(f"{group} {tail}"), fast=fast)


GEOMETRY = "?_p geo:hasGeometry ?_g . ?_g geo:asWKT ?_wkt ."
_POINT = re.compile(r"\s*POINT\s*\(\s*(\S+)\s+(\S+)\s*\)\s*", re.IGNORECASE)


def _places_near(store: Any, west: float, south: float, east: float, north: float) -> list[str]:
    """Places with a point in the box, and every place with another geometry."""
    places, lon, lat, others = _prepared(store, "place points")
    inside = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    return [places[i] for i in np.flatnonzero(inside)] + others


GEOMETRIES = f"SELECT ?_p ?_wkt WHERE {{ {GEOMETRY} }}"


def _place_points(store: Any) -> tuple[list[str], Any, Any, list[str]]:
    points, others = [], []
    for r in table(store, GEOMETRIES):
        match = _POINT.fullmatch(r["_wkt"])
        if match:
            points.append((r["_p"], float(match[1]), float(match[2])))
        else:
            others.append(r["_p"])
    return ([p for p, _, _ in points], np.array([x for _, x, _ in points]), np.array([y for _, _, y in points]),
            sorted(set(others)))


def _bbox(value: list[float], ctx: Context, name: str) -> Clause:
    srid = _srid(ctx)
    west, south = geo.to_wgs84(value[0], value[1], srid, param=name)
    east, north = geo.to_wgs84(value[2], value[3], srid, param=name)
    if west > east or south > north:
        raise ValueError("west must not exceed east nor south exceed north (left,bottom,right,top)")
    polygon = ox.Literal(geo.bbox_polygon_wkt(west, south, east, north), datatype=GEO.wktLiteral)
    # sfIntersects: points on the edges are inside (inclusive bbox), unlike sfWithin.
    margin = 1e-9  # the store decides the edges
    return _at_places(bind(f"{GEOMETRY} FILTER(geof:sfIntersects(?_wkt, $poly))", poly=polygon), ctx,
                      near=(west - margin, south - margin, east + margin, north + margin))


def _dwithin_origin(value: list[float], ctx: Context, name: str) -> Clause:
    if "dwithin_metres" not in ctx.params:
        return Clause()  # either parameter alone: no filter
    try:
        metres = parse.number(ctx.params["dwithin_metres"])
    except ValueError:
        return Clause()  # reported under dwithin_metres
    lon, lat = geo.to_wgs84(value[0], value[1], _srid(ctx), param=name)
    point = ox.Literal(geo.point_wkt(lon, lat), datatype=GEO.wktLiteral)
    return _at_places(bind(
        f"{GEOMETRY} FILTER(geof:distance(?_wkt, $point, uom:metre) <= $metres)",
        point=point, metres=ox.Literal(repr(float(metres)), datatype=XSD.double),
    ), ctx, near=_around(lon, lat, metres))


def _around(lon: float, lat: float, metres: float) -> tuple[float, float, float, float] | None:
    """A box surely holding every point within ``metres`` of (lon, lat): a degree is at least
    110 km north-south and 110 km x cos(latitude) east-west; 10 % more for safety. None near the
    poles or for very large distances, where a box would not help."""
    dlat = metres / 110_000 * 1.1
    if abs(lat) + dlat >= 80 or metres > 1_000_000:
        return None
    dlon = dlat / math.cos(math.radians(abs(lat) + dlat))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def _division(value: list[str], ctx: Context, name: str) -> Clause:
    ocd = [o for item in value for o in geo.resolve_division(item)]
    return _at_places(bind(
        "VALUES ?_ocd { $ocd } ?_d le:ocdId ?_ocd . ?_p le:division ?_d .",
        ocd=[_str(o) for o in dict.fromkeys(ocd)],
    ), ctx)


def _internet_based(ctx: Context, name: str) -> Clause:
    return Clause(bind(
        "FILTER EXISTS { ?e schema:location ?_p . FILTER(CONTAINS(STRAFTER(STR(?_p), $root), \"internet\")) }",
        root=_str(ctx.iris.api_root + "place/"),
    ))


# -- keywords -----------------------------------------------------------------------------------
REPLACEMENT_DEPTH = 4


def _with_replacements(keywords: list[ox.NamedNode], root: str) -> str:
    """A group binding ``?_k`` to each keyword or any keyword along its ``replaced_by`` chain
    (followed up to REPLACEMENT_DEPTH links; ``le:replacedBy`` holds the replacement's id)."""
    values = " ".join(str(k) for k in keywords)
    branches = [f"{{ VALUES ?_k {{ {values} }} }}"]
    for depth in range(1, REPLACEMENT_DEPTH + 1):
        steps = [f"VALUES ?_k0 {{ {values} }}"]
        for i in range(1, depth + 1):
            target = "?_k" if i == depth else f"?_k{i}"
            # The replacement's IRI is minted from its id (ld.iris.Iris.entity): no join needed.
            steps.append(f"?_k{i - 1} le:replacedBy ?_r{i} . BIND(IRI(CONCAT({ox.Literal(root)}, STR(?_r{i}), \"/\")) AS {target})")
        branches.append("{ " + " ".join(steps) + " }")
    return " UNION ".join(branches)


def _keyword_root(ctx: Context) -> str:
    return ctx.iris.api_root + "keyword/"


def _events_with(group: str) -> str:
    """A sub-select of the events matching ``group``: evaluated once and joined on ?e, which is
    much faster than a per-event FILTER EXISTS when the group has to look things up."""
    return f"{{ SELECT DISTINCT ?e WHERE {{ {group} }} }}"


def _with_keywords(group: str) -> Clause:
    """Events with (in keywords or audience) a keyword ``group`` binds to ``?_k``; the side index
    asks the store for the same keywords."""
    def fast(ix: Any) -> Any:
        keywords = ix.lookup(f"SELECT DISTINCT ?_k WHERE {{ {group} }}")
        return ix.has("keywords", keywords) | ix.has("audience", keywords)

    return Clause(_events_with(f"{group} ?e {KEYWORD_LINKS} ?_k ."), fast=fast)


def _keyword_any(value: list[str], ctx: Context, name: str) -> Clause:
    return _with_keywords(_with_replacements(_iris("keyword", value, ctx), _keyword_root(ctx)))


def _keyword_all(value: list[str], ctx: Context, name: str) -> Clause:
    return all_of(*(_keyword_any([k], ctx, name) for k in dict.fromkeys(value)))


def _keyword_none(value: list[str], ctx: Context, name: str) -> Clause:
    some = _keyword_any(value, ctx, name)
    return Clause("MINUS " + some.pattern, fast=lambda ix: ~some.fast(ix))


def _keyword_or_set(value: list[str], ctx: Context, name: str) -> Clause:
    # No replacement mapping, as in the original.
    return _with_keywords(bind("VALUES ?_k { $k }", k=_iris("keyword", value, ctx)))


def _check_keyword_sets(ids: list[str], ctx: Context) -> None:
    """Deliberate difference: an unknown keyword set id is a 400 naming it. Needs the store,
    which the builder passes as ``ctx.store`` when it has one."""
    store = getattr(ctx, "store", None)
    if store is None:
        return
    rows = store.query(bind("SELECT ?s WHERE { ?s a schema:DefinedTermSet . VALUES ?s { $s } }",
                            s=_iris("keyword_set", ids, ctx)))
    known = {row["s"].value for row in rows}
    unknown = [i for i in ids if ctx.iris.entity("keyword_set", i) not in known]
    if unknown:
        raise ValueError(f"unknown keyword set{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")


def _keyword_set_and(value: list[str], ctx: Context, name: str) -> Clause:
    _check_keyword_sets(value, ctx)
    return all_of(*(_with_keywords(bind("$s schema:hasDefinedTerm ?_k .", s=s))
                    for s in dict.fromkeys(_iris("keyword_set", value, ctx))))


def _keyword_set_or(value: list[str], ctx: Context, name: str) -> Clause:
    _check_keyword_sets(value, ctx)
    return _with_keywords(bind("VALUES ?_s { $s } ?_s schema:hasDefinedTerm ?_k .", s=_iris("keyword_set", value, ctx)))


# -- text ----------------------------------------------------------------------------------------
ONGOING_TEXT = ("schema:name", "schema:description", "schema:disambiguatingDescription")
EVENT_TEXT = (*ONGOING_TEXT, "schema:url", "le:locationExtraInfo", "schema:provider", "le:providerContactInfo")
PLACE_TEXT = ("schema:name", "schema:description", "schema:url", "schema:streetAddress",
              "schema:addressLocality", "schema:telephone")


def _contains(var: str) -> str:
    return f"FILTER(CONTAINS(LCASE(STR({var})), $q))"


def _event_text(condition: str) -> str:
    """A group binding ?e to events whose own text fields, or whose place's, satisfy ``condition`` on ?_t."""
    return (
        f"{{ ?e a schema:Event ; {'|'.join(EVENT_TEXT)} ?_t . {condition} }} UNION "
        f"{{ {_PLACE_TEXT.format(condition=condition)} ?e schema:location ?_p . }}"
    )


_PLACE_TEXT = f"?_p a schema:Place ; {'|'.join(PLACE_TEXT)} ?_t . {{condition}}"
PLACE_TEXTS = f"SELECT ?_p ?_t WHERE {{ {_PLACE_TEXT.format(condition='')} }}"


def _text_fast(needle: str) -> Callable[[Any], Any] | None:
    """The side-index twin of ``_event_text(_contains("?_t"))`` for one lower-cased needle:
    the token indexes of the events' own text and of the places' texts."""
    if not TokenIndex.searchable(needle):
        return None

    def fast(ix: Any) -> Any:
        own = np.concatenate([ix.text("own").containing(needle), ix.text("more").containing(needle)])
        places, tokens = _prepared(ix.store, "place tokens")
        return ix.mask(own) | ix.has("location", [places[i] for i in tokens.containing(needle)])

    return fast


def _place_tokens(store: Any) -> tuple[list[str], TokenIndex]:
    rows = table(store, PLACE_TEXTS)
    places = sorted({r["_p"] for r in rows})
    number = {p: i for i, p in enumerate(places)}
    return places, TokenIndex.build(((number[r["_p"]], r["_t"]) for r in rows), len(places))

def _text(value: str, ctx: Context, name: str) -> Clause:
    q = _str(value.lower())
    resource = ctx.resource.name
    if resource == "event":
        return Clause(bind(_events_with(_event_text(_contains("?_t"))), q=q), fast=_text_fast(value.lower()))
    if resource in _LABELS:
        # Led by the few entities whose labels contain the value, found in a per-generation table:
        # the store would test every label of every place or keyword (~20 µs a keyword).
        labels = _LABELS[resource]
        store = getattr(ctx, "store", None)
        pattern = f"FILTER EXISTS {{ ?e {labels} ?_t . {_contains('?_t')} }}"
        if store is None:
            return Clause(bind(pattern, q=q))
        return Clause(bind("VALUES ?e { $candidates } " + pattern, q=q,
                           candidates=_labelled(store, resource, value.lower())))
    if resource == "image":
        pattern = f"FILTER EXISTS {{ ?e schema:name|le:altText ?_t . {_contains('?_t')} }}"
    else:  # keyword_set: comma-separated terms, any of them in the name or the id
        terms = [t.strip().lower() for t in value.split(",") if t.strip()]
        return Clause(bind(
            "FILTER EXISTS { ?e schema:name|schema:identifier ?_t . VALUES ?_q { $qs } FILTER(CONTAINS(LCASE(STR(?_t)), ?_q)) }",
            qs=[_str(t) for t in terms],
        ))
    return Clause(bind(pattern, q=q))


_LABELS = {"place": "schema:name|schema:streetAddress", "keyword": "schema:name|schema:alternateName"}


def _labelled(store: Any, resource: str, needle: str) -> list[ox.NamedNode]:
    """Entities with a label containing ``needle``, lower-cased as SPARQL's LCASE does."""
    labels = _prepared(store, f"{resource} labels")
    return [ox.NamedNode(e) for e in dict.fromkeys(e for e, label in labels if needle in label)]


def _labels(resource: str) -> Callable[[Any], list[tuple[str, str]]]:
    def make(store: Any) -> list[tuple[str, str]]:
        cls = f"<{RESOURCES[resource].rdf_class.value}>"
        return [(r["_e"], r["_t"].lower()) for r in rows(store, f"SELECT ?_e ?_t WHERE {{ ?_e a {cls} ; {_LABELS[resource]} ?_t }}")]

    return make


# -- similarity search (pg_trgm's similarity, computed over the keyword names in the store) ------
_WORD = re.compile(r"[^\W_]+")
SIMILARITY_THRESHOLD = 0.2


def trigrams(text: str) -> frozenset[str]:
    """pg_trgm trigrams: each lower-cased word padded with two spaces before and one after.

    >>> sorted(trigrams("Cat"))
    ['  c', ' ca', 'at ', 'cat']
    """
    return frozenset(
        padded[i:i + 3] for word in _WORD.findall(text.lower()) for padded in [f"  {word} "] for i in range(len(padded) - 2)
    )


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """pg_trgm ``similarity`` of two trigram sets: shared trigrams over all trigrams of both.

    >>> round(similarity(trigrams("cheeese"), trigrams("cheese")), 3), round(similarity(trigrams("cheeese"), trigrams("chess")), 3)
    (0.875, 0.273)
    """
    return len(a & b) / len(a | b) if a and b else 0.0


def similar_keywords(store: Any, term: str) -> list[tuple[str, float]]:
    """(keyword IRI, similarity) of every public, non-deprecated keyword whose Finnish, Swedish or
    English name (English skipped when the term has letters U+00C0-U+00FF) is more than 0.2
    similar to the term, best first."""
    languages = {"fi", "sv"} | (set() if re.search("[\u00c0-\u00ff]", term) else {"en"})
    names, having = _prepared(store, "keyword trigrams")
    wanted = trigrams(term)
    best: dict[str, float] = {}
    # A name sharing no trigram with the term has similarity 0: only the others are scored.
    for i in sorted(set().union(*(having.get(g, ()) for g in wanted))):
        keyword, language, grams = names[i]
        if language in languages:
            score = similarity(wanted, grams)
            if score > SIMILARITY_THRESHOLD and score > best.get(keyword, 0.0):
                best[keyword] = score
    return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))


def _keyword_trigrams(store: Any) -> tuple[list[tuple[str, str, frozenset[str]]], dict[str, list[int]]]:
    """(keyword, language, trigrams) of every name of a non-deprecated keyword, and which names have each trigram."""
    names = [(r["_k"], r["lang"], trigrams(r["_t"])) for r in table(store, KEYWORD_NAMES) if r["deprecated"] == "false"]
    having: dict[str, list[int]] = {}
    for i, (_, _, grams) in enumerate(names):
        for gram in grams:
            having.setdefault(gram, []).append(i)
    return names, having


# Every keyword name, for similarity and for the ongoing-text filters' keyword names.
KEYWORD_NAMES = ("SELECT ?_k ?_t ?lang ?deprecated WHERE { ?_k a schema:DefinedTerm ; schema:name ?_t "
                 "BIND(LANG(?_t) AS ?lang) BIND(EXISTS { ?_k le:deprecated true } AS ?deprecated) }")


def _combined_text(value: list[str], ctx: Context, name: str) -> Clause:
    """Every term (AND) is a case-insensitive substring of the text fields (as ``text``), or the
    event has one of the 3 keywords (not audience) most similar to it."""
    store = getattr(ctx, "store", None)
    return all_of(*(_text_or_similar(term, store) for term in dict.fromkeys(v.lower() for v in value)))


def _text_or_similar(term: str, store: Any) -> Clause:
    similar = [ox.NamedNode(k) for k, _ in similar_keywords(store, term)[:3]] if store is not None else []
    text = _text_fast(term)
    return Clause(
        _events_with(bind(_event_text(_contains("?_t")) + " UNION { VALUES ?_k { $k } ?e schema:keywords ?_k . }",
                          q=_str(term), k=similar)),
        fast=text and (lambda ix: text(ix) | ix.has("keywords", [k.value for k in similar])),
    )


def _free_text(value: str, ctx: Context, name: str) -> Clause:
    """Keywords more than 0.2 similar to the value, most similar first. Without the store (no
    similarity figures) it falls back to a case-insensitive substring of the name."""
    store = getattr(ctx, "store", None)
    if store is None:
        return Clause(bind("FILTER EXISTS { ?e schema:name ?_t . FILTER(CONTAINS(LCASE(STR(?_t)), $q)) }",
                           q=_str(value.lower())))
    scored = similar_keywords(store, value)
    rows = " ".join(f"({ox.NamedNode(k)} {_dbl(s)})" for k, s in scored)
    return Clause(
        bind("FILTER EXISTS { VALUES ?_k { $k } FILTER(?_k = ?e) }", k=[ox.NamedNode(k) for k, _ in scored]),
        order=(Order("?simile", f"VALUES (?e ?simile) {{ {rows} }}", descending=True),),
    )


def _dbl(value: float) -> str:
    return str(ox.Literal(repr(float(value)), datatype=XSD.double))


# -- price, language, ages ------------------------------------------------------------------
FREE_OFFER = "?_o schema:isAccessibleForFree true . ?e schema:offers ?_o ."
HAS_OFFER = "?e schema:offers ?_o"


def _is_free(value: bool, ctx: Context, name: str) -> Clause:
    free = _events_with(FREE_OFFER)
    if value:
        return Clause(free, fast=lambda ix: ix.set("free"))
    # Deliberate difference: events that have pricing data and no free offer.
    return Clause(f"FILTER EXISTS {{ {HAS_OFFER} }}\n  MINUS {free}", fast=lambda ix: ix.set("offers") & ~ix.set("free"))


TRANSLATED = ONGOING_TEXT  # one extraction gives the side index both the texts and their languages


def _translation(languages: list[str]) -> Clause:
    tags = [rdf_lang(lang.lower()) for lang in languages if lang.lower() in LANGUAGES]
    return Clause(
        bind(f"{{ ?e {'|'.join(TRANSLATED)} ?_t . VALUES ?_tag {{ $tags }} FILTER(LCASE(LANG(?_t)) = ?_tag) }}",
             tags=[_str(t) for t in tags]),
        fast=lambda ix: ix.has("translation", tags),
    )


def _in_language(languages: list[str], ctx: Context) -> Clause:
    iris = _iris("language", languages, ctx)
    return Clause(bind("{ ?e schema:inLanguage ?_l . VALUES ?_l { $ls } }", ls=iris),
                  fast=lambda ix: ix.has("in_language", [i.value for i in iris]))


def _language(value: list[str], ctx: Context, name: str) -> Clause:
    parts = {"in_language": [_in_language(value, ctx)], "translation": [_translation(value)]}.get(
        name, [_in_language(value, ctx), _translation(value)])
    return Clause(f"FILTER EXISTS {{ {' UNION '.join(p.pattern for p in parts)} }}",
                  fast=lambda ix: reduce(operator.or_, (p.fast(ix) for p in parts)))


# Comparisons of one number with the parameter's value: audience ages and attendee capacities.
_COMPARISONS = {
    "audience_min_age_lt": ("le:audienceMinAge", "<="),
    "audience_min_age": ("le:audienceMinAge", "<="),
    "audience_min_age_gt": ("le:audienceMinAge", ">="),
    "audience_max_age_lt": ("le:audienceMaxAge", "<="),
    "audience_max_age_gt": ("le:audienceMaxAge", ">="),
    "audience_max_age": ("le:audienceMaxAge", ">="),
    "maximum_attendee_capacity_gte": ("schema:maximumAttendeeCapacity", ">="),
    "maximum_attendee_capacity_lte": ("schema:maximumAttendeeCapacity", "<="),
    "minimum_attendee_capacity_gte": ("le:minimumAttendeeCapacity", ">="),
    "minimum_attendee_capacity_lte": ("le:minimumAttendeeCapacity", "<="),
}


# The side index's number columns of those predicates.
_NUMBER_COLUMNS = {"le:audienceMinAge": "min_age", "le:audienceMaxAge": "max_age"}


def _compare(value: int | float, ctx: Context, name: str) -> Clause:
    predicate, op = _COMPARISONS[name]
    number = _int(value) if isinstance(value, int) else ox.Literal(repr(value), datatype=XSD.double)
    key = _NUMBER_COLUMNS.get(predicate)
    return Clause(bind(f"FILTER EXISTS {{ ?e {predicate} ?_n . FILTER(?_n {op} $n) }}", n=number),
                  fast=key and (lambda ix: _compared(ix.column(key), op, value)))


def _suitable_for(value: list[int], ctx: Context, name: str) -> Clause:
    lower, upper = min(value), max(value)

    def fast(ix: Any) -> Any:
        low, high = ix.column("min_age"), ix.column("max_age")
        return ~_compared(low, ">", lower) & ~_compared(high, "<", upper) & (low.present | high.present)

    return Clause(bind(
        "FILTER NOT EXISTS { ?e le:audienceMinAge ?_a . FILTER(?_a > $lower) }\n"
        "  FILTER NOT EXISTS { ?e le:audienceMaxAge ?_a . FILTER(?_a < $upper) }\n"
        "  FILTER(EXISTS { ?e le:audienceMinAge ?_a } || EXISTS { ?e le:audienceMaxAge ?_a })",
        lower=_int(lower), upper=_int(upper),
    ), fast=fast)


# -- status and hierarchy -----------------------------------------------------------------------
EVENT_STATUSES = {s.lower(): s for s in ("EventScheduled", "EventRescheduled", "EventCancelled", "EventPostponed")}


def _event_status(value: list[str], ctx: Context, name: str) -> Clause:
    statuses = [SCHEMA[EVENT_STATUSES[v.lower()]] for v in value if v.lower() in EVENT_STATUSES]
    return Clause(bind("FILTER EXISTS { ?e schema:eventStatus ?_st . VALUES ?_st { $st } }", st=statuses),
                  fast=lambda ix: ix.has("event_status", [s.value for s in statuses]))


def _none_or(values: list[str]) -> tuple[bool, list[str]]:
    none = any(v.lower() in ("none", "null") for v in values)
    return none, [v for v in values if v.lower() not in ("none", "null")]


def _super_event_type(value: list[str], ctx: Context, name: str) -> Clause:
    none, types = _none_or(value)
    parts = [bind("EXISTS { ?e le:superEventType ?_x . VALUES ?_x { $t } }", t=[_str(t) for t in types])]
    if none:
        parts.append("NOT EXISTS { ?e le:superEventType ?_y }")

    def fast(ix: Any) -> Any:
        typed = ix.has("super_event_type", types)
        return typed | ~ix.has_any("super_event_type") if none else typed

    return Clause(f"FILTER({' || '.join(parts)})", fast=fast)


def _super_event(value: list[str], ctx: Context, name: str) -> Clause:
    none, ids = _none_or(value)
    parts = [bind("EXISTS { ?e schema:superEvent ?_x . VALUES ?_x { $s } }", s=_iris("event", ids, ctx))]
    if none:
        parts.append("NOT EXISTS { ?e schema:superEvent ?_y }")
    return Clause(f"FILTER({' || '.join(parts)})")


def _recurring(value: str, ctx: Context, name: str) -> Clause:
    if value == "super":
        return Clause('FILTER EXISTS { ?e le:superEventType "recurring" }')
    return Clause('FILTER NOT EXISTS { ?e le:superEventType "recurring" }')


# -- organizations --------------------------------------------------------------------------------
ORG_DOWN = "(schema:subOrganization|^schema:parentOrganization)"


def _publisher_ancestor(value: list[str], ctx: Context, name: str) -> Clause:
    # The organizations and all their descendants, each also under the id it replaced or was
    # replaced by. Each path starts from a given organization (a bound start, which is fast).
    branches = " UNION ".join(
        f"{{ {org} {ORG_DOWN}*/(le:replacedBy|^le:replacedBy)? ?_o }}"
        for org in dict.fromkeys(_iris("organization", value, ctx))
    )
    return _published_by(branches)


ORGANIZATION_IDS = "SELECT ?_o ?_id WHERE { ?_o a schema:Organization ; schema:identifier ?_id }"


def _published_by(organizations: str, ids: list[str] = ()) -> Clause:
    """Events whose publisher is one of ``ids`` or the id of an organization the group
    ``organizations`` binds to ``?_o``. The organizations go in a nested sub-select so that they
    are found before their ids are joined; the side index asks the store for the same ones."""
    of_organizations = f"{{ SELECT DISTINCT ?_o WHERE {{ {organizations} }} }} ?_o schema:identifier ?_id ."
    group = bind(f"{{ VALUES ?_id {{ $ids }} }} UNION {{ {of_organizations} }}", ids=[_str(i) for i in ids]) if ids \
        else of_organizations

    def fast(ix: Any) -> Any:
        found = set(ix.lookup(f"SELECT DISTINCT ?_o WHERE {{ {organizations} }}"))
        return ix.has("publisher", [*ids, *(r["_id"] for r in table(ix.store, ORGANIZATION_IDS) if r["_o"] in found)])

    return Clause(_events_with(f"{group} ?e schema:publisher ?_id ."), fast=fast)


def _organization_tree(value: str, ctx: Context, name: str) -> Clause:
    path = f"{ORG_DOWN}+" if name == "parent" else f"^{ORG_DOWN}+"
    # A sub-select walks the path once from the bound organization (per candidate it is a walk each).
    return Clause(bind(_events_with(f"$o {path} ?e ."), o=ox.NamedNode(ctx.iris.entity("organization", value))))


def _dissolved(value: bool, ctx: Context, name: str) -> Clause:
    today = ox.Literal(ctx.now.astimezone(HELSINKI).date().isoformat(), datatype=XSD.date)
    dissolved = bind("EXISTS { ?e schema:dissolutionDate ?_dd . FILTER(?_dd <= $today) }", today=today)
    return Clause(f"FILTER({'' if value else '!'}{dissolved})")


def _data_source_not(value: list[str], ctx: Context, name: str) -> Clause:
    return Clause(bind("FILTER NOT EXISTS { ?e le:dataSource ?_ds . VALUES ?_ds { $ds } }", ds=[_str(v) for v in value]),
                  fast=lambda ix: ~ix.has("data_source", value))


# -- registrations, capacity --------------------------------------------------------------------
def _registration(value: bool, ctx: Context, name: str) -> Clause:
    return Clause(f"FILTER {'' if value else 'NOT '}EXISTS {{ ?e le:registration ?_r }}")


def _effective(var: str, predicate: str) -> str:
    """Bind ``var`` to the registration's value of ``predicate``, else the event's own (older
    Linked Courses data kept enrolment times and capacities on the event)."""
    return (f"OPTIONAL {{ ?e le:registration ?{var}_r . ?{var}_r {predicate} ?{var}_reg }} "
            f"OPTIONAL {{ ?e {predicate} ?{var}_own }} BIND(COALESCE(?{var}_reg, ?{var}_own) AS ?{var})")


def _enrolment_open(value: bool, ctx: Context, name: str) -> Clause:
    """Enrolment has not ended and there is room: remaining attendee capacity >= 1 (or, with the
    waiting list, remaining waiting-list capacity >= 1); an unknown capacity is unlimited."""
    if not value:
        return Clause()
    room = "FILTER(?_rc < 1)" if name == "enrolment_open" else (
        f"{_effective('_rw', 'le:remainingWaitingListCapacity')} FILTER(?_rc < 1 && BOUND(?_rw) && ?_rw < 1)")
    return Clause(bind(
        f"FILTER EXISTS {{ {_effective('_ee', 'le:enrolmentEndTime')} FILTER(BOUND(?_ee) && ?_ee >= $now) }}\n"
        f"  FILTER NOT EXISTS {{ {_effective('_rc', 'le:remainingAttendeeCapacity')} {room} }}",
        now=_dt(ctx.now),
    ))


def _remaining(value: Any, ctx: Context, name: str) -> Clause:
    """A registration's remaining attendee or waiting-list capacity (the event's own value for
    older data). ``__isnull=true`` also matches events without a registration, as the original."""
    predicate = "le:remainingAttendeeCapacity" if "attendee" in name else "le:remainingWaitingListCapacity"
    if name.endswith("__isnull"):
        return Clause(f"FILTER {'NOT ' if value else ''}EXISTS {{ {_effective('_rc', predicate)} FILTER(BOUND(?_rc)) }}")
    return Clause(bind(f"FILTER EXISTS {{ {_effective('_rc', predicate)} FILTER(?_rc >= $n) }}", n=_int(value)))


def _enrolment_open_on(value: parse.When, ctx: Context, name: str) -> Clause:
    # The registration's times are preferred over the event's; a missing start means since ever
    # and a missing end means for ever.
    t = _dt(value.resolve(ctx.now, end=False))
    return Clause(bind(
        f"FILTER NOT EXISTS {{ {_effective('_es', 'le:enrolmentStartTime')} FILTER(?_es > $t) }}\n"
        f"  FILTER NOT EXISTS {{ {_effective('_ee', 'le:enrolmentEndTime')} FILTER(?_ee < $t) }}",
        t=t,
    ))


# -- authenticated views ----------------------------------------------------------------------------
def _editable(identity: Identity) -> str:
    """Events the identity may edit: publisher among its admin organizations, or a draft of an
    organization it is a regular member of (superusers edit everything)."""
    if identity.superuser:
        return "true"
    admin = bind("EXISTS { ?e schema:publisher ?_pub . VALUES ?_pub { $orgs } }",
                 orgs=[_str(o) for o in sorted(identity.admin_organizations)])
    member = bind('EXISTS { ?e schema:publisher ?_pub . VALUES ?_pub { $orgs } ?e le:publicationStatus "draft" }',
                  orgs=[_str(o) for o in sorted(identity.member_organizations)])
    return f"({admin} || {member})"


# In the public graph. That is the store's default graph, which an admin query unites with the
# restricted graph and so cannot name: ask the placement rules of ld.rdf.record_nquads instead. A
# record's type is in the restricted graph only when the record is not public, and a deleted
# record leaves its type in the public graph too, as a tombstone.
PUBLISHED = f"(NOT EXISTS {{ GRAPH {GRAPH.restricted} {{ ?e a ?_type }} }} || EXISTS {{ ?e le:deleted true }})"


def _visible(ctx: Context) -> str:
    """Which events of the restricted graph a request may see, besides the published ones: for
    ``show_all``/``admin_user``, the events the user may edit."""
    parts = [PUBLISHED]
    if _admin_view(ctx) is not None:
        parts.append(_editable(ctx.identity))
    return f"FILTER({' || '.join(parts)})"


def _admin_view(ctx: Context) -> str | None:
    """Which authenticated view the request asks for: ``admin_user``, ``show_all``, ``created_by``
    or None. Each also shows the drafts the user may edit."""
    if not ctx.identity.authenticated:
        return None
    for name in ("admin_user", "show_all", "created_by"):
        try:
            if name in ctx.params and parse.boolean(ctx.params[name]):
                return name
        except ValueError:
            pass
    return None


def _show_all(value: bool, ctx: Context, name: str) -> Clause:
    if not value or not ctx.identity.authenticated or _admin_view(ctx) == "admin_user":
        return Clause()  # anonymous: public events only; admin_user narrows further
    return Clause(_visible(ctx), admin=True)


def _admin_user(value: bool, ctx: Context, name: str) -> Clause:
    if "registration_admin_user" in ctx.params:
        raise ValueError("supply either admin_user or registration_admin_user, not both")
    if not value:
        return Clause()
    if not ctx.identity.authenticated:
        return Clause(NOTHING)
    return Clause(f"FILTER({_editable(ctx.identity)})\n  {_visible(ctx)}", admin=True)


def _publication_status(value: str, ctx: Context, name: str) -> Clause:
    if _admin_view(ctx) is None:
        # Without show_all/admin_user only public events are visible.
        return Clause() if value == "public" else Clause(NOTHING)
    if value == "draft":
        return Clause('FILTER EXISTS { ?e le:publicationStatus "draft" }\n  ' + _visible(ctx), admin=True)
    return Clause('FILTER NOT EXISTS { ?e le:publicationStatus ?_ps . FILTER(?_ps != "public") }\n  ' + _visible(ctx),
                  admin=True)


def _created_by(value: bool, ctx: Context, name: str) -> Clause:
    if not value:
        return Clause()
    if not ctx.identity.authenticated:
        return Clause(NOTHING)
    return Clause(bind("FILTER EXISTS { ?e le:createdBy $u }", u=_str(ctx.identity.user)) + "\n  " + _visible(ctx),
                  admin=True)


# -- ongoing text search (local / internet / all) ------------------------------------------------
_REGEX_META = set("\\.+*?()|[]{}^$")


def _regex_escape(text: str) -> str:
    return "".join("\\" + c if c in _REGEX_META else c for c in text)


# Any character but whitespace (as str.split sees it; all of it is below U+3001). Spelled out:
# a Unicode class such as \S or \w repeated in every alternative exceeds the store's regex size limit.
_TYPO = "[^" + "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "]"


def fuzzy_word(term: str) -> str:
    """A regular expression matching ``term`` as a whole word; a term of 8 or more characters
    also matches with one typo (one character substituted, dropped or added). A typo is never
    whitespace, so a term without whitespace matches inside one token (see ld.tokens).

    >>> fuzzy_word("lapset")
    '\\\\b(?:lapset)\\\\b'
    >>> import re; bool(re.search(fuzzy_word("musiiikki"), "vanha musiikki", re.I))
    True
    """
    t = term.strip().lower()
    alternatives = [_regex_escape(t)]
    if len(t) >= 8:
        e = _regex_escape
        alternatives += [e(t[:i]) + _TYPO + e(t[i + 1:]) for i in range(len(t))]
        alternatives += [e(t[:i]) + e(t[i + 1:]) for i in range(len(t))]
        alternatives += [e(t[:i]) + _TYPO + e(t[i:]) for i in range(len(t) + 1)]
    return "\\b(?:" + "|".join(dict.fromkeys(alternatives)) + ")\\b"


def _matching_term(terms: list[str]) -> Clause:
    """Events whose name or descriptions, or one of whose keywords' names, have any of the terms
    as a (fuzzy) word. The side index searches the events' own texts by token and asks the store
    for the keywords."""
    regexes = [fuzzy_word(t) for t in terms]
    condition = "FILTER(" + " || ".join(f'REGEX(STR(?_t), {_str(r)}, "i")' for r in regexes) + ")"
    keywords = f"?_k a schema:DefinedTerm ; schema:name ?_t . {condition}"

    def fast(ix: Any) -> Any:
        regex = re.compile("|".join(regexes), re.IGNORECASE)
        named = list({r["_k"] for r in table(ix.store, KEYWORD_NAMES) if regex.search(r["_t"])})
        return ix.mask(ix.text("own").matching(regex)) | ix.has("keywords", named) | ix.has("audience", named)

    return Clause(_events_with(
        f"{{ ?e a schema:Event ; {'|'.join(ONGOING_TEXT)} ?_t . {condition} }} UNION "
        f"{{ {keywords} ?e {KEYWORD_LINKS} ?_k . }}"
    ), fast=fast if all(TokenIndex.searchable(t.strip()) for t in terms) else None)


LOCAL_PLACES = bind("?_ld le:ocdId ?_lo . FILTER(STRENDS(?_lo, $muni)) ?_lp le:division ?_ld .", muni=_str(geo.OCD_MUNI))
LOCAL = f"{LOCAL_PLACES} ?e schema:location ?_lp ."
LOCAL_PLACE_LIST = f"SELECT DISTINCT ?_lp WHERE {{ {LOCAL_PLACES} }}"
INTERNET = '?e schema:location ?_ip . FILTER(STRENDS(STR(?_ip), "internet/"))'
_WHERE = {"local": _events_with(LOCAL), "internet": _events_with(INTERNET),
          "all": _events_with(f"{{ {LOCAL} }} UNION {{ {INTERNET} }}")}


def _ongoing_where(kind: str, ctx: Context) -> Clause:
    """Not ended (end >= now) and local (a division of the place is the municipality's),
    internet (the place id ends with 'internet') or either."""
    def fast(ix: Any) -> Any:
        places = [p for p in ix.values("location") if p.endswith("internet/")] if kind != "local" else []
        if kind != "internet":
            places += [r["_lp"] for r in table(ix.store, LOCAL_PLACE_LIST)]
        return ix.has("location", places) & _compared(ix.column("end"), ">=", micros(ctx.now))

    return Clause(bind(f"FILTER EXISTS {{ ?e lei:end ?_oe . FILTER(?_oe >= $now) }}\n  {_WHERE[kind]}", now=_dt(ctx.now)),
                  fast=fast)


def _ongoing_text(value: list[str], ctx: Context, name: str) -> Clause:
    kind, _, mode = name.partition("_ongoing_")
    terms = list(dict.fromkeys(value))
    # Deliberate difference: AND means every term somewhere in the texts, not adjacent terms.
    matches = [_matching_term([t]) for t in terms] if mode == "AND" else [_matching_term(terms)]
    return all_of(_ongoing_where(kind, ctx), *matches)


def _all_ongoing(ctx: Context, name: str) -> Clause:
    return _ongoing_where("all", ctx)


def _ongoing(value: bool, ctx: Context, name: str) -> Clause:
    op = ">" if value else "<="
    return Clause(bind(f"FILTER EXISTS {{ ?e lei:end ?_end . FILTER(?_end {op} $now) }}", now=_dt(ctx.now)),
                  fast=lambda ix: _compared(ix.column("end"), op, micros(ctx.now)))


def _registration_admin_user(value: bool, ctx: Context, name: str) -> Clause:
    # Events with a registration whose publisher the user administers registrations of (or is an
    # admin of). Registrations themselves are not in the store yet.
    if not value:
        return Clause()
    identity = ctx.identity
    if not identity.authenticated:
        return Clause(NOTHING)
    if identity.superuser:
        return Clause("FILTER EXISTS { ?e le:registration ?_r }")
    orgs = sorted(identity.registration_admin_organizations | identity.admin_organizations)
    return Clause(bind("FILTER EXISTS { ?e le:registration ?_r ; schema:publisher ?_pub . VALUES ?_pub { $orgs } }",
                       orgs=[_str(o) for o in orgs]))


# -- hide_recurring_children_sub_events -------------------------------------------------------------
RECURRING_CHILD = '?_s le:superEventType "recurring" . ?e schema:superEvent ?_s'
RECURRING_CHILDREN = _events_with(RECURRING_CHILD)
# Parameters that keep their own clause when the sub-event view folds the others into one.
_NOT_FOLDED = frozenset({"sort", "hide_recurring_children", "hide_recurring_children_sub_events"})


def _sub_events_view(ctx: Context) -> bool:
    """hide_recurring_children=true and hide_recurring_children_sub_events=true together."""
    try:
        return all(parse.boolean(ctx.params.get(p, "false"))
                   for p in ("hide_recurring_children", "hide_recurring_children_sub_events"))
    except ValueError:
        return False


def _hide_recurring_children_sub_events(value: bool, ctx: Context, name: str) -> Clause:
    """The union of (a) the events matching every other filter, recurring children hidden, and
    (b) the recurring super events of the events matching every other filter. The other
    parameters' clauses are folded in here (their own entries then add only their order and
    dataset, see ``_foldable``)."""
    if not _sub_events_view(ctx):
        return Clause()
    clauses = []
    for param, raw in ctx.params.items():
        entry = _UNFOLDED.get((ctx.resource.name, param)) or _unfolded_pattern_entry(ctx.resource.name, param)
        if entry is None or param in _NOT_FOLDED:
            continue
        try:
            clauses.append(entry.apply(entry.parse(raw), ctx, param))
        except (ValueError, LdError):
            continue  # reported by the parameter's own entry
    cancelled = frozenset().union(*(c.cancels for c in clauses))
    defaults = [d(ctx).pattern for key, d in DEFAULTS.get(ctx.resource.name, {}).items() if key not in cancelled]
    matching = "\n    ".join(["?e a schema:Event .", *defaults, *(c.pattern for c in clauses if c.pattern)])
    return Clause(
        f"{{ {{ SELECT DISTINCT ?e WHERE {{\n    {matching}\n  }} }} MINUS {RECURRING_CHILDREN} }}\n"
        "  UNION\n"
        "  { SELECT (?_parent AS ?e) WHERE { { SELECT DISTINCT ?_parent WHERE {\n"
        f"    {matching}\n"
        '    ?e schema:superEvent ?_parent . ?_parent le:superEventType "recurring" .\n'
        "  } } } }",
        admin=any(c.admin for c in clauses),
    )


def _foldable(entry: Filter) -> Filter:
    """The entry, whose clause is folded into hide_recurring_children_sub_events' when that view is on."""
    if entry.name in _NOT_FOLDED:
        return entry

    def apply(value: Any, ctx: Context, name: str) -> Clause:
        clause = entry.apply(value, ctx, name)
        if ctx.resource.name == "event" and _sub_events_view(ctx):
            return Clause(cancels=clause.cancels, admin=clause.admin, order=clause.order)
        return clause

    return replace(entry, apply=apply)


# -- other endpoints ------------------------------------------------------------------------------
def _upcoming(ctx: Context, name: str) -> Clause:
    link = "schema:location" if ctx.resource.name == "place" else KEYWORD_LINKS
    return Clause(
        bind(_events_with(f"?_ev lei:end ?_end . FILTER(?_end > $now) ?_ev {link} ?e ."), now=_dt(ctx.now)),
        cancels=frozenset({"n_events", "not_deleted", "not_deprecated"}),
    )


# Place and keyword lists read the public graph, where a deleted event is a tombstone without
# location or keywords: counting the events that link to an entity needs no test for deletion.
def _has_events(*links: str) -> Callable[[Context], Clause]:
    # One EXISTS per link: the store looks each up from the bound ?e, which it does not for an
    # alternative path (twice the time of a keyword list at 200k events).
    return lambda ctx: Clause("FILTER(" + " || ".join(f"EXISTS {{ ?_ev {link} ?e }}" for link in links) + ")")


def _data_source(value: list[str], ctx: Context, name: str) -> Clause:
    # Deliberate difference: the original lifts the exclusion of private data sources here; ours
    # keep their events in the restricted graph, seen only in the views of those who may edit them.
    values = value if ctx.resource.name == "event" else [v.lower() for v in value]
    return Clause(bind("FILTER EXISTS { ?e le:dataSource ?_ds . VALUES ?_ds { $ds } }", ds=[_str(v) for v in values]),
                  fast=lambda ix: ix.has("data_source", values))


def _publisher(value: list[str], ctx: Context, name: str) -> Clause:
    # The organizations, or ones they replaced or were replaced by (an organization's
    # replaced_by holds the replacement's IRI). Nested sub-selects find the few organizations
    # first; the events are then joined on their publisher id.
    orgs = value if ctx.resource.name == "event" else [v.lower() for v in value]
    return _published_by(bind("VALUES ?_r { $iris } { ?_o le:replacedBy ?_r } UNION { ?_r le:replacedBy ?_o }",
                              iris=_iris("organization", orgs, ctx)), orgs)


def _service_language(value: bool, ctx: Context, name: str) -> Clause:
    return Clause(bind("FILTER EXISTS { ?e le:serviceLanguage $v }", v=ox.Literal("true" if value else "false", datatype=XSD.boolean)))


_MAX_INT = '"9223372036854775807"^^xsd:integer'
_MAX_TIME = '"9999-12-31T23:59:59Z"^^xsd:dateTime'


def _n_events(link: str) -> str:
    """Binds ?n_events (the events that refer to ?e, see _has_events) for sorting; unbound means 0."""
    return f"{{ SELECT ?e (COUNT(DISTINCT ?_nev) AS ?n_events) WHERE {{ ?_nev {link} ?e }} GROUP BY ?e }}"


# The ORDER BY expression of n_events; the reader takes the counts from the side index instead.
N_EVENTS = "COALESCE(?n_events, 0)"


def _null_largest(var: str, sentinel: str) -> str:
    return f"COALESCE({var}, {sentinel})"


# sort key -> (variable or expression, pattern binding it, nulls last in both directions)
SORTS: dict[str, dict[str, tuple[str, str, bool]]] = {
    "event": {
        "last_modified_time": ("?modified", "?e schema:dateModified ?modified", False),
        "start_time": ("?start", "?e lei:start ?start", False),
        "end_time": ("?end", "?e lei:end ?end", False),
        "name": ("?name", '?e schema:name ?name FILTER(LANG(?name) = "fi")', False),
        # PostgreSQL order for the rest: NULL sorts as the largest value (last ascending, first descending).
        "duration": (_null_largest("?duration", '"P999999999D"^^xsd:dayTimeDuration'),
                     "?e lei:start ?dur_start ; lei:end ?dur_end BIND(?dur_end - ?dur_start AS ?duration)", False),
        "maximum_attendee_capacity": (_null_largest("?max_capacity", _MAX_INT),
                                      "?e schema:maximumAttendeeCapacity ?max_capacity", False),
        "minimum_attendee_capacity": (_null_largest("?min_capacity", _MAX_INT),
                                      "?e le:minimumAttendeeCapacity ?min_capacity", False),
        "enrolment_start_time": (_null_largest("?enrolment_start_time", _MAX_TIME),
                                 "?e le:enrolmentStartTime ?enrolment_start_time", False),
        "enrolment_end_time": (_null_largest("?enrolment_end_time", _MAX_TIME),
                               "?e le:enrolmentEndTime ?enrolment_end_time", False),
        "registration__enrolment_start_time": (
            _null_largest("?registration_enrolment_start", _MAX_TIME),
            "?e le:registration ?_sr . ?_sr le:enrolmentStartTime ?registration_enrolment_start", False),
        "registration__enrolment_end_time": (
            _null_largest("?registration_enrolment_end", _MAX_TIME),
            "?e le:registration ?_sr . ?_sr le:enrolmentEndTime ?registration_enrolment_end", False),
        # The registration's time is preferred; events with neither go last in both directions.
        "enrolment_start": ("?enrolment_start", _effective("enrolment_start", "le:enrolmentStartTime"), True),
        "enrolment_end": ("?enrolment_end", _effective("enrolment_end", "le:enrolmentEndTime"), True),
    },
    "place": {"id": ("?id", "?e schema:identifier ?id", False), "name": ("?name", '?e schema:name ?name FILTER(LANG(?name) = "fi")', False),
              "n_events": (N_EVENTS, _n_events("schema:location"), False),
              "data_source": ("?data_source", "?e le:dataSource ?data_source", False),
              "street_address": ("?street_address", '?e schema:streetAddress ?street_address FILTER(LANG(?street_address) = "fi")', False),
              "postal_code": ("?postal_code", "?e schema:postalCode ?postal_code", False)},
    "keyword": {"id": ("?id", "?e schema:identifier ?id", False), "name": ("?name", '?e schema:name ?name FILTER(LANG(?name) = "fi")', False),
                "n_events": (N_EVENTS, _n_events(KEYWORD_LINKS), False),
                "data_source": ("?data_source", "?e le:dataSource ?data_source", False)},
    "keyword_set": {"id": ("?id", "?e schema:identifier ?id", False), "usage": ("?usage", "?e le:usage ?usage", False),
                    "name": ("?name", '?e schema:name ?name FILTER(LANG(?name) = "fi")', False)},
    "image": {"id": ("?id", "?e schema:identifier ?id", False),
              "last_modified_time": ("?modified", "?e schema:dateModified ?modified", False),
              "name": ("?name", "?e schema:name ?name", False)},
}

def _order_key(resource: str, key: str) -> tuple[str, str]:
    var, pattern, _ = SORTS[resource][key]
    return var, pattern


DEFAULT_ORDER: dict[str, tuple[Order, ...]] = {
    "event": (Order("?modified", "?e schema:dateModified ?modified", descending=True),),
    "image": (Order("?modified", "?e schema:dateModified ?modified", descending=True),),
    # The original's defaults: places -n_events, -data_source, name; keywords -data_source, -n_events, name.
    "place": (Order(*_order_key("place", "n_events"), descending=True),
              Order(*_order_key("place", "data_source"), descending=True),
              Order(*_order_key("place", "name"))),
    "keyword": (Order(*_order_key("keyword", "data_source"), descending=True),
                Order(*_order_key("keyword", "n_events"), descending=True),
                Order(*_order_key("keyword", "name"))),
    "keyword_set": (Order("?id", "?e schema:identifier ?id"),),
    "organization": (Order("?id", "?e schema:identifier ?id"),),
    "language": (Order("?id", "?e schema:identifier ?id"),),
}

# Always-on clauses a parameter may cancel (by name); they depend on the mount for event types.
DEFAULTS: dict[str, dict[str, Callable[[Context], Clause]]] = {
    "event": {
        "listing": _event_listing,
    },
    "place": {
        "not_deleted": lambda ctx: Clause("FILTER NOT EXISTS { ?e le:deleted true }"),
        "n_events": _has_events("schema:location"),
    },
    "keyword": {
        "n_events": _has_events("schema:keywords", "schema:audience"),
        "not_deprecated": lambda ctx: Clause("FILTER NOT EXISTS { ?e le:deprecated true }"),
    },
}

# Structures made from the small tables, per write generation; made with the side index so that
# no request waits for them.
_PREPARED: dict[str, Callable[[Any], Any]] = {
    "place points": _place_points, "place tokens": _place_tokens, "keyword trigrams": _keyword_trigrams,
    **{f"{resource} labels": _labels(resource) for resource in _LABELS},
}


def _prepared(store: Any, key: str) -> Any:
    return per_generation(store, key, lambda: _PREPARED[key](store))


def _prepare(store: Any, index: Any) -> None:
    """Made with the side index, each otherwise the first request's: the tables' structures, the
    orders of every event by each indexed sort (~0.2 s at a million) and their times of day."""
    for key in _PREPARED:
        _prepared(store, key)
    for column in INDEXED_ORDERS.values():
        for descending in (False, True):
            index.ranked(column, descending)
    for _, column, _ in _TIME_OF_DAY.values():
        index.seconds_of_day(column)


# ORDER BY variables the side index can order by: its instant columns of the same values.
INDEXED_ORDERS = {"?modified": "modified", "?start": "start", "?end": "end"}

# What the side index (ld.sideindex) extracts for the fast twins above, with their own patterns.
INDEX = IndexSpec(
    terms={
        "listing": "?e lei:listing ?v",
        "keywords": "?e schema:keywords ?v",
        "audience": "?e schema:audience ?v",
        "location": "?e schema:location ?v",
        "in_language": "?e schema:inLanguage ?v",
        "event_status": "?e schema:eventStatus ?v",
        "super_event_type": "?e le:superEventType ?v",
        "publisher": "?e schema:publisher ?v",
        "data_source": "?e le:dataSource ?v",
    },
    instants={"start": "?e lei:start ?v", "end": "?e lei:end ?v", "modified": "?e schema:dateModified ?v"},
    numbers={key: f"?e {predicate} ?v" for predicate, key in _NUMBER_COLUMNS.items()},
    sets={
        "start_date_time": "?e schema:startDate ?_sd . FILTER(DATATYPE(?_sd) = xsd:dateTime)",
        "end_date_time": "?e schema:endDate ?_ed . FILTER(DATATYPE(?_ed) = xsd:dateTime)",
        "free": FREE_OFFER,
        "offers": HAS_OFFER,
        "recurring_child": RECURRING_CHILD,
    },
    texts={"own": f"?e {'|'.join(ONGOING_TEXT)} ?v", "more": f"?e {'|'.join(EVENT_TEXT[len(ONGOING_TEXT):])} ?v"},
    languages={"translation": "own"},  # LCASE(LANG(?_t)) of TRANSLATED
    tables=(PLACE_TEXTS, KEYWORD_NAMES, ORGANIZATION_IDS, GEOMETRIES, LOCAL_PLACE_LIST),
    prepare=_prepare,
)

ALL = tuple(RESOURCES)

FILTERS: tuple[Filter, ...] = (
    # -- ongoing, internet --------------------------------------------------------------------
    *(
        Filter(
            f"{kind}_ongoing_{mode}",
            parse.csv_of(str),
            _ongoing_text,
            f"{what} events that have not ended, with {'every' if mode == 'AND' else 'any'} one of these "
            "comma-separated terms as a whole word (case-insensitive; terms of 8+ characters tolerate one typo) "
            "in their name, descriptions or keyword names, in any language.",
            f"event/?{kind}_ongoing_{mode}=lapsi,musiikki",
        )
        for kind, what in (("local", "Local (Helsinki)"), ("internet", "Internet"), ("all", "Local and internet"))
        for mode in ("AND", "OR")
    ),
    Filter(
        "all_ongoing",
        parse.boolean,
        _flag(_all_ongoing),
        "true: local (Helsinki) and internet events that have not ended; false: no filter.",
        "event/?all_ongoing=true",
    ),
    Filter(
        "ongoing",
        parse.boolean,
        _ongoing,
        "true: events that have not ended (end time after now); false: events that have ended.",
        "event/?ongoing=true",
    ),
    Filter(
        "internet_based",
        parse.boolean,
        _flag(_internet_based),
        "true: only events whose location is an internet place (its id contains 'internet'); false: no filter.",
        "event/?internet_based=true",
    ),
    # -- time ---------------------------------------------------------------------------------
    Filter(
        "start",
        parse.when,
        _start,
        "Events that have not ended by this time, or start at or after it. ISO 8601 date-time (naive = "
        "Helsinki time), a date (00:00 Helsinki), 'today' (start of the local day) or 'now'. An event with a "
        "start time but no end time no longer matches once it has started; postponed events match unless end is given.",
        "event/?start=today&end=2020-12-31",
    ),
    Filter(
        "end",
        parse.when,
        _end,
        "Events that start at or before this time. A date (or 'today') means the next local midnight, "
        "so end=2020-12-31 includes the whole day. Postponed events never match.",
        "event/?start=now&end=today",
    ),
    Filter(
        "days",
        lambda v: parse.integer(v, minimum=1),
        _days,
        "Events between today and N days ahead: start=<today's UTC date>&end=<today + N>; "
        "cannot be combined with start or end.",
        "event/?days=7",
    ),
    *(
        Filter(
            name,
            parse.time_of_day,
            _time_of_day,
            f"Events {what} this local (Helsinki) time of day, inclusive: hours (16) or hours and minutes (16:30).",
            example,
        )
        for name, what, example in (
            ("starts_after", "starting at or after", "event/?starts_after=16:30&ends_before=21"),
            ("starts_before", "starting at or before", "event/?starts_before=12"),
            ("ends_after", "ending at or after", "event/?ends_after=18:00"),
            ("ends_before", "ending at or before", "event/?starts_after=16:30&ends_before=21"),
        )
    ),
    Filter(
        "min_duration",
        parse.duration,
        _duration,
        "Events lasting at least this long: seconds (86400 or 86400s), minutes (180m), hours (3h) or days (3d).",
        "event/?min_duration=3h",
    ),
    Filter(
        "max_duration",
        parse.duration,
        _duration,
        "Events lasting at most this long: seconds (86400 or 86400s), minutes (180m), hours (3h) or days (3d).",
        "event/?max_duration=3d",
    ),
    # -- place and geography --------------------------------------------------------------------
    Filter(
        "bbox",
        parse.numbers(4, "west,south,east,north (left,bottom,right,top)"),
        _bbox,
        "Events (places) whose location point is inside the box west,south,east,north, edges included; "
        "coordinates in EPSG:4326 unless srid says otherwise.",
        "event/?bbox=24.9348,60.1762,24.9681,60.1889",
        resources=("event", "place"),
    ),
    Filter(
        "location",
        parse.csv_of(str),
        template("FILTER EXISTS { ?e schema:location ?_loc . VALUES ?_loc { $values } }", term=entity_iri("place"),
                 index="location"),
        "Events at one of these places (comma-separated place ids).",
        "event/?location=tprek:28473",
    ),
    Filter(
        "division",
        parse.csv_of(str),
        _division,
        "Events (places) in one of these divisions: an OCD id, a partial one (peruspiiri:malmi) or a division "
        "name in any language (malmi), comma-separated.",
        "event/?division=malmi",
        resources=("event", "place"),
    ),
    Filter(
        "dwithin_origin",
        parse.numbers(2, "lon,lat, e.g. 24.9348,60.1762"),
        _dwithin_origin,
        "With dwithin_metres: events whose place is within that distance of this point (lon,lat; EPSG:4326 "
        "unless srid says otherwise). Either parameter alone does not filter.",
        "event/?dwithin_origin=24.9348,60.1762&dwithin_metres=1000",
        resources=("event", "place"),
    ),
    Filter(
        "dwithin_metres",
        parse.number,
        lambda value, ctx, name: Clause(),  # applied by dwithin_origin
        "With dwithin_origin: the radius in metres (a number).",
        "event/?dwithin_origin=24.9348,60.1762&dwithin_metres=1000",
        resources=("event", "place"),
    ),
    # -- keywords --------------------------------------------------------------------------------
    Filter(
        "keyword",
        parse.csv_of(str),
        _keyword_any,
        "Events with any of these keywords (in keywords or audience), comma-separated; a replaced keyword "
        "also matches its replacement.",
        "event/?keyword=yso:p4354",
    ),
    Filter(
        "keyword_OR",
        parse.csv_of(str),
        _keyword_any,
        "Same as keyword; given together with keyword, both must match.",
        "event/?keyword_OR=yso:p4354,yso:p1235",
    ),
    Filter(
        "keyword_AND",
        parse.csv_of(str),
        _keyword_all,
        "Events with all of these keywords (each in keywords or audience), comma-separated.",
        "event/?keyword_AND=yso:p4354,yso:p1235",
    ),
    Filter(
        "keyword!",
        parse.csv_of(str),
        _keyword_none,
        "Events with none of these keywords (in keywords or audience), comma-separated.",
        "event/?keyword!=yso:p4354",
    ),
    Filter(
        "keyword_set_AND",
        parse.csv_of(str),
        _keyword_set_and,
        "Events with a keyword from each of these keyword sets (comma-separated set ids); an unknown set is an error.",
        "event/?keyword_set_AND=helsinki:topics,helsinki:audiences",
    ),
    Filter(
        "keyword_set_OR",
        parse.csv_of(str),
        _keyword_set_or,
        "Events with a keyword from any of these keyword sets (comma-separated set ids); an unknown set is an error.",
        "event/?keyword_set_OR=helsinki:topics,helsinki:audiences",
    ),
    # -- modification, deletion, ids -----------------------------------------------------------------
    Filter(
        "last_modified_since",
        parse.when,
        _last_modified_since,
        "Entities modified at or after this time; a date means the start of that day in Helsinki, a naive "
        "date-time is Helsinki time. Pair with show_deleted=true for incremental sync.",
        "event/?last_modified_since=2020-04-07&show_deleted=true",
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
        "ids",
        lambda v: parse.csv_of(str)(v.strip("/")),
        template("FILTER EXISTS { ?e schema:identifier ?_id . VALUES ?_id { $values } }"),
        "Events with one of these ids (comma-separated).",
        "event/?ids=helsinki:1,helsinki:2",
    ),
    # -- status and type ---------------------------------------------------------------------------
    Filter(
        "event_status",
        parse.csv_of(str),
        _event_status,
        "Events with one of these statuses (any case): EventScheduled, EventRescheduled, EventCancelled, "
        "EventPostponed; other values match nothing.",
        "event/?event_status=EventCancelled,EventPostponed",
    ),
    Filter(
        "event_type",
        _event_types,
        lambda value, ctx, name: Clause(),  # folded into the event listing key, see _event_listing
        "Events of these types: General, Course, Volunteering (comma-separated, any case). "
        "Without it, General (Course on the Linked Courses mount).",
        "event/?event_type=General,Course",
    ),
    # -- text ------------------------------------------------------------------------------------
    Filter(
        "text",
        parse.text,
        _text,
        "Case-insensitive substring, in any language, of the event's name, descriptions, info URL, location "
        "extra info or provider, or of its place's name, description, address, info URL or telephone. "
        "Places: name or street address; keywords: name or alternative labels; images: name or alt text; "
        "keyword sets: any of the comma-separated terms in the name or id.",
        "event/?text=shostakovich",
        resources=("event", "place", "keyword", "keyword_set", "image"),
    ),
    Filter(
        "combined_text",
        parse.csv_of(str),
        _combined_text,
        "Comma-separated terms, all of which must match: each is a case-insensitive substring of the text "
        "fields searched by text, or names one of the 3 keywords most similar to it (trigram similarity).",
        "event/?combined_text=lapppset",
    ),
    Filter(
        "is_free",
        parse.boolean,
        _is_free,
        "true: events with a free offer; false: events that have offers, none of them free.",
        "event/?is_free=true",
    ),
    # -- language ----------------------------------------------------------------------------------
    Filter(
        "language",
        parse.csv_of(str),
        _language,
        "Events in one of these languages (in_language) or translated into one of them (name or a description "
        "in that language: fi, sv, en, zh_hans, ru, ar), comma-separated.",
        "event/?language=ru",
    ),
    Filter(
        "in_language",
        parse.csv_of(str),
        _language,
        "Events whose in_language has one of these languages (comma-separated language ids).",
        "event/?in_language=sv",
    ),
    Filter(
        "translation",
        parse.csv_of(str),
        _language,
        "Events with a name or description in one of these languages (fi, sv, en, zh_hans, ru, ar), comma-separated.",
        "event/?translation=sv",
    ),
    # -- audience age --------------------------------------------------------------------------
    *(
        Filter(name, parse.integer, _compare, doc, example)
        for name, doc, example in (
            ("audience_min_age_lt", "Events whose minimum audience age is at most N.", "event/?audience_min_age_lt=10"),
            ("audience_min_age_gt", "Events whose minimum audience age is at least N.", "event/?audience_min_age_gt=10"),
            ("audience_max_age_lt", "Events whose maximum audience age is at most N.", "event/?audience_max_age_lt=16"),
            ("audience_max_age_gt", "Events whose maximum audience age is at least N.", "event/?audience_max_age_gt=16"),
            ("audience_min_age", "Legacy alias of audience_min_age_lt.", "event/?audience_min_age=10"),
            ("audience_max_age", "Legacy alias of audience_max_age_gt.", "event/?audience_max_age=16"),
        )
    ),
    Filter(
        "suitable_for",
        parse.ages,
        _suitable_for,
        "Events suitable for this age or age range (one or two integers, any order): excludes events whose "
        "minimum age is above it or maximum age below it, and events without any age limits.",
        "event/?suitable_for=12,14",
    ),
    # -- organizations and data sources ---------------------------------------------------------------
    Filter(
        "publisher",
        parse.csv_of(str),
        _publisher,
        "Entities published by one of these organizations (comma-separated ids), or by an organization they "
        "replaced or were replaced by.",
        "event/?publisher=ytj:0586977-6",
        resources=("event", "image"),
    ),
    Filter(
        "publisher_ancestor",
        parse.csv_of(str),
        _publisher_ancestor,
        "Events published by these organizations or any of their sub-organizations, at any depth.",
        "event/?publisher_ancestor=ahjo:00001",
    ),
    Filter(
        "data_source",
        parse.csv_of(str),
        _data_source,
        "Only entities from these data sources (comma-separated); also shows events of private data sources.",
        "event/?data_source=helmet",
        resources=("event", "place", "keyword", "image"),
    ),
    Filter(
        "data_source!",
        parse.csv_of(str),
        _data_source_not,
        "Entities from any data source except these (comma-separated).",
        "event/?data_source!=helmet",
    ),
    # -- hierarchy ---------------------------------------------------------------------------------
    Filter(
        "super_event_type",
        parse.csv_of(str),
        _super_event_type,
        "Super events of these types (recurring, umbrella), comma-separated; none (or null) adds events that "
        "are not super events.",
        "event/?super_event_type=umbrella,none",
    ),
    Filter(
        "super_event",
        parse.csv_of(str),
        _super_event,
        "Sub-events of these super events (comma-separated event ids); none (or null) adds events without a "
        "super event.",
        "event/?super_event=linkedevents:agg-103",
    ),
    Filter(
        "recurring",
        parse.choice("super", "sub"),
        _recurring,
        "super: recurring super events; sub: all events that are not recurring super events.",
        "event/?recurring=super",
    ),
    Filter(
        "hide_super_event",
        parse.boolean,
        _flag(_fixed("FILTER NOT EXISTS { ?e le:superEventType ?_t . FILTER NOT EXISTS { ?e schema:superEvent ?_s } }")),
        "true: hides super events that are not themselves sub-events.",
        "event/?hide_super_event=true",
    ),
    Filter(
        "hide_recurring_children",
        parse.boolean,
        _flag(_fixed(f"MINUS {RECURRING_CHILDREN}", fast=lambda ix: ~ix.set("recurring_child"))),
        "true: hides the sub-events of recurring super events.",
        "event/?hide_recurring_children=true",
    ),
    Filter(
        "hide_recurring_children_sub_events",
        parse.boolean,
        _hide_recurring_children_sub_events,
        "With hide_recurring_children=true: also lists the recurring super events that have a sub-event "
        "matching all the other filters.",
        "event/?weekday=4&hide_recurring_children=true&hide_recurring_children_sub_events=true",
    ),
    Filter(
        "weekday",
        parse.weekdays,
        _weekday,
        "Events on one of these ISO weekdays (1 = Monday ... 7 = Sunday; Helsinki time), comma-separated: "
        "the event starts, ends or runs on that day, or lasts a week or more.",
        "event/?weekday=6,7",
    ),
    # -- registration and capacity ---------------------------------------------------------------
    Filter(
        "registration",
        parse.boolean,
        _registration,
        "true: events with a registration; false: events without one.",
        "event/?registration=true",
    ),
    Filter(
        "registration_admin_user",
        parse.boolean,
        _registration_admin_user,
        "true (authenticated): events with a registration you may administer; cannot be combined with admin_user.",
        "event/?registration_admin_user=true",
    ),
    *(
        Filter(
            name,
            parse.boolean,
            _enrolment_open,
            f"true: events whose registration's enrolment has not ended and that have room{extra} (an "
            "unknown capacity is unlimited); false: no filter.",
            f"event/?{name}=true",
        )
        for name, extra in (("enrolment_open", ""), ("enrolment_open_waitlist", " at the event or in its waiting list"))
    ),
    Filter(
        "enrolment_open_on",
        parse.when,
        _enrolment_open_on,
        "Events whose enrolment is open at this time (naive = Helsinki time): enrolment_start_time <= it <= "
        "enrolment_end_time, a missing bound being open.",
        "event/?enrolment_open_on=2024-02-19T12:00:00",
    ),
    *(
        Filter(name, parse.number, _compare, doc, f"event/?{name}=10")
        for name, doc in (
            ("maximum_attendee_capacity_gte", "Events whose maximum attendee capacity is at least N."),
            ("maximum_attendee_capacity_lte", "Events whose maximum attendee capacity is at most N."),
            ("minimum_attendee_capacity_gte", "Events whose minimum attendee capacity is at least N."),
            ("minimum_attendee_capacity_lte", "Events whose minimum attendee capacity is at most N."),
        )
    ),
    *(
        Filter(
            f"registration__remaining_{what}_capacity__{op}",
            parse.integer if op == "gte" else parse.boolean,
            _remaining,
            (f"Events whose remaining {what.replace('_', ' ')} capacity is at least N." if op == "gte" else
             f"true: events whose remaining {what.replace('_', ' ')} capacity is unknown (no registration "
             "included); false: events where it is known."),
            f"event/?registration__remaining_{what}_capacity__{op}={10 if op == 'gte' else 'true'}",
        )
        for what in ("attendee", "waiting_list")
        for op in ("gte", "isnull")
    ),
    # -- authenticated views -------------------------------------------------------------------
    Filter(
        "show_all",
        parse.boolean,
        _show_all,
        "true (authenticated): public events plus every event you may edit, drafts included.",
        "event/?show_all=true",
    ),
    Filter(
        "publication_status",
        parse.choice("draft", "public", lower=False),
        _publication_status,
        "draft or public: only events with this publication status (drafts need show_all or admin_user).",
        "event/?show_all=true&publication_status=draft",
    ),
    Filter(
        "admin_user",
        parse.boolean,
        _admin_user,
        "true (authenticated): only the events you may edit, drafts included; anonymous: none.",
        "event/?admin_user=true",
    ),
    Filter(
        "created_by",
        parse.boolean,
        _created_by,
        "true (authenticated): only the events you created; anonymous: none.",
        "event/?created_by=true",
    ),
    Filter(
        "sort",
        parse.csv_of(str),
        _sort,
        "Order of the results; '-' in front means descending. Default -last_modified_time.",
        "event/?sort=-end_time",
        resources=("event", "place", "keyword", "keyword_set", "image"),
    ),
    # -- place, keyword, organization and language lists -------------------------------------------
    Filter(
        "has_upcoming_events",
        parse.boolean,
        _flag(_upcoming),
        "true: only places (keywords) with events that have not ended yet, deleted (deprecated) ones included; "
        "false: no filter.",
        "place/?has_upcoming_events=true",
        resources=("place", "keyword"),
    ),
    Filter(
        "show_all_places",
        parse.boolean,
        _flag(lambda ctx, name: Clause(cancels=frozenset({"n_events"}))),
        "true: also places without events.",
        "place/?show_all_places=true",
        resources=("place",),
    ),
    Filter(
        "show_all_keywords",
        parse.boolean,
        _flag(lambda ctx, name: Clause(cancels=frozenset({"n_events"}))),
        "true: also keywords without events.",
        "keyword/?show_all_keywords=true",
        resources=("keyword",),
    ),
    Filter(
        "free_text",
        parse.text,
        _free_text,
        "Keywords whose Finnish, Swedish or English name is similar to the value (trigram similarity above "
        "0.2), most similar first.",
        "keyword/?free_text=cheeese&show_all_keywords=true",
        resources=("keyword",),
    ),
    Filter(
        "show_deprecated",
        parse.boolean,
        _flag(lambda ctx, name: Clause(cancels=frozenset({"not_deprecated"}))),
        "true: also deprecated keywords.",
        "keyword/?show_deprecated=true",
        resources=("keyword",),
    ),
    Filter(
        "child",
        str.strip,
        _organization_tree,
        "The ancestors of this organization.",
        "organization/?child=ahjo:00001",
        resources=("organization",),
    ),
    Filter(
        "parent",
        str.strip,
        _organization_tree,
        "The descendants of this organization.",
        "organization/?parent=ahjo:00001",
        resources=("organization",),
    ),
    Filter(
        "dissolved",
        parse.boolean,
        _dissolved,
        "true: organizations dissolved by today; false: those without a dissolution date or dissolving later.",
        "organization/?dissolved=false",
        resources=("organization",),
    ),
    Filter(
        "service_language",
        parse.boolean,
        _service_language,
        "true: languages in which services are offered; false: the others.",
        "language/?service_language=true",
        resources=("language",),
    ),
)

# Parameters whose name carries a number: keyword_OR_set1, local_ongoing_OR_set2 ...
PATTERN_FILTERS: tuple[tuple[str, Filter], ...] = (
    *(
        (
            f"{kind}_ongoing_OR_set",
            Filter(
                f"{kind}_ongoing_OR_setN",
                parse.csv_of(str),
                lambda value, ctx, name: _ongoing_text(value, ctx, name.split("_ongoing_")[0] + "_ongoing_OR"),
                f"{kind}_ongoing_OR_set1, {kind}_ongoing_OR_set2 ...: like {kind}_ongoing_OR, one numbered group "
                "of terms each; every group must match.",
                f"event/?{kind}_ongoing_OR_set1=lapsi,musiikki&{kind}_ongoing_OR_set2=leiri,kurssi",
            ),
        )
        for kind in ("local", "internet", "all")
    ),
    (
        "keyword_OR_set",
        Filter(
            "keyword_OR_setN",
            parse.csv_of(str),
            _keyword_or_set,
            "keyword_OR_set1, keyword_OR_set2 ...: events with any keyword of each numbered set (sets are ANDed).",
            "event/?keyword_OR_set1=yso:p1235,yso:p1947&keyword_OR_set2=yso:p14004,yso:p11185",
        ),
    ),
)

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

_UNFOLDED: dict[tuple[str, str], Filter] = {(resource, f.name): f for f in FILTERS for resource in f.resources}
_UNFOLDED_PATTERNS = PATTERN_FILTERS


def _unfolded_pattern_entry(resource: str, name: str) -> Filter | None:
    for prefix, entry in _UNFOLDED_PATTERNS:
        if entry.applies_to(resource) and name.startswith(prefix) and name[len(prefix):].isdigit():
            return entry
    return None


FILTERS = tuple(_foldable(f) for f in FILTERS)
PATTERN_FILTERS = tuple((prefix, _foldable(f)) for prefix, f in PATTERN_FILTERS)
FILTERS_BY_RESOURCE: dict[tuple[str, str], Filter] = {
    (resource, f.name): f for f in FILTERS for resource in f.resources
}
