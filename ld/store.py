"""The one narrow interface to the triple store, and its embedded pyoxigraph implementation.

Everything above this module speaks SPARQL through :class:`Store`: ``query`` over a
:class:`Dataset`, atomic ``update``, and ``generation`` (a counter every write bumps, used as a
cache key). A remote SPARQL 1.1 server can implement the same three methods.

Visibility is decided here by construction: public data lives in ``GRAPH.public``; drafts,
deleted records, private data sources and personal fields live in ``GRAPH.restricted``. A
query sees only the graphs its dataset names.

In Oxigraph ``GRAPH.public`` is the store's default graph, not a named graph: Oxigraph keeps
three index entries for a quad of the default graph and six for one of a named graph. Loading and
compacting 200,000 events' quads took 41.5 s instead of 72.0 s (``benchmarks/bulk_floor.py``).
Datasets still say ``GRAPH.public``; :meth:`Dataset.nodes` makes it the default graph.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any, Iterable, Protocol

import pyoxigraph as ox

from ld.errors import LdError, QueryError
from ld.vocab import GRAPH, LEI, PREFIXES

META = ox.NamedNode("https://w3id.org/linkedevents/graph/meta")
STORE_NODE = LEI.store


@dataclass(frozen=True)
class Dataset:
    """Which graphs a query reads: its default graph and the graphs ``GRAPH`` may name."""

    default: tuple[str, ...]
    named: tuple[str, ...] | None = None  # None: only the named graphs listed in ``default``

    def nodes(self) -> tuple[list[ox.NamedNode | ox.DefaultGraph], list[ox.NamedNode]]:
        """pyoxigraph's ``default_graph`` and ``named_graphs``: the public data is the default
        graph, which cannot be named in a ``GRAPH`` pattern."""
        named = self.named if self.named is not None else self.default
        return ([PUBLIC_DATA if g == _PUBLIC else ox.NamedNode(g) for g in self.default],
                [ox.NamedNode(g) for g in named if g != _PUBLIC])


_PUBLIC = GRAPH.public.value
PUBLIC_DATA = ox.DefaultGraph()  # where GRAPH.public's quads are stored


PUBLIC = Dataset((GRAPH.public.value,))
ADMIN = Dataset((GRAPH.public.value, GRAPH.restricted.value))


class Store(Protocol):
    def query(self, sparql: str, *, dataset: Dataset = PUBLIC, substitutions: dict | None = None) -> Any: ...

    def update(self, sparql: str) -> None: ...

    def load(self, quads: list[ox.Quad]) -> None: ...

    def generation(self) -> int: ...


def term(node: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """N-Triples form of a term, for SPARQL text built from validated pyoxigraph terms."""
    return str(node)


class OxigraphStore:
    """An embedded pyoxigraph store, on disk (``path``) or in memory (``path=None``).

    ``read_only``: a snapshot of an on-disk store as it is when opened, which never writes (not
    even RocksDB's compactions, which delete files other read-only snapshots still read)."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        try:
            if path is not None and not read_only:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            if read_only:
                self._store = ox.Store.read_only(str(path))
            else:
                self._store = ox.Store(str(path)) if path is not None else ox.Store()
        except OSError as exc:
            raise LdError(f"cannot open the store at {path}: {exc}") from exc
        self.path = path
        self._write_lock = Lock()  # one writer at a time; readers never wait
        # Every write to an on-disk store goes through this object (Oxigraph lets one process open
        # it, and this process opens it once), so the generation is read from the store only after
        # our own writes: generation() is then an attribute read, not a RocksDB look-up on every
        # request (it was half of a response-cache hit's time in the app).
        self._generation = self._read_generation()

    def query(self, sparql: str, *, dataset: Dataset = PUBLIC, substitutions: dict | None = None) -> Any:
        default, named = dataset.nodes()
        try:
            return self._store.query(
                sparql,
                prefixes=PREFIXES,
                default_graph=default,
                named_graphs=named,
                substitutions=substitutions,
            )
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        except (RuntimeError, OSError) as exc:  # unsupported function, bad substitution, SERVICE failure
            raise QueryError(f"cannot evaluate the query: {exc}") from exc

    def update(self, sparql: str) -> None:
        with self._write_lock:
            try:
                self._store.update(_with_generation_bump(sparql), prefixes=PREFIXES)
            except SyntaxError as exc:
                raise QueryError(f"SPARQL syntax error: {exc}") from exc
            except RuntimeError as exc:
                raise QueryError(f"cannot run the update: {exc}") from exc
            finally:
                self._generation = self._read_generation()

    def load(self, quads: list[ox.Quad]) -> None:
        """Add quads atomically (much cheaper than INSERT DATA text for new records)."""
        with self._write_lock:
            try:
                self._store.extend(quads)
                self._store.update(_with_generation_bump("INSERT DATA {}"))
            finally:
                self._generation = self._read_generation()

    def generation(self) -> int:
        return self._generation

    def _read_generation(self) -> int:
        for quad in self._store.quads_for_pattern(STORE_NODE, LEI.generation, None, META):
            return int(quad.object.value)
        return 0

    def meta(self, key: ox.NamedNode) -> str | None:
        for quad in self._store.quads_for_pattern(STORE_NODE, key, None, META):
            return quad.object.value
        return None

    def set_meta(self, key: ox.NamedNode, value: str) -> None:
        self.update(
            f"DELETE WHERE {{ GRAPH {term(META)} {{ {term(STORE_NODE)} {term(key)} ?v }} }};\n"
            f"INSERT DATA {{ GRAPH {term(META)} {{ {term(STORE_NODE)} {term(key)} {term(ox.Literal(value))} }} }}"
        )

    def named_graphs(self) -> list[str]:
        return [g.value for g in self._store.named_graphs()]

    def flush(self) -> None:
        self._store.flush()


def _with_generation_bump(sparql: str) -> str:
    """The update plus the bump of the write generation, in the same transaction.

    The newline keeps a trailing ``# comment`` from swallowing the separator; an update may end
    with its own optional ``;``."""
    body = sparql.rstrip()
    if body.endswith(";"):
        body = body[:-1]
    return (
        f"{body}\n;\n"
        f"DELETE {{ GRAPH {term(META)} {{ {term(STORE_NODE)} {term(LEI.generation)} ?g }} }}\n"
        f"INSERT {{ GRAPH {term(META)} {{ {term(STORE_NODE)} {term(LEI.generation)} ?next }} }}\n"
        f"WHERE {{ OPTIONAL {{ GRAPH {term(META)} {{ {term(STORE_NODE)} {term(LEI.generation)} ?g }} }}"
        f" BIND(COALESCE(?g + 1, 1) AS ?next) }}"
    )


def insert_data(quads: Iterable[ox.Quad]) -> str:
    """An ``INSERT DATA`` block for the given quads."""
    by_graph: dict[Any, list[str]] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name, []).append(f"{term(q.subject)} {term(q.predicate)} {term(q.object)} .")
    blocks = "\n".join(
        "\n".join(lines) if isinstance(g, ox.DefaultGraph) else f"GRAPH {term(g)} {{\n" + "\n".join(lines) + "\n}"
        for g, lines in by_graph.items()
    )
    return f"INSERT DATA {{\n{blocks}\n}}"
