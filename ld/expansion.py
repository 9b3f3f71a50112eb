"""Our normalized JSON-LD documents -> triples, without a JSON-LD processor.

An entity's description is exactly what its JSON-LD document expands to with our context. Running
pyoxigraph's JSON-LD parser over every record is, however, most of the cost of preparing it. The
documents the loader makes use a small part of JSON-LD (``ld.records``: plain terms, type coercion,
language maps, ``@json``, references, property-scoped contexts for nested objects, one type-scoped
context per resource), so :func:`triples` expands them with a plan compiled once per resource type
from the context itself (``context/linkedevents.jsonld`` plus ``ld.records.LOAD_TERMS``).

Whatever the plan does not cover with certainty (a float outside ``@json``, a string where a
language map belongs, an unknown key in a nested object, JSON whose canonical form needs more than
sorted keys...) raises :class:`Unplanned`, and the caller expands that record with the JSON-LD
parser instead: the plan never guesses. ``tests/test_expansion.py`` holds every record of the real
fixtures and of a generated data set to the parser's graph.

Blank nodes get labels unique to this process (a counter behind a random prefix drawn again in a
forked child), so that the output of several worker processes can share one bulk load.
"""
from __future__ import annotations

import itertools
import json
import os
import re
from functools import lru_cache
from typing import Any, Callable

import pyoxigraph as ox

from ld.context import context
from ld.records import LOAD_TERMS, Record
from ld.vocab import RDF, XSD

_BOOLEAN = XSD.boolean
_INTEGER = XSD.integer
_JSON = RDF.JSON
_TYPE = RDF.type
_TRUE = ox.Literal("true", datatype=_BOOLEAN)
_FALSE = ox.Literal("false", datatype=_BOOLEAN)
# JSON numbers the parser writes as xsd:integer for sure (larger ones it may turn into doubles).
_SAFE_INT = 2**53
# A language-map key the parser keeps as it is (it lower-cases others and drops invalid ones).
_LANGUAGE = re.compile(r"[a-z]{1,8}(?:-[a-z0-9]{1,8})*")
# A string whose canonical JSON (RFC 8785) is json.dumps': no escapes, no characters whose UTF-16
# order differs from their code point order.
_PLAIN_JSON_STRING = re.compile(r'[ !#-\[\]-\ud7ff]*')


class Unplanned(Exception):
    """The document has a shape the plan does not cover: expand it with the JSON-LD parser."""


class _Labels:
    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = "x" + os.urandom(8).hex() + "n"
        self.counter = itertools.count()

    def fresh(self) -> ox.BlankNode:
        return ox.BlankNode(f"{self.prefix}{next(self.counter)}")


fresh_blank_node = _Labels().fresh


# --- the plan ----------------------------------------------------------------------------------------

# How a term's key turns its JSON value into triples about a subject: add(subject, value, out).
# None for a term defined as null: its key is dropped (n_events).
_Add = Callable[[Any, Any, list], None]
_Terms = dict[str, _Add | None]
Triple = tuple  # (subject, predicate, object) of pyoxigraph terms: a tuple costs a tenth of an ox.Triple


class _Context:
    """A context's definitions, as a JSON-LD processor reads them, for the subset we use."""

    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self.prefixes = {k: v for k, v in definitions.items() if isinstance(v, str) and v.endswith(("/", "#"))}

    def with_(self, local: dict[str, Any]) -> _Context:
        return _Context({**self.definitions, **local})

    def iri(self, value: str) -> str | None:
        prefix, colon, suffix = value.partition(":")
        if colon and prefix in self.prefixes:
            return self.prefixes[prefix] + suffix
        return value if value.startswith(("http://", "https://")) else None

    def term_iri(self, name: str) -> str | None:
        """The IRI a term (a key, or a value under @type @vocab) stands for, None if it is no term."""
        definition = self.definitions.get(name)
        if isinstance(definition, dict):
            definition = definition.get("@id")
        return self.iri(definition) if isinstance(definition, str) and not definition.startswith("@") else None


