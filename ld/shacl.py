"""SHACL validation of records on their way in.

The shapes in ``shapes/*.ttl`` are the contract every stored record meets. pyshacl is the reference
implementation (:func:`validate_with_pyshacl`), but it costs milliseconds a record, far too slow for
the load path. :func:`check` therefore runs a *compiled* validator: the shapes are parsed once
(rdflib), every constraint is turned into a plain Python check, and a record is validated over its
own triples grouped by subject, in tens of microseconds.

The compiler implements exactly the SHACL Core features the shapes use (see ``SUPPORTED``) and
refuses anything else at start-up, so shapes and validator cannot silently drift apart:

* targets: ``sh:targetClass`` (with ``rdfs:subClassOf`` in the data), ``sh:targetObjectsOf``;
* paths: a single predicate IRI;
* constraints: ``sh:minCount``, ``sh:maxCount``, ``sh:datatype`` (with the lexical-form check for
  ``xsd:dateTime``, ``xsd:date``, ``xsd:integer``, ``xsd:boolean``), ``sh:nodeKind``, ``sh:in``,
  ``sh:minInclusive``, ``sh:pattern``, ``sh:class``, ``sh:uniqueLang``, ``sh:node``, ``sh:or``,
  ``sh:not``, ``sh:lessThanOrEquals``, ``sh:property``.

Every shape names the JSON key it checks in ``sh:name`` and says what is wrong in ``sh:message``;
:func:`check` raises one :class:`~ld.errors.InvalidRecord` listing every violation of the record,
with ``path`` set to the JSON key of the first. A conforming record takes the fast path
(:func:`_conforms`, no result objects); results are only built for a record that fails.
``python -m ld.shacl DIR`` validates a data set and prints what :func:`check` costs a record
(about 65 us an event, 50 us a record overall, on the generated 2,000-event set).

The shapes are parsed and compiled on first use (:func:`compiled`, ~150 ms); call it at start-up
to fail fast on bad shapes.

pyoxigraph does not flag ill-typed literals (``"2020-13-45"^^xsd:date`` is kept as it is), so the
lexical forms are checked here, following XSD restricted to what Python's ``datetime`` can hold
(years 0001-9999, no ``24:00:00``), like rdflib. rdflib itself is more lenient than XSD for some
forms (it parses ``xsd:dateTime`` with ``datetime.fromisoformat``, so it accepts ``2020-01-01 10:00``
or ``2020-01-01T10``): the compiled validator rejects those, pyshacl accepts them.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import pyoxigraph as ox

from ld.errors import InvalidRecord, LdError
from ld.records import Record

SHAPES_DIR = Path(__file__).resolve().parent.parent / "shapes"

SH = "http://www.w3.org/ns/shacl#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_LEI_POSITION = "https://w3id.org/linkedevents/internal#position"

RDF_TYPE = ox.NamedNode(_RDF + "type")
RDFS_SUBCLASS_OF = ox.NamedNode(_RDFS + "subClassOf")
_LEI_POSITION_NODE = ox.NamedNode(_LEI_POSITION)

# Shape-graph predicates the compiler understands: constraint parameters plus the non-validating ones.
CONSTRAINTS = frozenset(
    SH + c
    for c in (
        "minCount maxCount datatype nodeKind in minInclusive pattern class uniqueLang node or not "
        "lessThanOrEquals property"
    ).split()
)
TARGETS = frozenset((SH + "targetClass", SH + "targetObjectsOf"))
_NON_VALIDATING = frozenset(
    (SH + "path", SH + "name", SH + "message", SH + "description", _RDF + "type", _RDFS + "comment", _RDFS + "label")
)
SUPPORTED = CONSTRAINTS | TARGETS | _NON_VALIDATING
_SHAPE_CLASSES = frozenset((SH + "NodeShape", SH + "PropertyShape"))
_NODE_KINDS = frozenset(SH + k for k in ("IRI", "BlankNode", "Literal", "BlankNodeOrIRI", "BlankNodeOrLiteral", "IRIOrLiteral"))


class ShapesError(LdError):
    """The shapes are malformed, or use a SHACL feature the compiled validator does not implement."""


# --- lexical forms -------------------------------------------------------------------------------

_TZ = r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_DATETIME_RE = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
    + _TZ + "?"
)
_DATE_RE = re.compile(r"([0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]))" + _TZ + "?")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DOUBLE_RE = re.compile(r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN)")


@lru_cache(maxsize=4096)  # a record's times are parsed by several shapes (start_time: type, order)
def _parse_datetime(lexical: str) -> datetime | None:
    """An xsd:dateTime lexical form as a datetime, None when it is not one."""
    if _DATETIME_RE.fullmatch(lexical) is None:
        return None
    try:
        return datetime.fromisoformat(lexical)  # the regex has checked the form; this checks day-of-month, year 0
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _parse_date(lexical: str) -> date | None:
    m = _DATE_RE.fullmatch(lexical)
    if m is None:
        return None
    try:
        return date.fromisoformat(m.group(1))
    except ValueError:
        return None


def _parse_integer(lexical: str) -> int | None:
    return int(lexical) if _INTEGER_RE.fullmatch(lexical) else None


def _parse_decimal(lexical: str) -> Decimal | None:
    if _DECIMAL_RE.fullmatch(lexical) is None:
        return None
    try:
        return Decimal(lexical)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None


def _parse_double(lexical: str) -> float | None:
    return float(lexical) if _DOUBLE_RE.fullmatch(lexical) else None


def _parse_boolean(lexical: str) -> bool | None:
    return {"true": True, "1": True, "false": False, "0": False}.get(lexical)


# datatype IRI -> parser of its lexical forms (None: every string is a valid lexical form).
_PARSERS: dict[str, Callable[[str], Any] | None] = {
    _XSD + "string": None,
    _RDF + "langString": None,
    _RDF + "JSON": None,  # always canonical JSON from the JSON-LD parser; pyshacl does not check it either
    _XSD + "dateTime": _parse_datetime,
    _XSD + "date": _parse_date,
    _XSD + "integer": _parse_integer,
    _XSD + "boolean": _parse_boolean,
}
_NUMERIC_PARSERS: dict[str, Callable[[str], Any]] = {
    _XSD + "integer": _parse_integer,
    _XSD + "decimal": _parse_decimal,
    _XSD + "double": _parse_double,
    _XSD + "float": _parse_double,
}
_STRING_DATATYPES = frozenset((_XSD + "string", _RDF + "langString"))


def _value(term: ox.Literal) -> Any:
    """A literal's value, or None for an ill-typed literal or a datatype without value space here."""
    dt = term.datatype.value
    parse = _NUMERIC_PARSERS.get(dt) or _PARSERS.get(dt)
    return parse(term.value) if parse is not None else None


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One validation result, named after the JSON key (the ``sh:name`` of its shape)."""

    focus: Any       # the node that failed (entity IRI, nested blank node, ...)
    path: str        # sh:name of the failing shape: the JSON key, "offers[].is_free"
    message: str     # sh:message of the failing shape
    component: str   # "MinCount", "Datatype", ... (the SHACL constraint component, without its suffix)
    detail: str      # what was found: "missing", 'got "2020-13-45"', ...
    shape: str       # IRI (or blank node label) of the failing shape

    def text(self, index: int | None = None) -> str:
        """Readable sentence; ``index`` puts the item number into a nested key (offers[1].is_free)."""
        message = self.message
        if index is not None and "[]" in self.path and message.startswith(self.path):
            message = self.path.replace("[]", f"[{index}]", 1) + message[len(self.path):]
        return f"{message} ({self.detail})" if self.detail else message


_UNQUOTED = frozenset((_XSD + "integer", _XSD + "double", _XSD + "decimal", _XSD + "boolean", _RDF + "JSON"))


def _show(term: Any) -> str:
    """A value as the JSON it came from, roughly: "text", "text"@fi, 42, true, <iri>."""
    if isinstance(term, ox.Literal):
        if term.datatype.value in _UNQUOTED:
            return term.value
        text = json.dumps(term.value, ensure_ascii=False)
        return f"{text}@{term.language}" if term.language else text
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    return "an object"


# --- the compiled shapes -------------------------------------------------------------------------

_Check = Callable[[Any, "_Graph"], bool]


class _Shape:
    """One compiled shape. ``path`` is None for node shapes (the focus node is the value node)."""

    __slots__ = (
        "id", "name", "message", "path", "min_count", "max_count", "checks", "unique_lang", "less_equal",
        "properties", "shows", "simple", "value_ok", "fast",
    )

    def __init__(self, shape_id: str) -> None:
        self.id = shape_id
        self.name = ""
        self.message = ""
        self.path: ox.NamedNode | None = None
        self.min_count = 0
        self.max_count: int | None = None
        self.checks: list[tuple[str, _Check]] = []     # per value node: (component, check)
        self.unique_lang = False
        self.less_equal: list[ox.NamedNode] = []
        self.properties: list[_Shape] = []
        self.shows: list[tuple[str, ox.NamedNode]] = []  # (JSON key, predicate) to show for node-level failures
        self.simple = True  # counts, per-value checks, uniqueLang only: _conforms needs no _validate
        self.value_ok: _Check | None = None  # every per-value check at once (None: no checks)
        # The property shapes for _conforms: (paths some property requires, {path: [(min, max, value_ok,
        # unique_lang, simple, shape)]}), so that a record is checked by the predicates it has.
        self.fast: tuple[tuple[ox.NamedNode, ...], dict[ox.NamedNode, list[tuple]]] | None = None


class _Graph:
    """A record's triples indexed by subject, then predicate."""

    __slots__ = ("index", "has_subclasses")

    def __init__(self, triples: Iterable) -> None:
        index: dict[Any, dict[ox.NamedNode, list[Any]]] = {}
        for s, p, o in triples:
            d = index.get(s)
            if d is None:
                index[s] = {p: [o]}
            else:
                values = d.get(p)
                if values is None:
                    d[p] = [o]
                elif o not in values:  # a graph is a set: the parser may repeat a triple
                    values.append(o)
        self.index = index
        self.has_subclasses = any(RDFS_SUBCLASS_OF in d for d in index.values())

    def values(self, node: Any, predicate: ox.NamedNode) -> list[Any]:
        d = self.index.get(node)
        return d.get(predicate, _EMPTY) if d is not None else _EMPTY

    def is_instance(self, node: Any, cls: ox.NamedNode) -> bool:
        """node rdf:type/rdfs:subClassOf* cls, in the data."""
        types = self.values(node, RDF_TYPE)
        if cls in types:
            return True
        if not self.has_subclasses:
            return False
        seen = set(types)
        todo = list(types)
        while todo:
            for sup in self.values(todo.pop(), RDFS_SUBCLASS_OF):
                if sup == cls:
                    return True
                if sup not in seen:
                    seen.add(sup)
                    todo.append(sup)
        return False


