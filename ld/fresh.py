"""Loading into a store that does not exist yet: built aside with bulk writes, then moved into place.

Oxigraph's bulk loader writes index files directly instead of going through transactions, at
about twice the speed, but a crash in the middle leaves whatever it had written. A new store is
therefore built in ``<path>.partial`` and renamed to ``<path>`` only once it is complete: at any
moment there is either no store at ``path`` or a complete one, never half-written data. A
``.partial`` directory left by an interrupted load is discarded by the next one. A store of an
older layout is rebuilt the same way (:func:`upgrade_layout`).
"""
from __future__ import annotations

import fcntl
import gc
import os
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox

from ld.errors import LdError
from ld.store import PUBLIC_DATA, OxigraphStore
from ld.vocab import GRAPH, LEI, SCHEMA


class LoadingStore(OxigraphStore):
    """A store opened for one load, released when the load is done (whoever still holds it)."""

    def close(self) -> None:
        """Release the store's files (Oxigraph closes a store when its last reference goes)."""
        del self._store
        gc.collect()


class FreshStore(LoadingStore):
    """A store nobody else sees yet, built by one load: the loader may add to it with bulk writes,
    and it can tell which records it holds without asking Oxigraph about most of them.

    Additions are collected and bulk-loaded some megabytes at a time, in a thread, while the loader
    goes on: Oxigraph writes index files for every bulk load, and many small ones cost a third
    more to write and make every later read slower. Queries do not see what is :meth:`pending`;
    updates and :meth:`flush` load it first. The loader asks after every batch which records the
    store has: a look-up in Oxigraph costs 25-200 us (more as bulk loads pile up index files), and
    a SPARQL ``VALUES`` join scans every ``lei:record`` triple. So the store keeps a Bloom filter of
    every record ever added, and the last_modified_time of the records the loader says will come
    again (what events embed: images, places...): only the others it may have are looked up.
    """

    chunk = 32 << 20  # bytes of N-Quads a bulk load
    lookup_cost = 50  # a look-up in Oxigraph costs as much as reading this many records in one pass

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._data: list[bytes] = []
        self._size = 0
        self._collected: dict[str, str | None] = {}  # record IRI -> its last_modified_time
        self._loading: dict[str, str | None] = {}    # the same, of the bulk load in flight
        self._added = _BloomFilter()
        self._records = 0  # added, replacements included
        self._remembered: dict[str, str | None] = {}  # record IRI -> last_modified_time of its latest version
        # Oxigraph's bulk load releases the GIL: the loader goes on with the next batches meanwhile.
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="bulk-load")
        self._in_flight: Future | None = None

    def add_nquads(self, data: bytes, records: dict[str, str | None], remembered: Iterable[str] = ()) -> None:
        """Add N-Quads we serialized ourselves (lenient: the terms were checked when made), the
        whole of the given records (IRI -> last_modified_time), of which ``remembered`` are likely
        to come again (as copies embedded in other records). Blank node labels must be unique to a
        record (``ld.expansion`` makes them so)."""
        self._data.append(data)
        self._size += len(data)
        self._records += len(records)
        self._collected.update(records)
        for iri in records:
            self._added.add(iri)
            if iri in self._remembered:
                self._remembered[iri] = records[iri]
        for iri in remembered:
            self._remembered[iri] = records[iri]
        if self._size >= self.chunk:
            self.load_pending(wait=False)

    def pending(self, iri: str) -> bool:
        """Whether the record was added but is not (completely) in Oxigraph yet."""
        return iri in self._collected or iri in self._loading

    def load_pending(self, *, wait: bool = True) -> None:
        """Bulk-load what was collected; return once everything is in, unless ``wait`` is False."""
        self._wait()
        if self._data:
            data = b"".join(self._data)
            self._in_flight = self._loader.submit(self._store.bulk_load, data, format=ox.RdfFormat.N_QUADS, lenient=True)
            self._loading, self._collected = self._collected, {}
            self._data, self._size = [], 0
        if wait:
            self._wait()

    def _wait(self) -> None:
        if self._in_flight is not None:
            try:
                self._in_flight.result()
            finally:
                self._in_flight = None
                self._loading = {}

    def update(self, sparql: str) -> None:
        self.load_pending()
        super().update(sparql)

    def flush(self) -> None:
        self.load_pending()
        super().flush()

    def close(self) -> None:
        self._loader.shutdown(wait=True)  # a bulk load in flight still holds the store
        super().close()

    def compact(self) -> None:
        """Merge the files the bulk loads wrote. A read looks into every file whose keys span
        what it reads, and Oxigraph merges files only as later writes go on, which a loaded store
        may never get: unmerged, the benchmark's list queries took 1.6 times as long at 200,000
        events (15 ms instead of 9). Merging costs 13-18 s there (about a minute at 1,000,000), and
        the side-index build that follows is 8 s faster."""
        self.load_pending()
        self._store.optimize()

    def modified_times(self, iris: list[str]) -> dict[str, str | None]:
        """last_modified_time of those of the records the store has (None: it has one without)."""
        known: dict[str, str | None] = {}
        for iri in iris:
            if iri not in self._added:
                continue
            for memory in (self._collected, self._loading, self._remembered):
                if iri in memory:
                    known[iri] = memory[iri]
                    break
            else:
                self._look_up(iri, known)
        return known

    def _look_up(self, iri: str, known: dict[str, str | None]) -> None:
        node = ox.NamedNode(iri)
        if self._in_our_graphs(node, LEI.record, node):
            known[iri] = next((q.object.value for q in self._store.quads_for_pattern(node, _MODIFIED, None)
                               if q.graph_name in _GRAPHS), None)

    def records_among(self, iris: list[str]) -> list[str]:
        """Those of the records the store has."""
        return list(self.modified_times(iris))

    def missing(self, iris: Iterable[str]) -> set[str]:
        """Those of the records the store does not have. When there are many to look up, by one
        pass over the store's records instead."""
        self.load_pending()
        unsure = {i for i in iris if i in self._added}
        missing = set(iris) - unsure
        if len(unsure) * self.lookup_cost < self._records:
            return missing | (unsure - set(self.records_among(list(unsure))))
        rows = self._store.query(f"SELECT ?e WHERE {{ {{ ?e {LEI.record} ?e }} UNION {{ GRAPH {GRAPH.restricted} {{ ?e {LEI.record} ?e }} }} }}")
        unsure.difference_update(row["e"].value for row in rows if isinstance(row["e"], ox.NamedNode))
        return missing | unsure

    def remove_records(self, iris: list[str]) -> None:
        """Remove every node of the given records from every graph, like ``ld.rdf.delete_records``
        but by index look-ups, quad by quad: nobody sees this store yet, so the removal needs no
        transaction. Pending additions are loaded first only if they hold one of the records."""
        if any(self.pending(i) for i in iris):
            self.load_pending()
        self._wait()  # no removal while Oxigraph ingests a bulk load
        nodes = {q.subject for i in iris for q in self._store.quads_for_pattern(None, LEI.record, ox.NamedNode(i))}
        for quad in [q for node in nodes for q in self._store.quads_for_pattern(node, None, None)]:
            self._store.remove(quad)

    def _in_our_graphs(self, s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode) -> bool:
        return any(q.graph_name in _GRAPHS for q in self._store.quads_for_pattern(s, p, o))