def _plan(ctx: _Context, keys: list[str]) -> _Terms:
    """The plan of every key whose definition the plan understands; a document with any other
    key is Unplanned (a keyword alias such as data: @graph, say)."""
    terms: _Terms = {}
    for key in keys:
        definition = ctx.definitions[key]
        if definition is None:
            terms[key] = None
            continue
        if isinstance(definition, str):
            definition = {"@id": definition}
        if not isinstance(definition, dict) or set(definition) - {"@id", "@type", "@container", "@context"}:
            continue
        iri = ctx.iri(definition.get("@id") or "")
        if iri is None:
            continue
        predicate = ox.NamedNode(iri)
        coercion, container, local = definition.get("@type"), definition.get("@container"), definition.get("@context")
        if container is not None:
            if container == "@language" and coercion is None and local is None:
                terms[key] = _language_map(predicate)
        elif local is not None:
            if coercion is None:
                terms[key] = _each(predicate, _nested(ctx.with_(local), list(local)))
        elif coercion == "@json":
            terms[key] = _json(predicate)
        elif coercion == "@id":
            terms[key] = _each(predicate, _iri)
        elif coercion == "@vocab":
            terms[key] = _each(predicate, _vocab(ctx))
        elif coercion is not None:
            datatype = ctx.iri(coercion)
            if datatype is not None:
                terms[key] = _each(predicate, _typed(ox.NamedNode(datatype)))
        else:
            terms[key] = _each(predicate, _native)
    return terms


@lru_cache(maxsize=64)
def _resource_plan(json_type: str, override: str | None) -> tuple[ox.NamedNode, _Terms]:
    """The class and the term plans of a resource type's documents. ``override`` is the JSON of a
    document's own local context (date-only times), processed before the type-scoped context, as
    a JSON-LD processor does."""
    active = _Context({**context()["@context"], **LOAD_TERMS})
    if override:
        active = active.with_(json.loads(override))
    type_definition = active.definitions.get(json_type)
    if isinstance(type_definition, dict):
        active = active.with_(type_definition.get("@context", {}))
    class_iri = active.term_iri(json_type)
    if class_iri is None:
        raise Unplanned(f"@type {json_type!r}")
    keys = [k for k in active.definitions if not k.startswith("@") and k not in active.prefixes]
    return ox.NamedNode(class_iri), _plan(active, keys)


def _plan_for(document: dict[str, Any]) -> tuple[ox.NamedNode, _Terms]:
    local = document.get("@context")
    if isinstance(local, list):  # [our context, date-only override]
        if len(local) != 2 or not isinstance(local[1], dict):
            raise Unplanned("unexpected @context")
        return _resource_plan(document["@type"], json.dumps(local[1], sort_keys=True))
    return _resource_plan(document["@type"], None)


# --- values ------------------------------------------------------------------------------------------

def _each(predicate: ox.NamedNode, convert: Callable[[Any, list], Any]) -> _Add:
    """One triple per value, or per item of an array (null items dropped)."""

    def add(subject: Any, value: Any, out: list) -> None:
        if isinstance(value, list):
            for item in value:
                if isinstance(item, list):
                    raise Unplanned("nested arrays")
                if item is not None:
                    out.append((subject, predicate, convert(item, out)))
        elif value is not None:
            out.append((subject, predicate, convert(value, out)))

    return add


def _native(value: Any, out: list) -> Any:
    if isinstance(value, str):
        return ox.Literal(value)
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    if isinstance(value, int) and -_SAFE_INT < value < _SAFE_INT:
        return ox.Literal(str(value), datatype=_INTEGER)
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("@id"), str):
        return ox.NamedNode(value["@id"])
    raise Unplanned(f"value {value!r}")


def _typed(datatype: ox.NamedNode) -> Callable[[Any, list], Any]:
    def convert(value: Any, out: list) -> Any:
        if not isinstance(value, str):
            raise Unplanned(f"{value!r} under {datatype}")
        return ox.Literal(value, datatype=datatype)

    return convert