_EMPTY: list[Any] = []


def _conforms(shape: _Shape, focus: Any, g: _Graph) -> bool:
    """Whether ``focus`` conforms to ``shape`` (the fast path: no results, stops at the first failure)."""
    ok = shape.value_ok
    if shape.path is None:
        if ok is not None and not ok(focus, g):
            return False
        return _conforms_properties(shape.fast, focus, g) if shape.fast is not None else True
    d = g.index.get(focus)
    values = d.get(shape.path) if d is not None else None
    if values is None:
        return shape.min_count == 0
    if len(values) < shape.min_count or (shape.max_count is not None and len(values) > shape.max_count):
        return False
    if ok is not None:
        for v in values:
            if not ok(v, g):
                return False
    if shape.unique_lang and len(values) > 1 and not _unique_languages(values):
        return False
    return shape.simple or _validate(shape, focus, g, None)


def _unique_languages(values: list[Any]) -> bool:
    langs = [v.language.lower() for v in values if type(v) is ox.Literal and v.language]
    return len(langs) == len(set(langs))


def _conforms_properties(fast: tuple, focus: Any, g: _Graph) -> bool:
    required, by_path = fast
    d = g.index.get(focus)
    if d is None:
        return not required
    for path in required:
        if path not in d:
            return False
    for path, values in d.items():
        entries = by_path.get(path)
        if entries is None:
            continue
        n = len(values)
        for low, high, ok, unique, simple, prop in entries:
            if n < low or n > high:
                return False
            if ok is not None:
                for v in values:
                    if not ok(v, g):
                        return False
            if unique and n > 1 and not _unique_languages(values):
                return False
            if not simple and not _validate(prop, focus, g, None):
                return False
    return True


