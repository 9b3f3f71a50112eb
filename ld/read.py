"""Reading entities out of the store: one detail, or one page of a list.

Fetching is a handful of SPARQL queries per request whatever the page holds: the page's ids
(``ld.filters``), then every node of those records, then what rendering expands (images,
``include=``), then the request-time counts. No per-item queries.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from threading import Lock
from typing import Any, Callable, Iterable

import pyoxigraph as ox

from ld.errors import Gone, Moved, NotFound, PageNotFound
from ld.filters.build import ListQuery, Order
from ld.filters.catalog import INDEX, INDEXED_ORDERS, N_EVENTS
from ld.identity import ANONYMOUS, Identity
from ld.iris import Iris
from ld.model import EVENT, Resource
from ld.memo import Memo
from ld.render import Entities, Node, View, render, wanted
from ld.sideindex import SideIndex
from ld.sortkeys import SORTABLE, SortKeys, iris_of, order
from ld.store import ADMIN, PUBLIC, Dataset, Store, term
from ld.times import UTC, parse_instant
from ld.vocab import LE, LEI, SCHEMA, XSD

_NEVER = ox.Literal("0001-01-01T00:00:00Z", datatype=XSD.dateTime)
# Index triples no rendering reads: a tenth of an event's rows, not handed to Python.
_NOT_RENDERED = f"FILTER(?p NOT IN ({', '.join(term(p) for p in (LEI.record, LEI.start, LEI.end, LEI.listing))}))"
_MAX_DEPTH = 4  # expansion levels: event -> sub_events -> their images ...


@dataclass(frozen=True)
class Page:
    count: int
    items: list[dict[str, Any]]


class Reader:
    def __init__(self, store: Store, iris: Iris, *, background_index: bool = False) -> None:
        self.store = store
        self.iris = iris
        self.sort_keys = SortKeys(store)
        # The places, keywords... pages include, fetched and rendered (events are too many to keep).
        self._records = Memo(store.generation, size=10_000)
        self._renders = Memo(store.generation, size=20_000)
        self.side_index = SideIndex.beside(store, INDEX, background=background_index)
        self._figures_cache: dict[str, tuple[int, datetime | None]] = {}
        self._figures_generation: int | None = None
        self._figures_lock = Lock()

    # -- fetching ------------------------------------------------------------------------
    def fetch(self, iris: Iterable[str], dataset: Dataset, view: View) -> Entities:
        """Every node of the given records and of everything rendering them will expand."""
        entities = Entities()
        todo = list(dict.fromkeys(iris))
        seen: set[str] = set()
        for _ in range(_MAX_DEPTH):
            todo = [i for i in todo if i not in seen]
            if not todo:
                break
            seen.update(todo)
            self._fetch_nodes(todo, dataset, entities)
            todo = [w for i in todo if (r := entities.resource_of(i)) for w in wanted(r, i, entities, view)]
        return entities

    def _fetch_nodes(self, iris: list[str], dataset: Dataset, entities: Entities) -> None:
        shared = self._records.current() if dataset == PUBLIC else None
        known = shared.get_many(iris) if shared is not None else {}
        for nodes in known.values():
            entities.nodes.update(nodes)
        missing = [i for i in iris if i not in known]
        if not missing:
            return
        values = " ".join(term(ox.NamedNode(i)) for i in missing)
        for s, p, o in self.store.query(
            f"SELECT ?s ?p ?o WHERE {{ VALUES ?e {{ {values} }} ?s {term(LEI.record)} ?e . ?s ?p ?o {_NOT_RENDERED} }}",
            dataset=dataset,
        ):
            entities.add(s, p, o)
        if shared is not None:
            for iri in missing:
                if (resource := entities.resource_of(iri)) is not None and resource is not EVENT:
                    shared.put(iri, entities.record(iri))

    # -- request-time figures ------------------------------------------------------------
    def computed(self, entities: Entities, now: datetime) -> dict[tuple[str, str], Any]:
        """n_events and has_upcoming_events of every place and keyword among the entities.

        Counted over the public graph, where a deleted event is a tombstone without location or
        keywords: no per-event test is needed, and the latest end answers "upcoming"."""
        figures = self._figures(entities)
        out: dict[tuple[str, str], Any] = {}
        for iri, (count, last) in figures.items():
            out[(iri, "n_events")] = count
            out[(iri, "has_upcoming_events")] = last is not None and last > now
        return out

    def _figures(self, entities: Entities) -> dict[str, tuple[int, datetime | None]]:
        """(event count, latest end) per place and keyword; they change only with a write, so
        they are kept per write generation and only the ones not known yet are counted."""
        generation = self.store.generation()
        with self._figures_lock:
            if self._figures_generation != generation:
                self._figures_cache, self._figures_generation = {}, generation
            cache = self._figures_cache
        found: dict[str, tuple[int, datetime | None]] = {}
        index = self.side_index.ready()
        for name, pattern in (("place", f"?e {term(SCHEMA.location)} ?x"),
                              ("keyword", f"?e {term(SCHEMA.keywords)}|{term(SCHEMA.audience)} ?x")):
            targets = [i for i in entities.nodes if (r := entities.resource_of(i)) and r.name == name]
            missing = [i for i in targets if i not in cache]
            if missing:
                counted = index.figures(LINKS[name], missing) if index else self._count(pattern, missing)
                with self._figures_lock:
                    if self._figures_generation == generation:
                        cache.update(counted)
                found.update(counted)
            found.update((i, cache[i]) for i in targets if i in cache)
        return found

    def _count(self, pattern: str, iris: list[str]) -> dict[str, tuple[int, datetime | None]]:
        # An unbound value makes MAX unbound: events without an end (postponed) count as ending never.
        values = " ".join(term(ox.NamedNode(i)) for i in iris)
        query = (
            f"SELECT ?x (COUNT(DISTINCT ?e) AS ?n) (MAX(COALESCE(?end, {_NEVER})) AS ?last) "
            f"WHERE {{ VALUES ?x {{ {values} }} {pattern} . OPTIONAL {{ ?e {term(LEI.end)} ?end }} }} GROUP BY ?x"
        )
        counted: dict[str, tuple[int, datetime | None]] = {i: (0, None) for i in iris}
        for row in self.store.query(query, dataset=PUBLIC):
            last = row["last"].value
            counted[row["x"].value] = (int(row["n"].value), None if last == _NEVER.value else parse_instant(last))
        return counted

    # -- views -----------------------------------------------------------------------------
    def view(self, *, identity: Identity = ANONYMOUS, include: Iterable[str] = (), srid: int | None = None) -> View:
        return View(
            base=self.iris.base,
            include=frozenset(include),
            admin=lambda node: _may_edit(identity, node),
            srid=srid,
            # What an anonymous caller sees depends on the data only: renders are shared.
            shared=None if identity.authenticated else self._renders.current(),
        )

    def render_all(self, iris: list[str], dataset: Dataset, view: View, now: datetime) -> list[dict[str, Any]]:
        return self._rendered(iris, self.fetch(iris, dataset, view), view, now)

    def _rendered(self, iris: list[str], entities: Entities, view: View, now: datetime) -> list[dict[str, Any]]:
        figures = self.computed(entities, now)
        view = replace(view, computed=lambda resource, iri, f: figures.get((iri, f.key)))
        return [render(i, entities, view) for i in iris if entities.resource_of(i) is not None]

    # -- lists -----------------------------------------------------------------------------
    def page(self, query: ListQuery, *, identity: Identity = ANONYMOUS, now: datetime | None = None) -> Page:
        """One page of a list; PageNotFound past the last page."""
        index = self._index_for(query)
        if index is not None:
            count, iris = index.page(query.fast_mask(index), [(INDEXED_ORDERS[o.var], o.descending) for o in query.order],
                                     query.offset, query.page_size)
            self._check_page(query, count)
        elif query.resource.name == "event" and all(o.var in SORTABLE and not o.nulls_last for o in query.order):
            # Ordered in memory with the sort values kept per generation (see ld.sortkeys).
            count, iris = self._ordered_page(query, lambda o, matches: self.sort_keys.values(query.dataset, o.var))
        elif (query.resource.name in LINKS and query.dataset == PUBLIC and any(o.var == N_EVENTS for o in query.order)
              and (counted := self.side_index.current()) is not None):
            # The template counts the events of every place or keyword to order a few: the counts
            # come from the side index, the other order values from the store for the matches only.
            count, iris = self._ordered_page(query, lambda o, matches: (
                {iri: n for iri, (n, _) in counted.figures(LINKS[query.resource.name], matches).items()}
                if o.var == N_EVENTS else self._order_values(o, matches, query.dataset)))
        else:
            count = int(next(iter(self.store.query(query.count(), dataset=query.dataset)))["count"].value)
            self._check_page(query, count)
            iris = [row["e"].value for row in self.store.query(query.select(), dataset=query.dataset)]
        view = self.view(identity=identity, include=query.include, srid=query.srid)
        return Page(count, self.render_all(iris, query.dataset, view, now or datetime.now(UTC)))

    def _index_for(self, query: ListQuery):
        """The side index, if it can answer this query (every clause has a fast twin and every
        order key is one of its columns) and is up to date."""
        if query.fast is None or not all(o.var in INDEXED_ORDERS and not o.nulls_last for o in query.order):
            return None
        return self.side_index.current()

    def _order_values(self, key: Order, iris: list[str], dataset: Dataset) -> dict[str, Any]:
        """The value ``ORDER BY`` sees for each IRI: with several, the first in that direction."""
        if not iris:
            return {}
        values = " ".join(term(ox.NamedNode(i)) for i in iris)
        found: dict[str, Any] = {}
        for row in self.store.query(f"SELECT ?e ({key.var} AS ?v) WHERE {{ VALUES ?e {{ {values} }} {key.pattern} }}",
                                    dataset=dataset):
            if row["v"] is None:
                continue
            value = _sort_value(row["v"])
            seen = found.get(row["e"].value)
            if seen is None or (value > seen if key.descending else value < seen):
                found[row["e"].value] = value
        return found

    def _ordered_page(self, query: ListQuery, values: Callable[[Order, list[str]], dict[str, Any]]) -> tuple[int, list[str]]:
        """The same page as ``query.select()``: the matches ordered in memory, ``values(key,
        matches)`` giving each ORDER BY key's value per IRI."""
        matches = iris_of(self.store.query(query.matches(), dataset=query.dataset))
        self._check_page(query, len(matches))
        keys = [(values(o, matches), o.descending) for o in query.order]
        return len(matches), order(matches, keys)[query.offset:query.offset + query.page_size]

    @staticmethod
    def _check_page(query: ListQuery, count: int) -> None:
        if query.page > max(1, -(-count // query.page_size)):
            raise PageNotFound("Invalid page.")

    # -- detail ----------------------------------------------------------------------------
    def detail(self, resource: Resource, entity_id: str, *, identity: Identity = ANONYMOUS,
               include: Iterable[str] = (), srid: int | None = None, now: datetime | None = None) -> dict[str, Any]:
        """The entity's JSON; NotFound, Gone or Moved (to the end of its replacement chain) otherwise."""
        iri = self.iris.entity(resource.name, entity_id)
        view = self.view(identity=identity, include=include, srid=srid)
        label = resource.name.replace("_", " ").capitalize()
        # Public data first (fetched with what rendering expands: every record links itself with
        # lei:record); the restricted graph (drafts, private data sources) only for those who may
        # edit the entity, and then with its admin-only fields too.
        dataset = PUBLIC
        entities = self.fetch([iri], PUBLIC, view)
        node = entities.node(iri)
        if identity.authenticated:
            restricted = self._node(iri, ADMIN)
            if restricted is not None and _may_edit(identity, restricted):
                node, dataset, entities = restricted, ADMIN, self.fetch([iri], ADMIN, view)
        if node is None:
            raise NotFound(f"{label} does not exist")
        replaced = self._replacement(resource, node)
        if replaced is not None:
            raise Moved(f"{label} has been replaced", self._chain_end(resource, replaced))
        if _is_true(node.one(LE.deleted)):
            raise Gone(f"{label} has been deleted.")
        if resource.name == "keyword" and _is_true(node.one(LE.deprecated)):
            raise Gone("Keyword has been deprecated.")
        return self._rendered([iri], entities, view, now or datetime.now(UTC))[0]

    def _node(self, iri: str, dataset: Dataset) -> Node | None:
        entities = Entities()
        for row in self.store.query(f"SELECT ?p ?o WHERE {{ {term(ox.NamedNode(iri))} ?p ?o }}", dataset=dataset):
            entities.add(ox.NamedNode(iri), row["p"], row["o"])
        return entities.node(iri)

    def _replacement(self, resource: Resource, node: Node) -> str | None:
        value = node.one(LE.replacedBy)
        if value is None or not (_is_true(node.one(LE.deleted)) or _is_true(node.one(LE.deprecated))
                                 or resource.name == "organization"):
            return None
        return value.value if isinstance(value, ox.NamedNode) else self.iris.entity(resource.name, value.value)

    def _chain_end(self, resource: Resource, iri: str) -> str:
        seen = {iri}
        while True:
            node = self._node(iri, PUBLIC)
            nxt = self._replacement(resource, node) if node is not None else None
            if nxt is None or nxt in seen:
                return iri
            seen.add(nxt)
            iri = nxt


# The side index's term keys of the links that count a place's or keyword's events.
LINKS = {"place": ("location",), "keyword": ("keywords", "audience")}


def _sort_value(literal: Any) -> Any:
    """A literal as ORDER BY compares it: numbers by value, the rest by their text."""
    if isinstance(literal, ox.Literal) and literal.datatype in (XSD.integer, XSD.decimal, XSD.double):
        return float(literal.value)
    return literal.value


def _is_true(o: Any) -> bool:
    return isinstance(o, ox.Literal) and o.value == "true"


def _publisher(node: Node) -> str | None:
    value = node.one(SCHEMA.publisher)
    return value.value if value is not None else None


def _may_edit(identity: Identity, node: Node) -> bool:
    if not identity.authenticated:
        return False
    status = node.one(LE.publicationStatus)
    return identity.can_edit(_publisher(node), draft=status is not None and status.value == "draft")