_MODIFIED = SCHEMA.dateModified
_GRAPHS = (PUBLIC_DATA, GRAPH.restricted)


class _BloomFilter:
    """A set of strings that may answer "yes" wrongly (about once in 10^5 for two million
    strings), never "no": the cheap first half of a look-up."""

    _BITS = 1 << 27  # 16 MB

    def __init__(self) -> None:
        self._bits = bytearray(self._BITS >> 3)

    def _positions(self, value: str) -> list[int]:
        h = hash(value)  # salted per process: the filter never leaves this one
        h1, h2 = h & (self._BITS - 1), (h >> 27) | 1
        return [(h1 + i * h2) & (self._BITS - 1) for i in range(4)]

    def add(self, value: str) -> None:
        for p in self._positions(value):
            self._bits[p >> 3] |= 1 << (p & 7)

    def __contains__(self, value: str) -> bool:
        return all(self._bits[p >> 3] & (1 << (p & 7)) for p in self._positions(value))


def older_layout(path: str | Path) -> bool:
    """Whether the store at ``path`` keeps its public data in a named graph, as it was before
    2026-12-06 (see ``ld.store``), or was left moved aside by an interrupted rebuild: whether
    :func:`upgrade_layout` has work to do. Only reads."""
    target = Path(path)
    if not target.exists() and _aside(target).exists():
        return True
    if not (target / "CURRENT").exists():
        return False
    return next(ox.Store.read_only(str(target)).quads_for_pattern(None, None, None, GRAPH.public), None) is not None