def _validate(shape: _Shape, focus: Any, g: _Graph, out: list[Violation] | None) -> bool:
    """Validate ``focus`` against ``shape``; append violations to ``out`` (None: stop at the first)."""
    if shape.path is None:
        values: list[Any] = [focus]
    else:
        d = g.index.get(focus)
        values = d.get(shape.path, _EMPTY) if d is not None else _EMPTY
    ok = True
    n = len(values)
    if n < shape.min_count:
        if out is None:
            return False
        ok = False
        out.append(_violation(shape, focus, "MinCount", "missing" if n == 0 else f"{n} values"))
    if shape.max_count is not None and n > shape.max_count:
        if out is None:
            return False
        ok = False
        out.append(_violation(shape, focus, "MaxCount", f"{n} values: " + ", ".join(_show(v) for v in values)))
    if shape.checks:
        for v in values:
            for component, check in shape.checks:
                if not check(v, g):
                    if out is None:
                        return False
                    ok = False
                    out.append(_violation(shape, focus, component, _detail(shape, focus, v, g)))
    if shape.unique_lang and n > 1:
        seen: set[str] = set()
        reported: set[str] = set()
        for v in values:
            lang = v.language if isinstance(v, ox.Literal) else None
            if lang:
                lang = lang.lower()
                if lang in seen and lang not in reported:
                    if out is None:
                        return False
                    ok = False
                    reported.add(lang)
                    out.append(_violation(shape, focus, "UniqueLang", f"more than one text in language {lang!r}"))
                seen.add(lang)
    for other in shape.less_equal:
        others = g.values(focus, other)
        for v in values:
            for w in others:
                if not _less_or_equal(v, w):
                    if out is None:
                        return False
                    ok = False
                    out.append(_violation(shape, focus, "LessThanOrEquals", f"{_show(v)} is not before or at {_show(w)}"))
    if shape.properties:
        for v in values:
            if out is None:
                if not _conforms_properties(shape.fast, v, g):  # type: ignore[arg-type]
                    return False
                continue
            for prop in shape.properties:
                if not _validate(prop, v, g, out):
                    ok = False
    return ok


