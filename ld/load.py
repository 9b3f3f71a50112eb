"""The load pipeline: records -> normalized JSON-LD -> triples -> SHACL -> store.

Records are processed in batches; each batch is written with one atomic update (delete the old
version of every record, insert the new), so a crash leaves the store as it was before the
batch, and a record loaded twice is replaced, never duplicated. An invalid record is reported
and skipped; its valid neighbours are loaded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import pyoxigraph as ox

from ld import shacl
from ld.errors import InvalidRecord, LdError
from ld.inputs import Item
from ld.iris import Iris
from ld.model import REF, URL
from ld.rdf import delete_records, expand, expand_batch, is_public, record_quads
from ld.records import Normalizer, Record
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


@dataclass
class _Pending:
    record: Record
    source: str


class Loader:
    """Loads records into a store, batch by batch."""

    def __init__(self, store: Store, iris: Iris, *, validate: bool = True, batch: int = BATCH) -> None:
        self.store = store
        self.iris = iris
        self.normalizer = Normalizer(iris)
        self.validate = validate
        self.batch = batch
        self._private_sources = self._query_private_sources()
        self._referenced: dict[str, str] = {}  # target IRI -> first record referring to it

    def load(self, items: Iterable[Item], report: Report | None = None, progress: Callable[[int], None] | None = None) -> Report:
        report = report or Report()
        pending: list[_Pending] = []
        for item in items:
            if isinstance(item.record, InvalidRecord):
                report.rejected.append(item.record)
                continue
            if _is_division_helper(item.record):
                report.skipped += 1  # gen_events.py's division.jsonl: places carry their divisions
                continue
            try:
                pending.extend(_Pending(r, item.source) for r in self.normalizer.normalize(item.record, hint=item.hint))
            except InvalidRecord as exc:
                report.rejected.append(_located(exc, item.source))
            if len(pending) >= self.batch:
                self._write(pending, report)
                pending = []
                if progress:
                    progress(report.total + len(report.rejected))
        if pending:
            self._write(pending, report)
        self._warn_dangling(report)
        if progress:
            progress(report.total + len(report.rejected))
        return report

    def _write(self, pending: list[_Pending], report: Report) -> None:
        pending = self._drop_stale_embedded(pending, report)
        by_record = self._expand(pending, report)
        quads: list[ox.Quad] = []
        written: list[Record] = []
        for p in pending:
            record = p.record
            triples = by_record.get(record.iri)
            if triples is None:
                continue
            try:
                if self.validate:
                    shacl.check(record, triples)
            except InvalidRecord as exc:
                report.rejected.append(_located(exc, p.source))
                continue
            if record.resource.name == "data_source" and record.document.get("private"):
                self._private_sources = self._private_sources | {record.id}
            quads.extend(record_quads(record, triples, public=is_public(record, self._private_sources)))
            written.append(record)
            self._remember_references(record)
        if not written:
            return
        if self._any_exists(r.iri for r in written):
            self.store.update(delete_records(r.iri for r in written) + " ;\n" + insert_data(quads))
        else:
            self.store.load(quads)  # all new: one atomic add, no old versions to remove
        for r in written:
            report.loaded[r.resource.name] = report.loaded.get(r.resource.name, 0) + 1

    def _expand(self, pending: list[_Pending], report: Report) -> dict[str, list[ox.Triple]]:
        """Expand the batch in one go; if that fails, record by record to find the culprit."""
        try:
            return expand_batch([p.record for p in pending])
        except (SyntaxError, ValueError):
            pass
        out: dict[str, list[ox.Triple]] = {}
        for p in pending:
            try:
                out[p.record.iri] = expand(p.record)
            except (SyntaxError, ValueError) as exc:
                report.rejected.append(InvalidRecord(p.record.id, None, f"not valid JSON-LD ({exc}) ({p.source})"))
        return out

    def _any_exists(self, iris: Iterable[str]) -> bool:
        values = " ".join(term(ox.NamedNode(i)) for i in iris)
        return bool(self.store.query(f"ASK {{ VALUES ?e {{ {values} }} ?e {term(LEI.record)} ?e }}", dataset=ADMIN))

    def _drop_stale_embedded(self, pending: list[_Pending], report: Report) -> list[_Pending]:
        """An entity that arrived expanded inside another record (an event's image) is loaded only
        when nothing newer is known: a stand-alone record always wins over an embedded copy."""
        # A record given twice in one batch: the last copy wins, as if loaded one after the other.
        last = {p.record.iri: i for i, p in enumerate(pending) if not p.record.embedded}
        pending = [p for i, p in enumerate(pending) if p.record.embedded or last[p.record.iri] == i]
        standalone = set(last)
        embedded = [p for p in pending if p.record.embedded]
        if not embedded:
            return pending
        known = self._modified_times([p.record.iri for p in embedded if p.record.iri not in standalone])
        keep: list[_Pending] = []
        seen: set[str] = set()
        for p in pending:
            r = p.record
            if r.embedded:
                stale = r.iri in standalone or r.iri in seen or (
                    r.iri in known and (known[r.iri] or "") >= (r.document.get("last_modified_time") or "")
                )
                if stale:
                    report.skipped += 1
                    continue
            seen.add(r.iri)
            keep.append(p)
        return keep

    def _modified_times(self, iris: list[str]) -> dict[str, str | None]:
        if not iris:
            return {}
        values = " ".join(term(ox.NamedNode(i)) for i in iris)
        rows = self.store.query(
            f"SELECT ?e ?m WHERE {{ VALUES ?e {{ {values} }} ?e a ?type . OPTIONAL {{ ?e {term(SCHEMA.dateModified)} ?m }} }}",
            dataset=ADMIN,
        )
        return {row["e"].value: _iso(row["m"]) for row in rows}

    def _remember_references(self, record: Record) -> None:
        doc = record.document
        for f in record.resource.all_fields:
            value = doc.get(f.key)
            if value is None or f.kind not in (REF, URL):
                continue
            for v in value if isinstance(value, list) else [value]:
                iri = v["@id"] if isinstance(v, dict) else v
                self._referenced.setdefault(iri, record.id)

    def _warn_dangling(self, report: Report) -> None:
        iris = list(self._referenced)
        for start in range(0, len(iris), 1000):
            chunk = iris[start : start + 1000]
            values = " ".join(term(ox.NamedNode(i)) for i in chunk)
            present = {
                row["e"].value
                for row in self.store.query(f"SELECT DISTINCT ?e WHERE {{ VALUES ?e {{ {values} }} ?e a ?t }}", dataset=ADMIN)
            }
            for iri in chunk:
                if iri not in present:
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


def _iso(node: ox.Literal | None) -> str | None:
    return node.value if node is not None else None


def _located(exc: InvalidRecord, source: str) -> InvalidRecord:
    if source in exc.detail:
        return exc
    return InvalidRecord(exc.record_id, exc.path, f"{exc.message} ({source})")


def _is_division_helper(record: object) -> bool:
    return isinstance(record, dict) and "ocd_id" in record and "id" not in record and "@type" not in record


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