def upgrade_layout(path: str | Path) -> bool:
    """Rebuild a store of the :func:`older_layout`; returns whether it did. Moving the quads inside
    the store took 72 s for 20,000 events (Oxigraph removes a graph quad by quad): the store is
    copied aside with the public graph's quads in the default graph, in one bulk load, and moved
    into place. An interrupted rebuild leaves the old store, or the new one with the old beside it
    (``<path>.old``, put back by the next call if the new one never got into place).

    Two commands opening the same old store rebuild it once: the second waits for the first, then
    finds the store current. A store another process has open (a server of the older code) is not
    rebuilt under it: that is an LdError."""
    target = Path(path)
    if not older_layout(target):
        return False
    with _one_at_a_time(target.parent):
        old = _aside(target)
        if old.exists() and not target.exists():
            old.rename(target)
        if not older_layout(target):
            return False  # rebuilt by another process while this one waited
        try:
            source = ox.Store(str(target))  # read-write: nobody else opens it while it is copied
        except OSError as exc:
            raise LdError(f"the store at {target} must be rebuilt for this version, but another process has "
                          f"it open ({exc}); stop that process and try again") from None
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        rebuilt = ox.Store(str(partial))
        rebuilt.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) if q.graph_name == GRAPH.public else q
                            for q in source.quads_for_pattern(None, None, None))
        rebuilt.optimize()
        # Closed before the moves: RocksDB makes its files by path, and would make them in the new store.
        del rebuilt, source
        gc.collect()  # Oxigraph closes a store when its last reference goes
        side_index = target / "side-index.pickle"  # the same data and generation: still valid
        if side_index.exists():
            shutil.copy2(side_index, partial / side_index.name)
        target.rename(old)
        partial.rename(target)
        shutil.rmtree(old)
        return True


def _aside(target: Path) -> Path:
    return target.with_name(target.name + ".old")


@contextmanager
def _one_at_a_time(directory: Path) -> Iterator[None]:
    """An exclusive advisory lock on a directory (no file is left behind), held by one process at
    a time and released when the process dies."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def store_for_loading(path: str | Path) -> Iterator[OxigraphStore]:
    """The store at ``path`` if there is one; else a :class:`FreshStore` published at ``path``
    when the block completes, and discarded when it raises. Either is closed after the block, so
    that the path can be opened again in this process."""
    target = Path(path)
    upgrade_layout(target)
    if target.exists():
        store = LoadingStore(target)
        try:
            yield store
        finally:
            store.close()
        return
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    fresh = FreshStore(partial)
    try:
        yield fresh
        fresh.update("INSERT DATA {}")  # bulk additions bump no write generation: one bump for all
        fresh.compact()
        fresh.flush()
    except BaseException:
        fresh.close()
        shutil.rmtree(partial, ignore_errors=True)
        raise
    fresh.close()
    partial.rename(target)