def _violation(shape: _Shape, focus: Any, component: str, detail: str) -> Violation:
    return Violation(focus, shape.name, shape.message, component, detail, shape.id)


def _detail(shape: _Shape, focus: Any, value: Any, g: _Graph) -> str:
    if shape.path is not None:
        return f"got {_show(value)}"
    # A node-level constraint (sh:or over several fields): show the fields it looks at.
    shown = []
    for key, predicate in shape.shows:
        values = g.values(focus, predicate)
        shown.append(f"{key} = " + (", ".join(_show(v) for v in values) if values else "none"))
    return "; ".join(shown)


def _less_or_equal(a: Any, b: Any) -> bool:
    """sh:lessThanOrEquals on one pair of values (SPARQL ``<=``; values that cannot be compared fail).

    As in pyshacl, IRIs and string literals compare as strings (and a string never compares with a
    non-string). Numbers compare by value; dates and date-times compare by value when both are valid
    and of the same datatype (date-times only when both or neither have a timezone).
    """
    if isinstance(a, ox.BlankNode) or isinstance(b, ox.BlankNode):
        return False
    sa = a.value if isinstance(a, ox.NamedNode) or a.datatype.value in _STRING_DATATYPES else None
    sb = b.value if isinstance(b, ox.NamedNode) or b.datatype.value in _STRING_DATATYPES else None
    if sa is not None or sb is not None:
        return sa is not None and sb is not None and sa <= sb
    da, db = a.datatype.value, b.datatype.value
    if da in _NUMERIC_PARSERS and db in _NUMERIC_PARSERS:
        va, vb = _value(a), _value(b)
        if va is None or vb is None:
            return False
        if isinstance(va, Decimal) != isinstance(vb, Decimal):
            va, vb = float(va), float(vb)
        return va <= vb
    if da != db:
        return False
    va, vb = _value(a), _value(b)
    if va is None or vb is None:
        return False
    if isinstance(va, datetime) and (va.tzinfo is None) != (vb.tzinfo is None):
        return False
    return va <= vb


# --- compiler ------------------------------------------------------------------------------------


@dataclass
class Compiled:
    by_class: dict[ox.NamedNode, list[_Shape]]
    by_objects_of: dict[ox.NamedNode, list[_Shape]]
    shapes: dict[str, _Shape]  # every compiled shape by id


def load_shapes(directory: Path = SHAPES_DIR):
    """The shapes graph (rdflib) of every ``*.ttl`` file in ``directory``."""
    import rdflib

    files = sorted(directory.glob("*.ttl"))
    if not files:
        raise ShapesError(f"no shapes in {directory}")
    graph = rdflib.Graph()
    for path in files:
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for syntax errors
            raise ShapesError(f"{path.name}: {exc}") from exc
    return graph


def compile_shapes(graph) -> Compiled:
    """Compile a shapes graph; raises :class:`ShapesError` on anything the validator does not support."""
    return _Compiler(graph).run()


