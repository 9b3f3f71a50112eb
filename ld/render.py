"""Triples -> the exact Linked Events JSON of each resource.

The renderer reads the data model (``ld.model``) to turn an entity's triples back into the
field set, value shapes and list order of the original API. It formats; it never queries: the
caller hands it an :class:`Entities` bag already fetched from the store.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import datetime
from typing import Any, Callable, Iterable

import pyoxigraph as ox

from ld.context import CONTEXT_PATH, date_only_override
from ld import geo
from ld.memo import Bucket
from ld.model import BY_CLASS, COMPUTED, RESOURCES, GEOJSON, LANG, NESTED, REF, URL, VOCAB, WHEN, Field, Resource
from ld.records import json_lang
from ld.vocab import LE, LEI, RDF, SCHEMA, XSD

DELETED_NAME = {"fi": "POISTETTU", "sv": "RADERAD", "en": "DELETED"}
_INCLUDE_STOP = frozenset(("sub_events", "super_event", "registration"))  # never expanded twice down


@dataclass
class Node:
    """The triples of one subject, by predicate."""

    values: dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]] = field(default_factory=dict)

    def all(self, predicate: ox.NamedNode) -> list[Any]:
        return self.values.get(predicate.value, [])

    def one(self, predicate: ox.NamedNode) -> Any:
        found = self.values.get(predicate.value)
        return found[0] if found else None


@dataclass
class Entities:
    """Every node of a set of fetched records, keyed by subject (IRI or blank node id)."""

    nodes: dict[str, Node] = field(default_factory=dict)
    # Expanded references rendered so far, by (IRI, view): a page of events shares its places,
    # keywords and images, each rendered once.
    rendered: dict[tuple[str, Any], dict[str, Any]] = field(default_factory=dict)
    _resources: dict[str, Resource | None] = field(default_factory=dict, repr=False)

    def add(self, subject: ox.NamedNode | ox.BlankNode, predicate: ox.NamedNode, obj: Any) -> None:
        key = _key(subject)
        node = self.nodes.get(key)
        if node is None:
            node = self.nodes[key] = Node()
        node.values.setdefault(predicate.value, []).append(obj)

    def record(self, iri: str) -> dict[str, "Node"]:
        """The nodes of one record: its own and the blank nodes it holds, however deep."""
        found: dict[str, Node] = {}
        todo = [iri]
        while todo:
            key = todo.pop()
            node = self.nodes.get(key)
            if node is None or key in found:
                continue
            found[key] = node
            todo.extend("_:" + o.value for values in node.values.values() for o in values if isinstance(o, ox.BlankNode))
        return found

    def node(self, subject: ox.NamedNode | ox.BlankNode | str) -> Node | None:
        return self.nodes.get(subject if isinstance(subject, str) else _key(subject))

    def resource_of(self, iri: str) -> Resource | None:
        try:
            return self._resources[iri]  # asked for every reference of every field rendered
        except KeyError:
            pass
        node = self.nodes.get(iri)
        found = next((BY_CLASS[c.value] for c in node.all(RDF.type) if c.value in BY_CLASS), None) if node else None
        if node is not None:
            self._resources[iri] = found
        return found


def _key(node: ox.NamedNode | ox.BlankNode) -> str:
    return node.value if isinstance(node, ox.NamedNode) else "_:" + node.value


@dataclass(frozen=True)
class View:
    """How to render: what to expand, what the caller may see, the base of generated URLs."""

    base: str
    include: frozenset[str] = frozenset()
    admin: Callable[[Node], bool] = lambda node: False  # may the caller see admin-only fields?
    computed: Callable[[str, str, Field], Any] | None = None  # (resource, iri, field) -> value
    srid: int | None = None  # coordinates reprojected for ?srid=
    # Renders of expanded entities kept across requests (ld.memo), for views whose output depends
    # on the data only; their computed fields are filled for each use.
    shared: Bucket | None = None

    @property
    def context_url(self) -> str:
        return self.base + CONTEXT_PATH

    def nested(self) -> "View":
        return replace(self, include=self.include - _INCLUDE_STOP)


def wanted(resource: Resource, iri: str, entities: Entities, view: View) -> Iterable[str]:
    """IRIs that rendering this entity will expand (images always, included references)."""
    node = entities.node(iri)
    if node is None:
        return []
    out: list[str] = []
    for f in resource.fields:
        if f.kind == REF and (_expanded(f, view)):
            out.extend(o.value for o in node.all(f.iri) if isinstance(o, ox.NamedNode))
    return out


def render(iri: str, entities: Entities, view: View) -> dict[str, Any]:
    """The Linked Events JSON of one entity."""
    resource = entities.resource_of(iri)
    node = entities.node(iri)
    assert resource is not None and node is not None, iri
    if _is_true(node.one(LE.deleted)) and not view.admin(node) and resource.name == "event":
        return deleted_stub(node)
    order = json.loads(node.one(LEI.order).value) if node.one(LEI.order) is not None else {}
    out: dict[str, Any] = {}
    admin = view.admin(node)
    for f in (*resource.fields, *(f for f in resource.extra_fields if node.all(f.iri))):
        if f.admin and not admin:
            continue
        if f.kind == COMPUTED:
            out[f.key] = view.computed(resource.name, iri, f) if view.computed else None
            continue
        out[f.key] = _field(f, node, entities, view, order.get(f.key))
    extra = node.one(LEI.extra)
    if extra is not None:
        out.update(json.loads(extra.value))
    out["@id"] = iri
    date_only = [f for f in resource.fields if f.kind == WHEN and isinstance(out.get(f.key), str) and len(out[f.key]) == 10]
    out["@context"] = [view.context_url, date_only_override(date_only)] if date_only else view.context_url
    out["@type"] = resource.json_type
    return out


def deleted_stub(node: Node) -> dict[str, Any]:
    """What the original shows of a deleted event in a list: five keys, no @id."""
    return {
        "id": node.one(SCHEMA.identifier).value,
        "last_modified_time": _datetime(node.one(SCHEMA.dateModified)),
        "deleted": True,
        "replaced_by": _literal(node.one(LE.replacedBy)),
        "name": dict(DELETED_NAME),
    }



def _field(f: Field, node: Node, entities: Entities, view: View, order: list[Any] | None) -> Any:
    objects = node.all(f.iri)
    if f.kind == NESTED:
        items = sorted(objects, key=lambda b: _position(entities.node(b)))
        return [_nested(f, entities.node(b), entities, view) for b in items]
    if f.many:
        values = [_value(f, o, entities, view) for o in _ordered(objects, order)]
        return values
    if not objects:
        return None
    if f.kind == LANG:
        return _lang(objects)
    return _value(f, objects[0], entities, view)


def _expanded(f: Field, view: View) -> bool:
    """Images are always expanded; other references when the model allows it and ?include= asks."""
    return f.expand or (f.includable and f.key in view.include)


def _ordered(objects: list[Any], order: list[Any] | None) -> list[Any]:
    if not order:
        return sorted(objects, key=lambda o: o.value)
    rank = {str(v): i for i, v in enumerate(order)}
    return sorted(objects, key=lambda o: (rank.get(o.value, len(rank)), o.value))


def _value(f: Field, o: Any, entities: Entities, view: View) -> Any:
    kind = f.kind
    if kind == REF:
        if (_expanded(f, view)) and entities.resource_of(o.value) is not None:
            nested = view.nested()
            done = entities.rendered.get((o.value, nested.include))
            if done is None:
                done = entities.rendered[(o.value, nested.include)] = _expansion(o.value, entities, nested)
            return done
        return {"@id": o.value}
    if kind in (URL,):
        return o.value
    if kind == VOCAB:
        return o.value.rsplit("/", 1)[-1]
    if kind == GEOJSON:
        geometry = entities.node(o)
        coords = json.loads(geometry.one(LE.coordinates).value) if geometry else None
        if coords is not None and view.srid not in (None, geo.WGS84):
            coords = geo.round_position(geo.from_wgs84(coords[0], coords[1], view.srid), view.srid)
        return {"type": "Point", "coordinates": coords}
    return _literal(o)


def _expansion(iri: str, entities: Entities, view: View) -> dict[str, Any]:
    """An expanded reference: rendered, or a shared render with this request's computed fields."""
    resource = entities.resource_of(iri)
    if view.shared is None or not _shareable(resource.name):
        return render(iri, entities, view)
    key = (iri, view.include, view.srid)
    done = view.shared.get(key)
    if done is None:
        done = render(iri, entities, replace(view, computed=None))
        view.shared.put(key, done)
    computed = [f for f in resource.fields if f.kind == COMPUTED]
    if not computed or view.computed is None:
        return done
    out = dict(done)  # the shared render has the computed keys (None) in place: order kept
    for f in computed:
        out[f.key] = view.computed(resource.name, iri, f)
    return out


