"""Input records -> records ready to write: normalized, expanded, validated, placed in graphs.

This is the CPU-heavy part of loading and needs nothing from the store, so the loader can run it
in worker processes (:class:`Workers`) while it writes the previous batches itself. What does
need the store (is an embedded copy older than what the store has? does a record replace one?)
is left to the loader: a :class:`Prepared` record carries what that decision needs.

Which graph a record goes to depends on which data sources are private, which earlier batches
may change. :meth:`Preparer.prepare` therefore takes the private sources it assumes and says, per
record, what it assumed, so that the loader can redo a batch prepared under a stale assumption.
"""
from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Callable, Iterable, Iterator

from ld import shacl
from ld.errors import InvalidRecord
from ld.expansion import Triple
from ld.inputs import Item
from ld.iris import Iris
from ld.model import REF, URL
from ld.rdf import expand, expand_batch, is_public, record_nquads
from ld.records import Normalizer, Record

# (record id, JSON key, message): an InvalidRecord as it crosses a process boundary (exceptions
# with keyword-only constructors do not pickle).
Rejection = tuple


@dataclass
class Prepared:
    """One record of a batch, in input order: its quads, or why it was rejected."""

    iri: str
    id: str
    resource: str
    embedded: bool
    modified: str | None              # last_modified_time: an embedded copy older than the store's is skipped
    quads: bytes = b""                # N-Quads of the record in its graphs
    rejected: Rejection | None = None
    data_source: str | None = None
    assumed_private: bool = False     # whether its data source was taken to be private
    private_source: bool = False      # it is a data source marked private
    references: tuple[str, ...] = ()  # IRIs it refers to, for the dangling-reference warnings


@dataclass
class Batch:
    records: list[Prepared] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)  # input that did not normalize
    skipped: int = 0  # older copies within the batch, helper records


def rejection(exc: InvalidRecord, source: str) -> Rejection:
    message = exc.message if source in exc.detail else f"{exc.message} ({source})"
    return (exc.record_id, exc.path, message)


class Preparer:
    """Prepares batches of input items for one base URL."""

    def __init__(self, iris: Iris, *, validate: bool = True) -> None:
        self.iris = iris
        self.normalizer = Normalizer(iris)
        self.validate = validate

    def prepare(self, items: list[Item], private_sources: frozenset[str]) -> Batch:
        batch = Batch()
        pending: list[tuple[Record, str]] = []
        for item in items:
            item = item.parsed()
            if isinstance(item.record, InvalidRecord):
                batch.rejected.append(rejection(item.record, item.source))
                continue
            if _is_division_helper(item.record):
                batch.skipped += 1  # gen_events.py's division.jsonl: places carry their divisions
                continue
            try:
                pending.extend((r, item.source) for r in self.normalizer.normalize(item.record, hint=item.hint))
            except InvalidRecord as exc:
                batch.rejected.append(rejection(exc, item.source))
        pending = _newest_in_batch(pending, batch)
        by_record = self._expand(pending)
        private = private_sources
        for record, source in pending:
            doc = record.document
            prepared = Prepared(record.iri, record.id, record.resource.name, record.embedded,
                                doc.get("last_modified_time"), data_source=doc.get("data_source"))
            batch.records.append(prepared)
            triples = by_record.get(record.iri)
            if isinstance(triples, InvalidRecord):
                prepared.rejected = rejection(triples, source)
                continue
            try:
                if self.validate:
                    shacl.check(record, triples)
            except InvalidRecord as exc:
                prepared.rejected = rejection(exc, source)
                continue
            prepared.assumed_private = prepared.data_source in private
            if record.resource.name == "data_source" and doc.get("private"):
                prepared.private_source = True
                private = private | {record.id}
            prepared.quads = record_nquads(record, triples, public=is_public(record, private))
            prepared.references = _references(record)
        return batch

    @staticmethod
    def _expand(pending: list[tuple[Record, str]]) -> dict[str, list[Triple] | InvalidRecord]:
        """Expand the batch in one go; if that fails, record by record to find the culprit."""
        try:
            return expand_batch([r for r, _ in pending])
        except (SyntaxError, ValueError):
            pass
        out: dict[str, list[Triple] | InvalidRecord] = {}
        for record, _ in pending:
            try:
                out[record.iri] = expand(record)
            except (SyntaxError, ValueError) as exc:
                out[record.iri] = InvalidRecord(record.id, None, f"not valid JSON-LD ({exc})")
        return out