class _Compiler:
    def __init__(self, graph) -> None:
        import rdflib

        self.rdflib = rdflib
        self.g = graph
        self.shapes: dict[Any, _Shape] = {}
        self.in_progress: set[Any] = set()

    def run(self) -> Compiled:
        rdflib, g = self.rdflib, self.g
        sh = rdflib.Namespace(SH)
        roots = set(g.subjects(rdflib.RDF.type, sh.NodeShape)) | set(g.subjects(rdflib.RDF.type, sh.PropertyShape))
        for target in TARGETS:
            roots |= set(g.subjects(rdflib.URIRef(target), None))
        list_cells = set(g.subjects(rdflib.RDF.first, None)) | set(g.subjects(rdflib.RDF.rest, None))
        for subject in set(g.subjects()):
            if subject not in roots and subject not in list_cells and not self._referenced(subject):
                preds = sorted({str(p) for p in g.predicates(subject)})
                raise ShapesError(f"{self._label(subject)} is not a shape nor used by one (it has {', '.join(preds)})")
        by_class: dict[ox.NamedNode, list[_Shape]] = {}
        by_objects_of: dict[ox.NamedNode, list[_Shape]] = {}
        for node in sorted(roots, key=str):
            shape = self.shape(node)
            for cls in g.objects(node, sh.targetClass):
                by_class.setdefault(self._iri(cls, "sh:targetClass"), []).append(shape)
            for predicate in g.objects(node, sh.targetObjectsOf):
                by_objects_of.setdefault(self._iri(predicate, "sh:targetObjectsOf"), []).append(shape)
        for subject in set(g.subjects()) - list_cells:
            self.shape(subject)  # every shape compiles, used or not
        return Compiled(by_class, by_objects_of, {s.id: s for s in self.shapes.values()})

    def _referenced(self, node) -> bool:
        rdflib = self.rdflib
        for p in (SH + "property", SH + "node", SH + "not"):
            if (None, rdflib.URIRef(p), node) in self.g:
                return True
        return (None, rdflib.RDF.first, node) in self.g

    def _label(self, node) -> str:
        return str(node) if isinstance(node, self.rdflib.URIRef) else f"blank node {node.n3()}"

    def _iri(self, node, what: str) -> ox.NamedNode:
        if not isinstance(node, self.rdflib.URIRef):
            raise ShapesError(f"{what} must be an IRI, not {node!r}")
        return ox.NamedNode(str(node))

    def _one(self, node, predicate: str):
        values = list(self.g.objects(node, self.rdflib.URIRef(predicate)))
        if len(values) > 1:
            raise ShapesError(f"{self._label(node)} has {len(values)} values for {predicate}")
        return values[0] if values else None

    def _list(self, head, what: str) -> list:
        try:
            return list(self.rdflib.collection.Collection(self.g, head))
        except Exception as exc:
            raise ShapesError(f"{what} must be an RDF list: {exc}") from exc

    def shape(self, node) -> _Shape:
        if node in self.shapes:
            return self.shapes[node]
        if node in self.in_progress:
            raise ShapesError(f"{self._label(node)}: recursive shapes are not supported")
        self.in_progress.add(node)
        shape = self._compile(node)
        self.in_progress.discard(node)
        self.shapes[node] = shape
        return shape

    def _compile(self, node) -> _Shape:
        rdflib, g = self.rdflib, self.g
        label = self._label(node)
        for p in set(g.predicates(node)):
            if str(p) not in SUPPORTED:
                raise ShapesError(f"{label}: {p} is not supported by the compiled validator (ld/shacl.py)")
        for t in g.objects(node, rdflib.RDF.type):
            if str(t) not in _SHAPE_CLASSES:
                raise ShapesError(f"{label}: rdf:type {t} is not supported")
        shape = _Shape(str(node) if isinstance(node, rdflib.URIRef) else f"_:{node}")
        name, message = self._one(node, SH + "name"), self._one(node, SH + "message")
        if not isinstance(name, rdflib.Literal) or not isinstance(message, rdflib.Literal):
            raise ShapesError(f"{label}: every shape needs one sh:name (the JSON key) and one sh:message")
        shape.name, shape.message = str(name), str(message)
        path = self._one(node, SH + "path")
        if path is not None:
            shape.path = self._iri(path, f"{label}: sh:path (only single-predicate paths are supported)")
        else:
            for param in ("minCount", "maxCount", "uniqueLang", "lessThanOrEquals"):
                if (node, rdflib.URIRef(SH + param), None) in g:
                    raise ShapesError(f"{label}: sh:{param} needs a sh:path (it is not a node-shape constraint)")
            if (node, rdflib.RDF.type, rdflib.URIRef(SH + "PropertyShape")) in g:
                raise ShapesError(f"{label}: a sh:PropertyShape needs a sh:path")
        if path is not None and any(True for t in TARGETS for _ in g.objects(node, rdflib.URIRef(t))):
            raise ShapesError(f"{label}: targets on property shapes are not supported")

        for key, param in (("min_count", "minCount"), ("max_count", "maxCount")):
            value = self._one(node, SH + param)
            if value is not None:
                if not isinstance(value, rdflib.Literal) or not isinstance(value.value, int) or value.value < 0:
                    raise ShapesError(f"{label}: sh:{param} must be a non-negative integer")
                setattr(shape, key, value.value)
        dt = self._one(node, SH + "datatype")
        if dt is not None:
            shape.checks.append(("Datatype", self._datatype(self._iri(dt, f"{label}: sh:datatype"), label)))
        kind = self._one(node, SH + "nodeKind")
        if kind is not None:
            if str(kind) not in _NODE_KINDS:
                raise ShapesError(f"{label}: unknown sh:nodeKind {kind}")
            shape.checks.append(("NodeKind", _node_kind(str(kind)[len(SH):])))
        for head in g.objects(node, rdflib.URIRef(SH + "in")):
            members = frozenset(_to_ox(m, rdflib) for m in self._list(head, f"{label}: sh:in"))
            shape.checks.append(("In", lambda v, g, members=members: v in members))
        for minimum in g.objects(node, rdflib.URIRef(SH + "minInclusive")):
            shape.checks.append(("MinInclusive", self._min_inclusive(minimum, label)))
        for pattern in g.objects(node, rdflib.URIRef(SH + "pattern")):
            if not isinstance(pattern, rdflib.Literal) or pattern.datatype not in (None, rdflib.XSD.string):
                raise ShapesError(f"{label}: sh:pattern must be a string")
            try:
                regex = re.compile(str(pattern))
            except re.error as exc:
                raise ShapesError(f"{label}: bad sh:pattern: {exc}") from exc
            shape.checks.append(("Pattern", _pattern(regex)))
        for cls in g.objects(node, rdflib.URIRef(SH + "class")):
            shape.checks.append(("Class", _class(self._iri(cls, f"{label}: sh:class"))))
        for other in g.objects(node, rdflib.URIRef(SH + "node")):
            target = self.shape(other)
            shape.checks.append(("Node", lambda v, g, t=target: _conforms(t, v, g)))
        for other in g.objects(node, rdflib.URIRef(SH + "not")):
            target = self.shape(other)
            shape.checks.append(("Not", lambda v, g, t=target: not _conforms(t, v, g)))
            shape.shows += self._shows(target)
        for head in g.objects(node, rdflib.URIRef(SH + "or")):
            members = tuple(self.shape(m) for m in self._list(head, f"{label}: sh:or"))
            if not members:
                raise ShapesError(f"{label}: empty sh:or")
            shape.checks.append(("Or", lambda v, g, ms=members: any(_conforms(m, v, g) for m in ms)))
            for m in members:
                shape.shows += self._shows(m)
        unique = self._one(node, SH + "uniqueLang")
        if unique is not None:
            if not isinstance(unique, rdflib.Literal) or not isinstance(unique.value, bool):
                raise ShapesError(f"{label}: sh:uniqueLang must be true or false")
            shape.unique_lang = unique.value
        for other in g.objects(node, rdflib.URIRef(SH + "lessThanOrEquals")):
            shape.less_equal.append(self._iri(other, f"{label}: sh:lessThanOrEquals"))
        for prop in sorted(g.objects(node, rdflib.URIRef(SH + "property")), key=str):
            compiled = self.shape(prop)
            if compiled.path is None:
                raise ShapesError(f"{self._label(prop)}: sh:property must point to a shape with a sh:path")
            shape.properties.append(compiled)
        first_names: dict[ox.NamedNode, str] = {}
        for key, predicate in shape.shows:
            first_names.setdefault(predicate, key)
        shape.shows = [(key, predicate) for predicate, key in first_names.items()]
        shape.simple = not (shape.less_equal or shape.properties)
        shape.value_ok = _all_of([check for _, check in shape.checks])
        by_path: dict[ox.NamedNode, list[tuple]] = {}
        for p in shape.properties:
            high = p.max_count if p.max_count is not None else sys.maxsize
            by_path.setdefault(p.path, []).append((p.min_count, high, p.value_ok, p.unique_lang, p.simple, p))
        required = tuple(dict.fromkeys(p.path for p in shape.properties if p.min_count > 0))
        shape.fast = (required, by_path) if shape.properties else None
        return shape

    def _shows(self, shape: _Shape) -> list[tuple[str, ox.NamedNode]]:
        """The (JSON key, predicate) pairs a node-level constraint looks at, for its error message."""
        found: list[tuple[str, ox.NamedNode]] = []
        if shape.path is not None:
            found.append((shape.name, shape.path))
        for prop in shape.properties:
            found += self._shows(prop)
        found += shape.shows
        return found

    def _datatype(self, dt: ox.NamedNode, label: str) -> _Check:
        if dt.value not in _PARSERS:
            raise ShapesError(f"{label}: sh:datatype {dt.value} has no lexical check in ld/shacl.py")
        parse = _PARSERS[dt.value]
        if parse is None:
            return lambda v, g: type(v) is ox.Literal and v.datatype == dt
        return lambda v, g: type(v) is ox.Literal and v.datatype == dt and parse(v.value) is not None

    def _min_inclusive(self, minimum, label: str) -> _Check:
        rdflib = self.rdflib
        if not isinstance(minimum, rdflib.Literal) or str(minimum.datatype) not in _NUMERIC_PARSERS:
            raise ShapesError(f"{label}: sh:minInclusive must be a number (integer, decimal or double)")
        low = _value(_to_ox(minimum, rdflib))
        if low is None:
            raise ShapesError(f"{label}: sh:minInclusive {minimum} is not a valid number")

        def check(v: Any, g: _Graph) -> bool:
            if type(v) is not ox.Literal or v.datatype.value not in _NUMERIC_PARSERS:
                return False
            value = _value(v)
            if value is None:
                return False
            if isinstance(value, Decimal) != isinstance(low, Decimal):
                return float(value) >= float(low)
            return value >= low

        return check