def _iri(value: Any, out: list) -> Any:
    if not isinstance(value, str):
        raise Unplanned(f"{value!r} as an IRI")
    return ox.NamedNode(value)


def _vocab(ctx: _Context) -> Callable[[Any, list], Any]:
    def convert(value: Any, out: list) -> Any:
        iri = ctx.term_iri(value) if isinstance(value, str) else None
        if iri is None:
            raise Unplanned(f"{value!r} is no term")
        return ox.NamedNode(iri)

    return convert


def _language_map(predicate: ox.NamedNode) -> _Add:
    def add(subject: Any, value: Any, out: list) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            raise Unplanned(f"{value!r} for a language map")
        for language, text in value.items():
            if text is None:
                continue
            if not isinstance(text, str) or _LANGUAGE.fullmatch(language) is None:
                raise Unplanned(f"language map entry {language!r}: {text!r}")
            out.append((subject, predicate, ox.Literal(text, language=language)))

    return add


def _json(predicate: ox.NamedNode) -> _Add:
    """An @json value: one JSON literal in canonical form (null and arrays included)."""

    def add(subject: Any, value: Any, out: list) -> None:
        if not _plain_json(value):
            raise Unplanned("JSON whose canonical form needs more than sorted keys")
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        out.append((subject, predicate, ox.Literal(text, datatype=_JSON)))

    return add


def _plain_json(value: Any) -> bool:
    """Whether json.dumps(sort_keys) writes the value's RFC 8785 form: plain strings, integers
    and floats that Python and ECMAScript print alike."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, str):
        return _PLAIN_JSON_STRING.fullmatch(value) is not None
    if isinstance(value, int):
        return -_SAFE_INT < value < _SAFE_INT
    if isinstance(value, float):
        return 1e-4 <= abs(value) < 1e16 and not value.is_integer()
    if isinstance(value, list):
        return all(_plain_json(v) for v in value)
    if isinstance(value, dict):
        return all(_PLAIN_JSON_STRING.fullmatch(k) and _plain_json(v) for k, v in value.items())
    return False


def _nested(ctx: _Context, keys: list[str]) -> Callable[[Any, list], Any]:
    """A node object under a property-scoped context: a blank node with its own triples."""
    type_keys = {k for k in keys if ctx.definitions[k] == "@type"}
    terms = _plan(ctx, keys + ["lei_position"])

    def convert(value: Any, out: list) -> Any:
        if not isinstance(value, dict):
            raise Unplanned(f"{value!r} for a nested object")
        node = fresh_blank_node()
        for key, item in value.items():
            if key in type_keys:
                iri = ctx.term_iri(item) if isinstance(item, str) else None
                if iri is None:
                    raise Unplanned(f"@type {item!r}")
                out.append((node, _TYPE, ox.NamedNode(iri)))
            else:
                _add(terms, node, key, item, out)
        return node

    return convert


def _add(terms: _Terms, subject: Any, key: str, value: Any, out: list) -> None:
    try:
        add = terms[key]
    except KeyError:
        raise Unplanned(f"key {key!r}") from None
    if add is not None:
        add(subject, value, out)


def triples(record: Record) -> list[Triple]:
    """The triples of the record's JSON-LD document; :class:`Unplanned` when the plan does not cover it."""
    document = record.document
    cls, terms = _plan_for(document)
    subject = ox.NamedNode(document["@id"])
    out: list[Triple] = [(subject, _TYPE, cls)]
    try:
        for key, value in document.items():
            if key[0] != "@":
                _add(terms, subject, key, value, out)
            elif key not in ("@id", "@type", "@context"):
                raise Unplanned(f"key {key!r}")
    except (ValueError, TypeError) as exc:  # e.g. a lone surrogate: the parser's to judge
        raise Unplanned(str(exc)) from exc
    return out