@lru_cache(maxsize=None)
def _shareable(name: str) -> bool:
    """Whether a render of the resource is the same for every anonymous request of a generation
    once its own computed fields are set: nothing it may expand has computed fields (those
    change with the time of the request), however deep, and it is not an event (too many, and
    a deleted one renders differently by caller)."""
    if name == "event":
        return False
    for f in RESOURCES[name].fields:
        if f.kind == REF and (f.expand or f.includable):
            target = RESOURCES[f.target]
            if any(g.kind == COMPUTED for g in target.fields) or not _shareable(target.name):
                return False
    return True


def _literal(o: Any) -> Any:
    """A literal's JSON value; its datatype says which (WHEN values are dates or dateTimes)."""
    if o is None:
        return None
    if not isinstance(o, ox.Literal):
        return o.value
    convert = _BY_DATATYPE.get(o.datatype.value)
    return convert(o) if convert is not None else o.value


_BY_DATATYPE: dict[str, Callable[[ox.Literal], Any]] = {
    RDF.JSON.value: lambda o: json.loads(o.value),
    XSD.boolean.value: lambda o: o.value == "true",
    XSD.integer.value: lambda o: int(o.value),
    XSD.double.value: lambda o: float(o.value),
    XSD.decimal.value: lambda o: float(o.value),
    XSD.dateTime.value: lambda o: _datetime(o),
}


def _datetime(o: ox.Literal | None) -> str | None:
    """As Django REST framework writes it: microseconds in six digits, UTC as ``Z``."""
    if o is None:
        return None
    try:
        value = datetime.fromisoformat(o.value).isoformat()
    except ValueError:
        return o.value
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def _lang(objects: list[ox.Literal]) -> dict[str, str] | None:
    return {json_lang(o.language): o.value for o in objects if o.language} or None


def _nested(f: Field, node: Node | None, entities: Entities, view: View) -> dict[str, Any]:
    node = node or Node()
    return {sub.key: _field(sub, node, entities, view, None) for sub in f.sub}


def _position(node: Node | None) -> int:
    p = node.one(LEI.position) if node else None
    return int(p.value) if p is not None else 0


def _is_true(o: Any) -> bool:
    return isinstance(o, ox.Literal) and o.value == "true"