def _all_of(checks: list[_Check]) -> _Check | None:
    """One check running all of ``checks`` (in order, stopping at the first failure)."""
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v, g: first(v, g) and second(v, g)
    first, rest = checks[0], _all_of(checks[1:])
    return lambda v, g: first(v, g) and rest(v, g)


def _node_kind(kind: str) -> _Check:
    allowed = {
        "IRI": (ox.NamedNode,),
        "BlankNode": (ox.BlankNode,),
        "Literal": (ox.Literal,),
        "BlankNodeOrIRI": (ox.BlankNode, ox.NamedNode),
        "BlankNodeOrLiteral": (ox.BlankNode, ox.Literal),
        "IRIOrLiteral": (ox.NamedNode, ox.Literal),
    }[kind]
    if len(allowed) == 1:
        only = allowed[0]
        return lambda v, g: type(v) is only
    return lambda v, g: type(v) in allowed


def _pattern(regex: re.Pattern) -> _Check:
    search = regex.search
    return lambda v, g: type(v) is not ox.BlankNode and search(v.value) is not None


def _class(cls: ox.NamedNode) -> _Check:
    return lambda v, g: type(v) is not ox.Literal and g.is_instance(v, cls)


def _to_ox(term, rdflib) -> Any:
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or rdflib.XSD.string)))
    raise ShapesError(f"blank nodes cannot be values of sh:in ({term!r})")


