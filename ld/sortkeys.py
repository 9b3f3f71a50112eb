"""Ordering event lists without Oxigraph's ORDER BY.

Oxigraph sorts every solution of a query to answer ``ORDER BY ... LIMIT 20``, and for the usual
event orders (``-last_modified_time``, ``start_time``, ``end_time``) that full sort costs more than
finding the events. So the reader asks the store only for the matching events (serialized by
the engine, which is much cheaper than building Python objects per row) and orders them here
with the sort values of every event, held in memory per store write generation and per dataset
(a derived side index: rebuilt from the store when anything was written). The order is exactly
the SPARQL template's, ``ORDER BY`` semantics included (an unbound value is the smallest, ties go
by IRI); the filter tests compare every page with the template's own answer.
"""
from __future__ import annotations

from datetime import datetime, timezone
from threading import Lock
from typing import Callable

import pyoxigraph as ox

from ld.store import Dataset, Store, term
from ld.vocab import LEI, SCHEMA

# ORDER BY variable of the catalog's sorts -> the predicate whose value it orders by.
SORTABLE: dict[str, ox.NamedNode] = {"?modified": SCHEMA.dateModified, "?start": LEI.start, "?end": LEI.end}


def iris_of(results: object) -> list[str]:
    """The ?e column of a SELECT, read from the engine's TSV serialization."""
    data = results.serialize(format=ox.QueryResultsFormat.TSV)  # type: ignore[attr-defined]
    return [line[1:-1] for line in data.decode("utf-8").split("\n")[1:] if line]


class SortKeys:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._generation: int | None = None
        self._values: dict[tuple[Dataset, str], dict[str, datetime]] = {}
        self._lock = Lock()

    def values(self, dataset: Dataset, var: str) -> dict[str, datetime]:
        """Sort value of every event that has one, for one ORDER BY variable."""
        generation = self.store.generation()
        with self._lock:
            if generation != self._generation:
                self._values, self._generation = {}, generation
            key = (dataset, var)
            if key not in self._values:
                self._values[key] = self._load(dataset, SORTABLE[var])
            return self._values[key]

    def _load(self, dataset: Dataset, predicate: ox.NamedNode) -> dict[str, datetime]:
        query = f"SELECT ?e ?v WHERE {{ ?e {term(LEI.listing)} ?l ; {term(predicate)} ?v }}"
        data = self.store.query(query, dataset=dataset).serialize(format=ox.QueryResultsFormat.TSV)
        values: dict[str, datetime] = {}
        for line in data.decode("utf-8").split("\n")[1:]:
            if line:
                iri, literal = line.split("\t", 1)
                values[iri[1:-1]] = _instant(literal[1:literal.index('"', 1)])
        return values


def _instant(lexical: str) -> datetime:
    moment = datetime.fromisoformat(lexical.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def order(iris: list[str], keys: list[tuple[dict[str, datetime], bool]]) -> list[str]:
    """``iris`` in ORDER BY order: by each (values, descending) key in turn, then by IRI.

    >>> a, b, c = "http://x/a", "http://x/b", "http://x/c"
    >>> t = datetime(2020, 1, 1, tzinfo=timezone.utc)
    >>> order([c, b, a], [({a: t, c: t}, True)])  # descending; unbound last; ties by IRI
    ['http://x/a', 'http://x/c', 'http://x/b']
    """
    ranked = sorted(iris)
    for values, descending in reversed(keys):
        ranked.sort(key=_key(values), reverse=descending)
    return ranked


def _key(values: dict[str, datetime]) -> Callable[[str], tuple]:
    def key(iri: str) -> tuple:
        value = values.get(iri)
        return (0,) if value is None else (1, value)

    return key
