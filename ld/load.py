"""The load pipeline: records -> normalized JSON-LD -> triples -> SHACL -> store.

Records are processed in batches, prepared by ``ld.pipeline`` (in worker processes for a large
load); each batch is written with one atomic update (delete the old
version of every record, insert the new), so a crash leaves the store as it was before the
batch, and a record loaded twice is replaced, never duplicated. An invalid record is reported
and skipped; its valid neighbours are loaded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox

from ld.errors import InvalidRecord, LdError
from ld.fresh import FreshStore
from ld.inputs import Item
from ld.iris import Iris
from ld.pipeline import Batch, Prepared, Preparer, Workers
from ld.rdf import delete_records
from ld.store import ADMIN, Store, insert_data, term
from ld.vocab import LE, LEI, SCHEMA

BATCH = 500


@dataclass
class Report:
    loaded: dict[str, int] = field(default_factory=dict)
    rejected: list[InvalidRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0  # embedded copies older than what the store has, helper records

    @property
    def total(self) -> int:
        return sum(self.loaded.values())


class Loader:
    """Loads records into a store, batch by batch.

    ``workers`` > 0 prepares batches (normalize, expand, validate) in that many processes while
    this one writes; the store sees the same batches in the same order either way.
    """

    def __init__(self, store: Store, iris: Iris, *, validate: bool = True, batch: int = BATCH, workers: int = 0) -> None:
        self.store = store
        self.iris = iris
        self.preparer = Preparer(iris, validate=validate)
        self.batch = batch
        self.workers = workers
        self._private_sources = self._query_private_sources()
        self._referenced: dict[str, str] = {}  # target IRI -> first record referring to it

    def load(self, items: Iterable[Item], report: Report | None = None, progress: Callable[[int], None] | None = None) -> Report:
        report = report or Report()
        prepared = Workers(self.preparer, self.workers).run(self._batches(items, report), lambda: self._private_sources)
        for batch_items, batch in prepared:
            if not self._write(batch, report):
                # Prepared before an earlier batch made one of its data sources private: redo it here.
                self._write(self.preparer.prepare(batch_items, self._private_sources), report)
            if progress:
                progress(report.total + len(report.rejected))
        if isinstance(self.store, FreshStore):
            self.store.load_pending(wait=False)  # the last bulk load goes on while references are checked
        self._warn_dangling(report)
        if isinstance(self.store, FreshStore):
            self.store.load_pending()
        return report

    def _batches(self, items: Iterable[Item], report: Report) -> Iterator[list[Item]]:
        """Batches of parsed input; input that did not parse is reported as it is read."""
        batch: list[Item] = []
        for item in items:
            if isinstance(item.record, InvalidRecord):
                report.rejected.append(item.record)
                continue
            batch.append(item)
            if len(batch) >= self.batch:
                yield batch
                batch = []
        if batch:
            yield batch

    def _write(self, batch: Batch, report: Report) -> bool:
        """Write a prepared batch in one atomic step (into a FreshStore: with bulk writes); False (and
        nothing done) when it was prepared under another assumption about private data sources
        than the one in force."""
        known = self._modified_times([r.iri for r in batch.records if r.embedded])
        # An embedded copy is loaded only when the store has nothing newer.
        kept = [r for r in batch.records
                if not (r.embedded and r.iri in known and (known[r.iri] or "") >= (r.modified or ""))]
        private = self._private_sources
        written: list[Prepared] = []
        for r in kept:
            if r.rejected is None:
                if (r.data_source in private) != r.assumed_private:
                    return False
                if r.private_source:
                    private = private | {r.id}
                written.append(r)
        report.rejected.extend(InvalidRecord(*r) for r in batch.rejected)
        report.rejected.extend(InvalidRecord(*r.rejected) for r in kept if r.rejected is not None)
        report.skipped += batch.skipped + len(batch.records) - len(kept)
        self._private_sources = private
        if not written:
            return True
        data = b"".join(r.quads for r in written)
        replaced = self._existing([r.iri for r in written])
        if isinstance(self.store, FreshStore):
            # Nobody sees this store before it is complete: no need for one transaction a batch.
            if replaced:
                self.store.remove_records(replaced)
            # Events are most of any data set and seldom embedded; what they embed comes again.
            self.store.add_nquads(data, {r.iri: r.modified for r in written},
                                  [r.iri for r in written if r.embedded or r.resource != "event"])
        else:
            # Blank node labels are unique to a load, not to the store's history: fresh ones.
            quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=True))
            if replaced:
                self.store.update(delete_records(replaced) + " ;\n" + insert_data(quads))
            else:
                self.store.load(quads)  # all new: one atomic add, no old versions to remove
        for r in written:
            report.loaded[r.resource] = report.loaded.get(r.resource, 0) + 1
            for iri in r.references:
                self._referenced.setdefault(iri, r.id)
        return True

    def _existing(self, iris: list[str]) -> list[str]:
        """Those of the records the store has."""
        if isinstance(self.store, FreshStore):
            return self.store.records_among(iris)
        if not iris:
            return []
        values = " ".join(term(ox.NamedNode(i)) for i in iris)
        rows = self.store.query(f"SELECT DISTINCT ?e WHERE {{ VALUES ?e {{ {values} }} ?e {term(LEI.record)} ?e }}",
                                dataset=ADMIN)
        return [row["e"].value for row in rows]

    def _modified_times(self, iris: list[str]) -> dict[str, str | None]:
        """last_modified_time of those records the store has (None: it has the record without one)."""
        if isinstance(self.store, FreshStore):
            return self.store.modified_times(iris)
        if not iris:
            return {}
        values = " ".join(term(ox.NamedNode(i)) for i in iris)
        # Two plain joins: one with an OPTIONAL costs Oxigraph ten times more.
        rows = self.store.query(f"SELECT ?e ?m WHERE {{ VALUES ?e {{ {values} }} ?e {term(SCHEMA.dateModified)} ?m }}",
                                dataset=ADMIN)
        known: dict[str, str | None] = {row["e"].value: row["m"].value for row in rows}
        known.update((i, None) for i in self._existing([i for i in iris if i not in known]))
        return known

    def _warn_dangling(self, report: Report) -> None:
        if isinstance(self.store, FreshStore):
            absent = self.store.missing(self._referenced)
        else:
            iris = list(self._referenced)
            absent = set(iris)
            for start in range(0, len(iris), 1000):
                absent.difference_update(self._existing(iris[start : start + 1000]))
        for iri in self._referenced:
            if iri in absent:
                parsed = Iris.parse(iri)
                what = f"{parsed[0]} {parsed[1]}" if parsed else iri
                report.warnings.append(f"{self._referenced[iri]}: refers to {what}, which is not in the store (reference kept)")
        self._referenced.clear()

    def _query_private_sources(self) -> frozenset[str]:
        rows = self.store.query(
            f"SELECT ?id WHERE {{ ?s a {term(LE.DataSource)} ; {term(LE.private)} true ; {term(SCHEMA.identifier)} ?id }}",
            dataset=ADMIN,
        )
        return frozenset(row["id"].value for row in rows)


def public_graph_iri(graph: str) -> ox.NamedNode:
    """A graph IRI that plain RDF may be loaded into: absolute, and not one of ours."""
    from ld.vocab import GRAPH

    try:
        target = ox.NamedNode(graph)
    except ValueError:
        raise LdError(f"--graph {graph!r} is not an absolute IRI, e.g. --graph http://www.yso.fi/onto/yso/") from None
    if graph.startswith(GRAPH.iri):
        raise LdError(f"--graph {graph} is reserved for the Linked Events data itself; choose another IRI")
    return target


def load_graph(store: Store, graph: str, paths: list, *, format_name: str | None = None) -> int:
    """Load plain RDF files as-is into one public named graph, replacing what it held.

    For vocabularies and reference data (YSO, test suites) that are not Linked Events records.
    The whole graph is replaced in one atomic step. Returns the number of quads loaded.
    """
    from ld.formats import RDF_FORMATS, by_extension, by_name

    target = public_graph_iri(graph)
    quads: list[ox.Quad] = []
    for path in paths:
        fmt = by_name(format_name, RDF_FORMATS) if format_name else by_extension(str(path))
        if fmt is None:
            raise LdError(f"{path}: cannot tell the RDF format; name it with --format (ttl, nt, nq, rdf, jsonld)")
        try:
            with open(path, "rb") as data:
                parsed = ox.parse(data, format=fmt.rdf, base_iri=graph, without_named_graphs=False)
                quads.extend(ox.Quad(q.subject, q.predicate, q.object, target) for q in parsed)
        except (SyntaxError, ValueError, OSError) as exc:
            raise LdError(f"{path}: not valid {fmt.name} ({exc})") from exc
    store.update(f"CLEAR SILENT GRAPH {term(target)} ;\n" + insert_data(quads) if quads else f"CLEAR SILENT GRAPH {term(target)}")
    return len(quads)