@lru_cache(maxsize=1)
def compiled() -> Compiled:
    """The compiled shapes of ``shapes/`` (parsed and compiled once, on first use)."""
    return compile_shapes(load_shapes())


# --- validation ----------------------------------------------------------------------------------


def violations(triples: Iterable, shapes: Compiled | None = None) -> list[Violation]:
    """Every violation of the triples of one record (empty when they conform). Triples are
    ox.Triple or (subject, predicate, object) tuples."""
    shapes = shapes or compiled()
    g = _Graph(triples)
    found: list[Violation] = []
    targets: dict[_Shape, dict[Any, None]] = {}
    by_class, by_objects_of = shapes.by_class, shapes.by_objects_of
    for s, d in g.index.items():
        types = d.get(RDF_TYPE)
        if types is not None:
            for t in types:
                for shape in by_class.get(t, _EMPTY):
                    targets.setdefault(shape, {})[s] = None
            if g.has_subclasses:
                for cls, class_shapes in by_class.items():
                    if cls not in types and g.is_instance(s, cls):
                        for shape in class_shapes:
                            targets.setdefault(shape, {})[s] = None
        for p, shapes_of in by_objects_of.items():
            objects = d.get(p)
            if objects is not None:
                for o in objects:
                    for shape in shapes_of:
                        targets.setdefault(shape, {})[o] = None
    for shape, focus_nodes in targets.items():
        for focus in focus_nodes:
            if not _conforms(shape, focus, g):
                _validate(shape, focus, g, found)
    return found


def check(record: Record, triples: list) -> None:
    """Raise ``InvalidRecord`` naming the failing field when the record violates its shape.

    One error lists every violation of the record; its ``path`` is the JSON key of the first.
    """
    found = violations(triples)
    if not found:
        return
    entity = ox.NamedNode(record.iri)
    positions: dict[Any, int] = {}
    for s, p, o in triples:
        if p == _LEI_POSITION_NODE:
            try:
                positions[s] = int(o.value)
            except ValueError:
                pass
    found.sort(key=lambda v: (v.focus != entity, positions.get(v.focus, -1), v.path, v.component))
    texts = []
    for v in found:
        text = v.text(positions.get(v.focus))
        if v.component == "MinCount" and v.focus == entity and v.path in record.document:
            # The value was there but did not become RDF (an unknown event_status, say).
            text = f"{v.message} (got {json.dumps(record.document[v.path], ensure_ascii=False)})"
        texts.append(text)
    raise InvalidRecord(record.id, found[0].path, "; ".join(dict.fromkeys(texts)))


