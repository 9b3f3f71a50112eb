"""A derived side index of the public event list: list queries at city scale.

Why it exists (measured, see benchmarks/RESULTS.md): with 200,000 events Oxigraph needs 5-20 µs
per row to join, count or hand rows to Python, so any list whose filters match tens of
thousands of events (the default list matches all of them) costs hundreds of milliseconds
just to count, whatever the query shape. Here every event of the public graph is a row
(rows in IRI order, so a row number also breaks ties as ``ORDER BY ... ?e`` does), and a list
query becomes numpy work over those rows: postings of the terms filters look for, columns of
the values they compare, token indexes of the text they search, and sets of events matching
fixed patterns. What to extract is declared by the filter catalog next to each filter's SPARQL
(``ld.filters.catalog.INDEX``); each filter's ``fast`` twin reads it. The differential test
(tests/test_sideindex.py) holds every query of the benchmark mix to the SPARQL templates' answer.

The index is derived from the store only and belongs to one write generation: it is used only
while the store's generation is the one it was built from, so a write can never be answered
from stale data (the SPARQL templates answer until a rebuild for the new generation is done).
An on-disk store keeps the index in a file beside its data (``side-index.pickle`` in the store
directory, written by ``ld load`` and by the server), so a server starts without rebuilding it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import pickle
import re
import threading
import weakref
from array import array
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from ld.store import PUBLIC, OxigraphStore, Store
from ld.times import from_micros, helsinki_seconds_of_day, micros
from ld.tokens import TokenIndex, TokenIndexBuilder, distinct

log = logging.getLogger(__name__)

EMPTY = np.zeros(0, np.int32)


@dataclass(frozen=True)
class IndexSpec:
    """What to extract, each a SPARQL group over the public graph binding ``?e`` (kept when it is
    an event of the list, i.e. with ``lei:listing``) and, but for sets, ``?v``."""

    terms: Mapping[str, str] = field(default_factory=dict)     # key -> group; rows by value of ?v
    instants: Mapping[str, str] = field(default_factory=dict)  # key -> group; ?v an xsd:dateTime
    numbers: Mapping[str, str] = field(default_factory=dict)   # key -> group; ?v a number
    sets: Mapping[str, str] = field(default_factory=dict)      # key -> group; the rows it binds
    texts: Mapping[str, str] = field(default_factory=dict)     # key -> group; ?v text, token-indexed
    # key -> a text key: rows by the lower-cased language tags of those texts' values
    languages: Mapping[str, str] = field(default_factory=dict)
    tables: tuple[str, ...] = ()  # small SELECTs filters read with ``table``: kept ready with the index
    # Run once the index is ready, so that no request waits for what it makes (structures from the
    # tables, sort orders of every event); not part of the fingerprint.
    prepare: Callable[[Store, EventIndex], Any] | None = field(default=None, repr=False, compare=False)

    def fingerprint(self) -> str:
        """Changes with what is extracted: an index file of another version of the code is rebuilt."""
        return hashlib.sha256(repr(self).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Column:
    """One value per row (the smallest if a row has several) and whether it has one."""

    values: np.ndarray
    present: np.ndarray


class EventIndex:
    def __init__(self, store: Store, generation: int, iris: list[str], terms: dict[str, dict[str, np.ndarray]],
                 columns: dict[str, Column], sets: dict[str, np.ndarray], texts: dict[str, TokenIndex],
                 tables: dict[str, list[dict[str, str]]]) -> None:
        self.store = store
        self.generation = generation
        self.tables = tables
        self.iris = iris
        self.n = len(iris)
        self._terms = terms
        self._columns = columns
        self._sets = sets
        self._texts = texts
        self._orders: dict[tuple[str, bool], np.ndarray] = {}
        self._seconds: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    # -- building --------------------------------------------------------------------------
    @classmethod
    def build(cls, store: Store, spec: IndexSpec, *, processes: int = 1) -> EventIndex:
        """Each extraction is one SELECT whose solutions are consumed as the store produces them,
        keeping only row numbers and distinct values (a million events' texts are a gigabyte).
        Most of the time is the store's: it decodes every term it returns, an event's IRI once per
        solution (~5 µs at 200,000 events, ~15 µs at a million, where the lookups miss its
        caches); 26 million solutions at a million events. The groups are not joined with the
        listing key in the store, which would cost a seek per event (five times the query at a
        million events); subjects other than listed events are dropped here. With ``processes``
        > 1, an on-disk store's extractions run in that many processes (half the time on two
        cores; see ``_extract_in_processes``)."""
        generation = store.generation()
        iris, listing = _events(store)
        n = len(iris)
        # Texts first: the largest extractions, so that processes finish together.
        jobs = [*(("texts", key, group, any(of == key for of in spec.languages.values()))
                  for key, group in spec.texts.items()),
                *(("terms", key, group, False) for key, group in spec.terms.items() if group != LISTING),
                *(("instants", key, group, False) for key, group in spec.instants.items()),
                *(("numbers", key, group, False) for key, group in spec.numbers.items()),
                *(("sets", key, group, False) for key, group in spec.sets.items())]
        path = getattr(store, "path", None)
        found = None
        if processes > 1 and path is not None:
            try:
                found = _extract_in_processes(str(path), generation, iris, jobs, processes)
            except (OSError, BrokenProcessPool) as exc:  # e.g. no /dev/shm for the pool's locks
                log.warning("building the side index in %d processes failed (%s); building it here", processes, exc)
        if found is None:
            extractor = _Extractor(store, iris)
            found = [extractor.extract(job) for job in jobs]
        made = {(kind, key): result for (kind, key, _, _), result in zip(jobs, found)}

        terms = {key: _postings(*listing, n) if group == LISTING else made["terms", key]
                 for key, group in spec.terms.items()}
        columns = {key: made["instants", key] for key in spec.instants} | {key: made["numbers", key] for key in spec.numbers}
        sets = {key: made["sets", key] for key in spec.sets}
        texts = {key: made["texts", key][0] for key in spec.texts}
        terms |= {language: made["texts", key][1] for language, key in spec.languages.items()}
        tables = {query: table(store, query) for query in spec.tables}
        return cls(store, generation, iris, terms, columns, sets, texts, tables)

    # -- keeping it on disk ----------------------------------------------------------------
    _FIELDS = ("generation", "iris", "_terms", "_columns", "_sets", "_texts", "tables")

    def save(self, path: Path, spec: IndexSpec) -> None:
        """Write atomically: a reader never sees half a file."""
        partial = path.with_name(path.name + ".partial")
        with open(partial, "wb") as out:
            pickle.dump({"spec": spec.fingerprint(), **{f: getattr(self, f) for f in self._FIELDS}}, out, protocol=5)
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path, store: Store, spec: IndexSpec) -> EventIndex | None:
        """The index kept at ``path``, if it is of the store's current generation and this code's spec."""
        try:
            with open(path, "rb") as source:
                saved = pickle.load(source)  # our own file, written by ``save``
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        if saved.get("spec") != spec.fingerprint() or saved.get("generation") != store.generation():
            return None
        index = cls(store, *(saved[f] for f in cls._FIELDS))
        for query, found in index.tables.items():
            _MEMO.setdefault(store, {})[query] = (index.generation, found)
        return index

    # -- what filters read -----------------------------------------------------------------
    def mask(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n, bool)
        out[rows] = True
        return out

    def everything(self) -> np.ndarray:
        return np.ones(self.n, bool)

    def values(self, key: str) -> list[str]:
        """Every value found under a term key."""
        return list(self._terms[key])

    def has(self, key: str, values: list[str]) -> np.ndarray:
        """Rows with any of the values (IRIs or literals' lexical forms) under a term key."""
        postings = self._terms[key]
        return self.mask(np.concatenate([postings.get(v, EMPTY) for v in values] or [EMPTY]))

    def has_any(self, key: str) -> np.ndarray:
        return self.mask(np.concatenate(list(self._terms[key].values()) or [EMPTY]))

    def column(self, key: str) -> Column:
        return self._columns[key]

    def seconds_of_day(self, key: str) -> np.ndarray:
        """Helsinki time of day of an instant column, in seconds: converted once per index (2M
        instants at 1M events take ~100 ms)."""
        with self._lock:
            found = self._seconds.get(key)
            if found is None:
                found = self._seconds[key] = helsinki_seconds_of_day(self._columns[key].values)
            return found

    def set(self, key: str) -> np.ndarray:
        return self.mask(self._sets[key])

    def text(self, key: str) -> TokenIndex:
        return self._texts[key]

    def lookup(self, query: str) -> list[str]:
        """Values of the one variable a small SELECT projects, evaluated by the store (the places,
        keywords or organizations a filter names: a few, found with the filter's own SPARQL)."""
        return [next(iter(b.values()))["value"] for b in _bindings(self.store, query) if b]

    def figures(self, keys: tuple[str, ...], iris: list[str]) -> dict[str, tuple[int, datetime | None]]:
        """(number of events, latest end) of the events linking to each IRI under any of the keys."""
        end = self._columns["end"]
        out: dict[str, tuple[int, datetime | None]] = {}
        for iri in iris:
            rows = distinct(np.concatenate([self._terms[k].get(iri, EMPTY) for k in keys]))
            ends = end.values[rows][end.present[rows]]
            out[iri] = (len(rows), from_micros(ends.max()) if len(ends) else None)
        return out

    # -- answering -------------------------------------------------------------------------
    def page(self, mask: np.ndarray, order: list[tuple[str, bool]], start: int, size: int) -> tuple[int, list[str]]:
        """(count, IRIs of one page) of the rows in ``mask``, in ``ORDER BY`` order: each key
        (column, descending) in turn, an unbound value the smallest, then the IRI."""
        if len(order) == 1:
            ranked = self.ranked(*order[0])
            hits = ranked[mask[ranked]]
        else:
            hits = np.flatnonzero(mask)
            keys = [hits]
            for key, descending in reversed(order):
                column = self._columns[key]
                values, present = column.values[hits], column.present[hits]
                keys += [-values, ~present] if descending else [values, present]
            hits = hits[np.lexsort(keys)] if len(hits) else hits
        return len(hits), [self.iris[i] for i in hits[start:start + size]]

    def ranked(self, key: str, descending: bool) -> np.ndarray:
        """Every row in ``ORDER BY`` order of one column (kept: pages and SideIndex ask again)."""
        with self._lock:
            ranked = self._orders.get((key, descending))
            if ranked is None:
                column = self._columns[key]
                rows = np.arange(self.n)
                if descending:
                    ranked = np.lexsort((rows, -column.values, ~column.present))
                else:
                    ranked = np.lexsort((rows, column.values, column.present))
                self._orders[(key, descending)] = ranked = ranked.astype(np.int32)  # half the memory
            return ranked


class SideIndex:
    """The event index of a store's current generation, rebuilt when the store changes.

    ``background=True`` (the server): a stale index is rebuilt in a thread and the caller gets
    None meanwhile (and answers with SPARQL). ``background=False``: rebuilt in the caller.
    With a ``path``, every build is saved there and ``warm`` starts from the saved one.
    ``processes`` > 1 builds an on-disk store's index in that many processes (``ld load``, whose
    cores are free then; a server keeps one for its requests)."""

    FILE = "side-index.pickle"

    def __init__(self, store: Store, spec: IndexSpec, *, background: bool = False, path: Path | None = None,
                 processes: int = 1) -> None:
        self.store = store
        self.spec = spec
        self.background = background
        self.path = path
        self.processes = processes
        self._index: EventIndex | None = None
        self._building: threading.Thread | None = None
        self._lock = threading.Lock()

    @classmethod
    def beside(cls, store: Store, spec: IndexSpec, **options: Any) -> SideIndex:
        """The side index of a store, kept in the store's directory when it has one."""
        directory = getattr(store, "path", None)
        return cls(store, spec, path=Path(directory) / cls.FILE if directory else None, **options)

    def current(self) -> EventIndex | None:
        generation = self.store.generation()
        index = self._index
        if index is not None and index.generation == generation:
            return index
        if not self.background:
            with self._lock:
                if self._index is None or self._index.generation != generation:
                    self._index = self._build()
                return self._index if self._index.generation == generation else None
        self._rebuild_in_background()
        return None

    def start(self) -> None:
        """At server start: the saved index if it is fresh, else a build in the background (a
        server must answer at once, and gunicorn would take a long build for a hung worker)."""
        index = EventIndex.load(self.path, self.store, self.spec) if self.path else None
        if index is not None:
            self._index = self._prepared(index)
        else:
            self._rebuild_in_background()

    def _rebuild_in_background(self) -> None:
        with self._lock:
            if self._building is None or not self._building.is_alive():
                self._building = threading.Thread(target=self._rebuild, name="side-index", daemon=True)
                self._building.start()

    def ready(self) -> EventIndex | None:
        """The index if it is of the store's current generation; never builds."""
        index = self._index
        return index if index is not None and index.generation == self.store.generation() else None

    def warm(self) -> EventIndex:
        """The current index now, from the saved file when it is fresh, else built (and saved)."""
        with self._lock:
            index = EventIndex.load(self.path, self.store, self.spec) if self.path else None
            self._index = self._prepared(index) if index else self._build()
            return self._index

    def _build(self) -> EventIndex:
        index = EventIndex.build(self.store, self.spec, processes=self.processes)
        if self.path is not None:
            index.save(self.path, self.spec)
        return self._prepared(index)

    def _prepared(self, index: EventIndex) -> EventIndex:
        if self.spec.prepare is not None:
            self.spec.prepare(self.store, index)
        return index

    def _rebuild(self) -> None:
        try:
            index = self._build()
        except Exception:  # a failed rebuild leaves the SPARQL path answering; say why
            log.exception("rebuilding the side index failed")
            return
        with self._lock:
            self._index = index


def rows(store: Store, query: str) -> list[dict[str, str]]:
    """The solutions of a SELECT over the public graph, as dicts of the bound values."""
    return [{k: v["value"] for k, v in b.items()} for b in _bindings(store, query)]


_MEMO: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, Any]]] = weakref.WeakKeyDictionary()