def _newest_in_batch(pending: list[tuple[Record, str]], batch: Batch) -> list[tuple[Record, str]]:
    """A record given twice in one batch: the last copy wins, as if loaded one after the other.
    An entity that arrived expanded inside another record (an event's image) is dropped when the
    batch has it stand-alone or already had it: a stand-alone record always wins over an embedded
    copy. (Whether the store has a newer copy is the loader's to check.)"""
    last = {r.iri: i for i, (r, _) in enumerate(pending) if not r.embedded}
    keep: list[tuple[Record, str]] = []
    seen: set[str] = set()
    for i, (r, source) in enumerate(pending):
        if r.embedded:
            if r.iri in last or r.iri in seen:
                batch.skipped += 1
                continue
        elif last[r.iri] != i:
            continue
        seen.add(r.iri)
        keep.append((r, source))
    return keep


def _references(record: Record) -> tuple[str, ...]:
    doc = record.document
    found: list[str] = []
    for f in record.resource.all_fields:
        value = doc.get(f.key)
        if value is None or f.kind not in (REF, URL):
            continue
        for v in value if isinstance(value, list) else [value]:
            found.append(v["@id"] if isinstance(v, dict) else v)
    return tuple(found)


def _is_division_helper(record: object) -> bool:
    return isinstance(record, dict) and "ocd_id" in record and "id" not in record and "@type" not in record


# --- worker processes ------------------------------------------------------------------------------

_worker: Preparer | None = None


def _start_worker(base_url: str, validate: bool) -> None:
    global _worker
    _worker = Preparer(Iris(base_url), validate=validate)
    # A worker makes millions of short-lived containers and keeps almost none. The cyclic
    # collector, run every 700 of them over everything inherited from the parent, took 15% of
    # its time: what exists now is never collected, and what comes is collected less often.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def _prepare_in_worker(items: list[Item], private_sources: frozenset[str]) -> Batch:
    assert _worker is not None
    return _worker.prepare(items, private_sources)


class Workers:
    """Prepares batches in worker processes, a few batches ahead of the caller, in input order.

    The processes start with the second batch, so a small load never pays for them. They are
    forked: they inherit the compiled shapes and never touch the store (an Oxigraph store open
    before a fork is unsafe only for a child that writes to it).
    """

    def __init__(self, preparer: Preparer, processes: int) -> None:
        self.preparer = preparer
        self.processes = processes

    def run(self, batches: Iterable[list[Item]], private_sources: Callable[[], frozenset[str]]) -> Iterator[tuple[list[Item], Batch]]:
        """Each batch of items with its preparation, which assumed the private sources known when it was sent."""
        batches = iter(batches)
        first = list(islice(batches, 2))
        if self.processes < 1 or len(first) < 2:
            for items in chain(first, batches):
                yield items, self.preparer.prepare(items, private_sources())
            return
        shacl.compiled()  # compiled once here, inherited by every worker
        pool = ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(self.preparer.iris.base, self.preparer.validate),
        )
        ahead: deque[tuple[list[Item], Future[Batch]]] = deque()
        try:
            for items in chain(first, batches):
                ahead.append((items, pool.submit(_prepare_in_worker, items, private_sources())))
                # Bounded, so memory stays flat however large the input; eight batches a process,
                # so the workers go on while the writer waits for a bulk load to finish.
                if len(ahead) > 8 * self.processes:
                    items, future = ahead.popleft()
                    yield items, future.result()
            while ahead:
                items, future = ahead.popleft()
                yield items, future.result()
        finally:
            pool.shutdown(cancel_futures=True)