# --- the reference implementation ----------------------------------------------------------------


@lru_cache(maxsize=1)
def _shapes_graph():
    return load_shapes()


def to_rdflib(triples: Iterable[ox.Triple]):
    """An rdflib graph of pyoxigraph triples (blank node labels kept)."""
    import logging

    import rdflib

    logging.getLogger("rdflib.term").setLevel(logging.ERROR)  # ill-typed literals are expected here

    def term(t: Any):
        if isinstance(t, ox.NamedNode):
            return rdflib.URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return rdflib.BNode(t.value)
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        if t.datatype.value == _XSD + "string":
            return rdflib.Literal(t.value)
        return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))

    graph = rdflib.Graph()
    for s, p, o in triples:
        graph.add((term(s), term(p), term(o)))
    return graph


def validate_with_pyshacl(triples: Iterable[ox.Triple]) -> list[tuple[Any, str, str]]:
    """Validate with pyshacl (the reference, ~ms a record): ``(focus, JSON key, message)`` per result.

    The JSON key is the ``sh:name`` of the result's source shape; focus nodes are pyoxigraph terms.
    """
    import warnings

    import pyshacl
    import rdflib

    shapes = _shapes_graph()
    data = to_rdflib(triples)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conforms, report, _ = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", advanced=False, meta_shacl=False, allow_warnings=False
        )
    if conforms:
        return []
    sh = rdflib.Namespace(SH)
    results = []
    for result in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus = report.value(result, sh.focusNode)
        source = report.value(result, sh.sourceShape)
        name = shapes.value(source, sh.name)
        message = report.value(result, sh.resultMessage)
        results.append((_from_rdflib(focus, rdflib), str(name) if name is not None else "", str(message or "")))
    return results


def _from_rdflib(term, rdflib) -> Any:
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or rdflib.XSD.string)))


# --- command line: validate files and measure -----------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """``python -m ld.shacl PATH...``: validate every record as the loader does; print the violations
    and what :func:`check` costs a record (expansion is timed separately)."""
    import argparse
    import time

    from ld.inputs import expand_paths, read
    from ld.iris import Iris
    from ld.model import RESOURCES
    from ld.rdf import expand_batch
    from ld.records import Normalizer

    parser = argparse.ArgumentParser(prog="python -m ld.shacl", description=main.__doc__)
    parser.add_argument("paths", nargs="+", help="record files or directories (JSON, JSON Lines)")
    parser.add_argument("--show", type=int, default=10, help="violations to print (default 10)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    compiled()
    print(f"shapes compiled in {(time.perf_counter() - started) * 1000:.0f} ms")
    normalizer = Normalizer(Iris("http://127.0.0.1:8000"))
    cost: dict[str, list[float]] = {}
    expand_time = 0.0
    rejected: list[InvalidRecord] = []

    def flush(pending: dict[str, Record]) -> None:
        nonlocal expand_time
        t0 = time.perf_counter()
        by_iri = expand_batch(list(pending.values()))
        expand_time += time.perf_counter() - t0
        for iri, rec in pending.items():
            t0 = time.perf_counter()
            try:
                check(rec, by_iri[iri])
            except InvalidRecord as exc:
                rejected.append(exc)
            cost.setdefault(rec.resource.name, []).append(time.perf_counter() - t0)
        pending.clear()

    for path in expand_paths(args.paths):
        if path.name.split(".")[0] not in RESOURCES:
            continue  # manifest.json, gen_events.py's division helper
        pending: dict[str, Record] = {}
        for item in read(path):
            for rec in normalizer.normalize(item.record, hint=item.hint):
                if rec.iri not in pending or (pending[rec.iri].embedded and not rec.embedded):
                    pending[rec.iri] = rec
            if len(pending) >= 500:
                flush(pending)
        if pending:
            flush(pending)
    for exc in rejected[: args.show]:
        print("invalid:", exc)
    total = sum(len(v) for v in cost.values())
    spent = sum(sum(v) for v in cost.values())
    print(f"{total} records, {len(rejected)} invalid")
    for name, times in sorted(cost.items()):
        print(f"  {name:<13} {len(times):>6} records  check {sum(times) / len(times) * 1e6:7.1f} us/record")
    if total:
        print(f"  {'all':<13} {total:>6} records  check {spent / total * 1e6:7.1f} us/record"
              f"  (expand_batch {expand_time / total * 1e6:.1f} us/record)")


if __name__ == "__main__":
    main()