def table(store: Store, query: str) -> list[dict[str, str]]:
    """``rows(store, query)``, kept while the store's write generation stays the same: for small
    tables (keyword names, place texts) that filters scan in Python, because the store finds
    them by walking every subject of a predicate shared with the events (``schema:name``)."""
    return per_generation(store, query, lambda: rows(store, query))


def per_generation(store: Store, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept while the store's write generation stays the same."""
    generation = store.generation()
    entries = _MEMO.setdefault(store, {})
    hit = entries.get(key)
    if hit is None or hit[0] != generation:
        hit = entries[key] = (generation, compute())
    return hit[1]


def _bindings(store: Store, query: str) -> list[dict[str, Any]]:
    # The engine's JSON serialization and json.loads are far cheaper than a Python object per term.
    from pyoxigraph import QueryResultsFormat

    data = store.query(query, dataset=PUBLIC).serialize(format=QueryResultsFormat.JSON)
    return json.loads(data)["results"]["bindings"]


LISTING = "?e lei:listing ?v"  # the events of the list; a term group this is comes with the rows


def _solutions(store: Store, select: str, group: str) -> Iterator[Any]:
    """The solutions of ``SELECT {select} WHERE {{ {group} }}`` over the public graph, as the
    store produces them: iterating them costs no more than the engine's own serializations and
    holds no result text. A group that is a path of alternative predicates is asked one
    predicate at a time: Oxigraph gathers the pairs of such a path before giving the first one
    (a quarter of a gigabyte for the texts of 200,000 events); the build is the same either way,
    as it keeps distinct values."""
    for pattern in _alternatives(group):
        yield from store.query(f"SELECT {select} WHERE {{ {pattern} }}", dataset=PUBLIC)


_IRI = r"(?:[A-Za-z][\w-]*:[\w-]+|<[^<>\s]*>)"
_ALTERNATIVES = re.compile(rf"\s*\?e\s+({_IRI}(?:\|{_IRI})+)\s+\?v\s*")


def _alternatives(group: str) -> list[str]:
    """``?e a|b ?v`` as ``?e a ?v`` and ``?e b ?v``; any other group as itself."""
    found = _ALTERNATIVES.fullmatch(group)
    return [f"?e {predicate} ?v" for predicate in found[1].split("|")] if found else [group]


class _Extractor:
    """Runs extraction jobs ``(kind, key, group, tagged)`` over one store's listed events."""

    def __init__(self, store: Any, iris: list[str]) -> None:
        self.store = store
        self.n = len(iris)
        self.row_of = {iri: i for i, iri in enumerate(iris)}.get

    def extract(self, job: tuple[str, str, str, bool]) -> Any:
        kind, _, group, tagged = job
        store, row_of, n = self.store, self.row_of, self.n
        if kind == "terms":
            return _postings(*_term_pairs(store, group, row_of), n)
        if kind == "instants":
            return _column(*_lexical_pairs(store, group, row_of), n, _micros_of, np.int64)
        if kind == "numbers":
            return _column(*_lexical_pairs(store, group, row_of), n, _floats_of, np.float64)
        if kind == "sets":
            return distinct(_subject_rows(store, group, row_of))
        tokens, tags = _text_index(store, group, row_of, n, tagged)
        return tokens, _postings(*tags, n)


# A build process's extractor, over its own read-only snapshot of the store.
_extractor: _Extractor | None = None


def _extract_in_processes(path: str, generation: int, iris: list[str], jobs: list, processes: int) -> list:
    """The jobs' results, extracted by ``processes`` new processes, each reading the store through
    a read-only snapshot: Oxigraph's decoding of every solution is most of a build, and it holds
    the GIL. The caller must not write to the store meanwhile, nor compact it (open it read-only):
    a snapshot's files must stay. A snapshot of another generation than the rows' fails the pool
    (the caller then builds alone). New processes (spawned, not forked) so that no other thread's
    lock is copied."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_start_extractor,
                             initargs=(path, generation, iris)) as pool:
        return list(pool.map(_extract, jobs))


def _start_extractor(path: str, generation: int, iris: list[str]) -> None:
    global _extractor
    snapshot = OxigraphStore(path, read_only=True)
    if snapshot.generation() != generation:
        raise RuntimeError(f"the store was written during the build (generation {snapshot.generation()}, not {generation})")
    _extractor = _Extractor(snapshot, iris)


def _extract(job: tuple[str, str, str, bool]) -> Any:
    assert _extractor is not None
    return _extractor.extract(job)


def _events(store: Store) -> tuple[list[str], tuple[np.ndarray, np.ndarray, list[str]]]:
    """The listed events' IRIs, sorted (the rows), and the postings pairs of ``LISTING``."""
    subjects: list[str] = []
    ids: dict[str, int] = {}
    found = array("i")
    for e, v in _solutions(store, "?e ?v", LISTING):
        subjects.append(e.value)
        found.append(ids.setdefault(v.value, len(ids)))
    iris = sorted(set(subjects))
    row_of = {iri: i for i, iri in enumerate(iris)}
    rows = np.fromiter(map(row_of.__getitem__, subjects), np.int64, len(subjects))
    return iris, (rows, np.frombuffer(found, np.int32).astype(np.int64), list(ids))


def _term_pairs(store: Store, group: str, row_of: Callable[[str], int | None]
                ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(rows, value numbers, values by number) of ``?e`` and ``?v``, listed events only."""
    ids: dict[str, int] = {}
    rows, numbers = array("i"), array("i")
    for e, v in _solutions(store, "?e ?v", group):
        r = row_of(e.value)
        if r is not None and v is not None:
            rows.append(r)
            value = v.value
            number = ids.get(value)
            if number is None:
                number = ids[value] = len(ids)
            numbers.append(number)
    return np.frombuffer(rows, np.int32).astype(np.int64), np.frombuffer(numbers, np.int32).astype(np.int64), list(ids)


def _lexical_pairs(store: Store, group: str, row_of: Callable[[str], int | None]) -> tuple[np.ndarray, list[str]]:
    """(rows, lexical forms of ``?v``), listed events only."""
    rows, values = array("i"), []
    for e, v in _solutions(store, "?e ?v", group):
        r = row_of(e.value)
        if r is not None and v is not None:
            rows.append(r)
            values.append(v.value)
    return np.frombuffer(rows, np.int32).astype(np.int64), values


def _subject_rows(store: Store, group: str, row_of: Callable[[str], int | None]) -> np.ndarray:
    rows = array("i")
    for (e,) in _solutions(store, "DISTINCT ?e", group):
        r = row_of(e.value)
        if r is not None:
            rows.append(r)
    return np.frombuffer(rows, np.int32).copy()


def _text_index(store: Store, group: str, row_of: Callable[[str], int | None], n: int, tagged: bool
                ) -> tuple[TokenIndex, tuple[np.ndarray, np.ndarray, list[str]]]:
    """The token index of ``?v``'s values and, if ``tagged``, the postings pairs of their lower-cased
    language tags; the values are tokenized a chunk at a time, never all held."""
    builder = TokenIndexBuilder(n)
    rows: list[int] = []
    values: list[str] = []
    tag_ids: dict[str | None, int] = {}  # as the store gives them; None: none (or an IRI)
    tag_rows, tags = array("i"), array("i")
    for e, v in _solutions(store, "?e ?v", group):
        r = row_of(e.value)
        if r is None or v is None:
            continue
        rows.append(r)
        values.append(v.value)
        if tagged:
            tag = getattr(v, "language", None)
            number = tag_ids.get(tag)
            if number is None:
                number = tag_ids[tag] = len(tag_ids)
            tag_rows.append(r)
            tags.append(number)
        if len(values) == builder.CHUNK:
            builder.add(rows, values)
            rows, values = [], []
    builder.add(rows, values)
    lowered = [(tag or "").lower() for tag in tag_ids]
    names = list(dict.fromkeys(lowered))
    renumber = np.array([names.index(name) for name in lowered], dtype=np.int64)
    return builder.build(), (np.frombuffer(tag_rows, np.int32).astype(np.int64),
                             renumber[np.frombuffer(tags, np.int32)], names)


def _postings(rows: np.ndarray, numbers: np.ndarray, values: list[str], n: int) -> dict[str, np.ndarray]:
    """Rows by value (distinct, sorted), from the pairs (rows[i], values[numbers[i]]); the values
    in the order the pairs first had them."""
    keys = distinct(numbers * (n + 1) + rows)
    bounds = np.searchsorted(keys, np.arange(len(values) + 1, dtype=np.int64) * (n + 1))
    found = (keys % (n + 1)).astype(np.int32)
    return {value: found[bounds[i]:bounds[i + 1]] for i, value in enumerate(values)}


def _column(rows: np.ndarray, lexicals: list[str], n: int, convert: Callable[[list[str]], np.ndarray],
            dtype: type) -> Column:
    found = convert(lexicals)
    present = np.zeros(n, bool)
    present[rows] = True
    values = np.full(n, np.iinfo(dtype).max if dtype is np.int64 else np.inf, dtype)
    np.minimum.at(values, rows, found)
    values[~present] = 0
    return Column(values, present)


def _floats_of(lexicals: list[str]) -> np.ndarray:
    return np.fromiter(map(float, lexicals), np.float64, len(lexicals))


_UTC_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", re.ASCII)


def _micros_of(lexicals: list[str]) -> np.ndarray:
    """``_micros`` of each lexical form: the common ``YYYY-MM-DDTHH:MM:SSZ`` parsed by numpy at
    once, any other form (offsets, fractions, naive) one by one."""
    out = np.empty(len(lexicals), np.int64)
    fast = np.fromiter((len(x) == 20 and _UTC_SECONDS.fullmatch(x) is not None for x in lexicals), bool, len(lexicals))
    try:
        out[fast] = np.array([x[:19] for x, f in zip(lexicals, fast) if f], dtype="datetime64[us]").astype(np.int64)
    except ValueError:  # not a date numpy knows (24:00:00, a year 0): the slow path says what is wrong
        fast[:] = False
    for i in np.flatnonzero(~fast):
        out[i] = _micros(lexicals[i])
    return out


def _micros(lexical: str) -> int:
    """Microseconds since the epoch of an xsd:dateTime (a naive one taken as UTC)."""
    moment = datetime.fromisoformat(lexical.replace("Z", "+00:00"))
    return micros(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
