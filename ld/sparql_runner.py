"""Running user SPARQL queries under a time limit and a result-size cap.

pyoxigraph has neither a query timeout nor cancellation, so a query that must be stoppable runs in
another process that can be killed. :class:`ProcessRunner` keeps a small pool of worker processes
(default 2). They are *spawned*: a fresh interpreter (fork+exec, as multiprocessing's ``spawn``
start method does; a process with a store open must never be forked), talking over a socket pair
wrapped in ``multiprocessing.connection.Connection``, exactly as ``multiprocessing.Pipe`` does.
Not ``multiprocessing.get_context("spawn").Process`` itself: that re-runs the parent's ``__main__``
script in every worker, and a script without an ``if __name__ == "__main__"`` guard (tried: one
that opens the store) then opens the store read-write in the worker and dies on its lock.
Each worker opens the on-disk store with ``pyoxigraph.Store.read_only(path)``
beside the server's writer. A read-only store is a snapshot taken when it is opened, so every job
carries the writer's current :meth:`~ld.store.Store.generation`; a worker whose snapshot is older
reopens it before evaluating, inside the query's time (measured on the sample store: median
20-60 ms; the open replays the writer's write-ahead log, so when a reopen takes longer than
``FLUSH_AFTER`` the server flushes its store in the background; ``tests/test_sparql_limits.py``
prints the figure). Opening beside a writer can race with its compaction ("Corruption ... No such
file"): opens are retried, and a query that fails that way on an old snapshot is run again once on a
fresh one. The worker evaluates the query and serializes the result itself;
only bytes come back. When the time limit passes, the parent kills that worker (SIGKILL), raises
:class:`~ld.errors.QueryTimeout` (503 JSON, never a truncated 200 body) and starts a replacement in
the background; the other workers go on serving. A request waits for a free worker at most the
time limit too (longer only while a worker is starting), and is then answered 503 ("all ...
busy"). ``Limits.prestart`` (``ld serve`` sets it) starts the pool with the app.

An in-memory store (``path`` None, the unit tests) cannot be opened by another process:
:class:`InProcessRunner` evaluates in the calling thread with the result-size cap but **without a
time limit**. :func:`runner_for` picks the runner for a store.

Result-size cap: solutions (SELECT) and triples (CONSTRUCT, DESCRIBE) beyond ``max_results`` are
never read. The query is then answered **400** with ``{"detail": "... more than N results ...
add a LIMIT ..."}`` (:class:`ResultTooLarge`, a :class:`~ld.errors.QueryError`): there is no
truncated answer, because a client could not tell a truncated result from a complete one. 400 and
not 413: 413 is about the size of the request body, and the request is fine except for what it asks
for. ASK answers are one boolean and are not capped.

How rows are counted without slowing the common case: results are serialized natively while a
writer counts rows in the output bytes (TSV: lines, XML: ``<result>`` tags, both exact; CSV: line
breaks, JSON: ``},{`` separators, both upper bounds, since literals may contain them). The writer
stops the serializer as soon as the count passes the cap, so at most about ``max_results`` rows are
ever read or held. Only when an upper bound passes the cap is the query evaluated once more, rows
counted exactly in Python up to ``max_results + 1``, and a result that does fit serialized from
them. Triples are counted with ``itertools.islice``.

Memory: the cap bounds what a result holds, not what the engine needs (an ORDER BY sorts every
solution). A query that exhausts memory takes down its worker (the kernel's OOM killer), not the
server: it is answered 503 (:class:`WorkerLost`) and the worker replaced. No per-worker memory
limit is set (RLIMIT_AS would also count RocksDB's mappings; not tried).

Cost: a tiny SELECT measured +0.2-0.4 ms through the pool over pyoxigraph in-process (the issue's
budget is 10 % + 1 ms; ``tests/test_sparql_limits.py`` asserts it). Bodies over ``INLINE`` come back
through a memory file shared with the worker instead of the socket.
"""
from __future__ import annotations

import importlib
import itertools
import logging
import os
import queue
import re
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Callable, Iterator

import pyoxigraph as ox

from ld.errors import LdError, QueryError, QueryTimeout
from ld.store import META, STORE_NODE, Dataset
from ld.vocab import LEI, PREFIXES

log = logging.getLogger("ld.sparql")

BOOT_TIMEOUT = 60.0     # seconds a new worker may take to start and open the store
OPEN_ATTEMPTS = 5       # read-only opens can race with the writer's compaction; retry
FLUSH_AFTER = 0.1       # seconds: a snapshot reopen slower than this makes the server flush its store
NEXT_JOB_POLL = 0.002   # seconds a worker polls for the next job after a reply, before it sleeps


@dataclass(frozen=True)
class Limits:
    """What one SPARQL query may cost. ``timeout`` None or <= 0: no time limit."""

    timeout: float | None = 30.0     # seconds
    max_results: int = 100_000       # solutions or triples
    workers: int = 2                 # query processes of an on-disk store
    prestart: bool = False           # start the workers with the app, not at the first query


class ResultTooLarge(QueryError):
    """A query has more results than the endpoint answers (400)."""

    def __init__(self, cap: int, what: str = "results") -> None:
        super().__init__(
            f"the query has more than {cap:,} {what}, the most this endpoint returns; "
            f"add a LIMIT (and ORDER BY with OFFSET to page through them) or narrow the query down"
        )
        self.cap = cap
        self.what = what


class WorkerLost(QueryTimeout):
    """The process evaluating a query died (most likely out of memory) (503)."""


def _timeout_text(limit: float) -> str:
    return (
        f"the query exceeded the {limit:g} s time limit and was stopped; narrow it down "
        f"(more specific patterns, a LIMIT, fewer OPTIONALs) and try again"
    )


# -- counting results while they are written -----------------------------------------------
# (pattern, exact, rows per occurrence offset): rows = occurrences - header for exact formats;
# for upper bounds, rows <= occurrences + extra.
_ROW_MARKERS: dict[str, tuple[bytes, bool, int]] = {
    "TSV": (b"\n", True, -1),          # header line, then one line per row (N-Triples escapes)
    "XML": (b"<result>", True, 0),     # '<' is escaped in text, so only real tags match
    "CSV": (b"\r\n", False, -1),       # quoted literals may hold line breaks: an upper bound
    "JSON": (b"},{", False, 1),        # the row separator; literals may hold it: an upper bound
}


class _Overflow(Exception):
    """Raised from a write to stop the serializer."""


class _CountingWriter:
    """A binary sink that counts row markers and stops the serializer past the cap."""

    def __init__(self, marker: bytes, offset: int, cap: int) -> None:
        self.marker = marker
        self.offset = offset
        self.cap = cap
        self.count = 0
        self.chunks: list[bytes] = []
        self._tail = b""
        self.over = False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.count += (self._tail + chunk).count(self.marker)
        self._tail = chunk[-(len(self.marker) - 1):] if len(self.marker) > 1 else b""
        self.chunks.append(chunk)
        if self.count + self.offset > self.cap:
            self.over = True
            raise _Overflow
        return len(chunk)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.chunks)


class Answer:
    """A query's results as handed to a renderer, with the capped ways to read them."""

    def __init__(self, results: Any, cap: int, again: Callable[[], Any]) -> None:
        self.results = results
        self.cap = cap
        self._again = again

    def triples(self) -> Iterator[ox.Triple]:
        """The triples of a CONSTRUCT/DESCRIBE, stopping with ResultTooLarge past the cap.

        The cap is checked after the serializer has read ``cap`` triples, so render into memory
        (``ox.serialize(answer.triples(), ...)``) and let the error escape."""
        yield from itertools.islice(self.results, self.cap)
        if next(self.results, None) is not None:
            raise ResultTooLarge(self.cap, "triples")

    def solutions(self, fmt: ox.QueryResultsFormat) -> bytes:
        """The SELECT solutions serialized natively, or ResultTooLarge past the cap."""
        marker, exact, offset = _ROW_MARKERS[_format_key(fmt)]
        writer = _CountingWriter(marker, offset, self.cap)
        try:
            self.results.serialize(writer, format=fmt)
        except _Overflow:
            pass
        except Exception:
            if not writer.over:
                raise
        if not writer.over:
            return writer.getvalue()
        if exact:
            raise ResultTooLarge(self.cap, "solutions")
        return self._counted(fmt)

    def _counted(self, fmt: ox.QueryResultsFormat) -> bytes:
        """Evaluate again and count exactly; serialize through TSV when the result fits."""
        results = self._again()
        names = [str(v) for v in results.variables]
        lines = ["\t".join(names)]
        for row in itertools.islice(results, self.cap):
            lines.append("\t".join("" if t is None else str(t) for t in row))
        if next(results, None) is not None:
            raise ResultTooLarge(self.cap, "solutions")
        tsv = ("\n".join(lines) + "\n").encode()
        parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
        return parsed.serialize(format=fmt) or b""


def _format_key(fmt: ox.QueryResultsFormat) -> str:
    for key in _ROW_MARKERS:
        if fmt == getattr(ox.QueryResultsFormat, key):
            return key
    raise ValueError(f"unsupported results format {fmt}")


# A renderer turns an Answer into (metadata, body): metadata is small and picklable (the parent
# gets it back as is), the body is the serialized result.
Render = Callable[[Answer], "tuple[Any, bytes]"]


def evaluate(query: Callable[[str, Dataset], Any], sparql: str, dataset: Dataset, render: Render,
             cap: int) -> tuple[Any, bytes]:
    """Run ``query`` and hand the results to ``render``; engine errors become QueryError."""
    results = query(sparql, dataset)
    answer = Answer(results, cap, lambda: query(sparql, dataset))
    try:
        return render(answer)
    except (RuntimeError, SyntaxError) as exc:
        # Unsupported functions and bad substitutions surface as RuntimeError, some of them only
        # once the results are read.
        raise QueryError(f"SPARQL query error: {exc}") from exc


# -- runners -------------------------------------------------------------------------------
class InProcessRunner:
    """Evaluates in the calling thread: the result-size cap, no time limit (an in-memory store)."""

    def __init__(self, store: Any, limits: Limits = Limits()) -> None:
        self.store = store
        self.limits = limits

    def run(self, sparql: str, dataset: Dataset, render: Render) -> tuple[Any, bytes]:
        """``render``'s (metadata, body) for the query's results."""
        return evaluate(self._query, sparql, dataset, render, self.limits.max_results)

    def _query(self, sparql: str, dataset: Dataset) -> Any:
        return self.store.query(sparql, dataset=dataset)

    def close(self) -> None:
        pass


def runner_for(store: Any, limits: Limits = Limits(), preload: tuple[str, ...] = ()) -> "InProcessRunner | ProcessRunner":
    """A process pool for an on-disk store (it has a ``path``), else in-process evaluation.

    ``preload``: modules the workers import at start (the renderer's), so that the first query
    of a worker does not pay for the import inside its time limit."""
    if getattr(store, "path", None) is None:
        return InProcessRunner(store, limits)
    runner = ProcessRunner(store, limits, preload)
    if limits.prestart:
        runner.start()
    return runner


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen | None
    conn: Connection
    scratch: int   # a memory file shared with the worker: large bodies come back through it

    def replied(self, timeout: float | None) -> bool:
        """Whether the worker's reply arrived within ``timeout`` seconds (None: wait for it).

        ``select.poll`` on the socket rather than ``Connection.poll``, which builds a selector on
        every call (~13 us of the ~45 us a round trip to a worker costs)."""
        poller = select.poll()
        poller.register(self.conn.fileno(), select.POLLIN)
        return bool(poller.poll(None if timeout is None else timeout * 1000))

    def read(self, length: int) -> bytes:
        chunks, offset = [], 0
        while offset < length:
            chunk = os.pread(self.scratch, length - offset, offset)
            if not chunk:
                raise EOFError("the result file is shorter than announced")
            chunks.append(chunk)
            offset += len(chunk)
        if length > KEEP_SCRATCH:
            os.ftruncate(self.scratch, 0)  # give a large result's memory back
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _scratch_file() -> int:
    """An anonymous file in memory (close-on-exec; handed to one worker with ``pass_fds``)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("ld-sparql-result", os.MFD_CLOEXEC)
    with tempfile.TemporaryFile() as f:
        return os.dup(f.fileno())


class ProcessRunner:
    """A pool of spawned worker processes, each over a read-only snapshot of ``store.path``."""

    def __init__(self, store: Any, limits: Limits = Limits(), preload: tuple[str, ...] = ()) -> None:
        self.store = store
        self.path = str(store.path)
        self.limits = limits
        self.preload = tuple(preload)
        # The worker that finished last takes the next query: its process and the store pages it
        # read are still warm. With a FIFO queue two workers took turns, and a COUNT over 20k
        # events took 2.9 ms longer than in-process instead of 0.5 ms.
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._workers: set[_Worker] = set()
        self._lock = threading.RLock()
        self._pid: int | None = None       # the process that started the pool
        self._closed = False
        self._booting = 0                  # workers started and not yet ready
        self._flush_lock = threading.Lock()   # held while a flush runs
        # Kill the workers when the runner is collected or the interpreter exits; the finalizer
        # holds the worker set, not the runner (nor, through it, the store and its lock).
        self._finalizer = weakref.finalize(self, _kill_all, self._workers)

    @property
    def timeout(self) -> float | None:
        t = self.limits.timeout
        return t if t and t > 0 else None

    # -- one query ---------------------------------------------------------------------------
    def run(self, sparql: str, dataset: Dataset, render: Render) -> tuple[Any, bytes]:
        """``render``'s (metadata, body) for the query's results, evaluated by a worker process.

        QueryTimeout (503) past the time limit, WorkerLost (503) if the worker died,
        ResultTooLarge (400) past the result cap, QueryError (400) for a bad query."""
        worker = self._dispatch((sparql, dataset, self.store.generation(), render, self.limits.max_results))
        try:
            finished = worker.replied(self.timeout)
            reply, reopened = None, None
            if finished:
                *reply, reopened = worker.conn.recv()
                if reply[0] == "file":
                    reply = ("ok", (reply[1], worker.read(reply[2])))
        except (EOFError, OSError) as exc:
            self._discard(worker)
            raise WorkerLost(
                "the process evaluating the query stopped (most likely it needed too much memory); "
                "narrow the query down or add a LIMIT"
            ) from exc
        except BaseException:
            self._discard(worker)  # state unknown (e.g. an unpicklable job): do not reuse it
            raise
        if not finished:
            self._discard(worker)
            raise QueryTimeout(_timeout_text(self.limits.timeout or 0))
        if reopened is not None and reopened > FLUSH_AFTER:
            self._flush_soon()
        if self._closed:
            self._kill(worker)
        else:
            self._idle.put(worker)
        return _unpack(reply)

    def _flush_soon(self) -> None:
        """Write the store's memtables to disk, in the background, once a reopen got slow.

        A read-only open replays the writer's write-ahead log, so a worker's reopen after a write
        grows with everything written since the writer last flushed (measured on the sample: ~220 ms
        with the whole load still in the log, 20-60 ms after a flush). Flushing after every write
        instead costs 20-110 ms each and piles up small files, so it is done only when a worker
        reports a reopen slower than FLUSH_AFTER."""
        flush = getattr(self.store, "flush", None)
        if flush is None or not self._flush_lock.acquire(blocking=False):
            return

        def run() -> None:
            try:
                flush()
            except Exception:  # noqa: BLE001 - only slower reopens follow
                log.exception("flushing the store failed")
            finally:
                self._flush_lock.release()

        threading.Thread(target=run, name="ld-sparql-flush", daemon=True).start()

    def _dispatch(self, job: Any) -> _Worker:
        """Hand the job to an idle worker; one that died while idle is replaced, not blamed."""
        for attempt in (1, 2):
            worker = self._checkout()
            try:
                worker.conn.send(job)  # pickles first: an unpicklable job leaves the worker intact
                return worker
            except OSError:
                self._discard(worker)
                if attempt == 2:
                    raise WorkerLost("no SPARQL worker process is available; try again") from None
            except BaseException:
                self._idle.put(worker)
                raise
        raise AssertionError("unreachable")

    def stats(self) -> dict[str, Any]:
        """One worker's snapshot statistics: seconds per store open (the first at start, then
        one per reopen after a write), the generation it holds, its pid."""
        worker = self._dispatch("stats")
        try:
            *reply, _ = worker.conn.recv()
        except BaseException:
            self._discard(worker)
            raise
        self._idle.put(worker)
        return _unpack(reply)[0]

    def _checkout(self) -> _Worker:
        self._ensure_started()
        try:
            return self._idle.get(timeout=self.timeout)
        except queue.Empty:
            pass
        if self._booting:  # just started, or replacing a killed worker: worth waiting for
            try:
                return self._idle.get(timeout=BOOT_TIMEOUT)
            except queue.Empty:
                pass
        raise QueryTimeout(
            f"all {self.limits.workers} query workers stayed busy for {self.limits.timeout:g} s; try again later"
        )

    # -- the pool ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the workers now rather than at the first query (they boot in the background)."""
        self._ensure_started()

    def _ensure_started(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            # First use, or a fork inherited the object: the inherited workers are not ours.
            self._idle = queue.LifoQueue()
            self._workers.clear()
            self._pid = os.getpid()
            for _ in range(max(1, self.limits.workers)):
                self._spawn()

    def _spawn(self, delay: float = 0.0) -> None:
        if not self._closed:
            with self._lock:
                self._booting += 1
            threading.Thread(target=self._booted, args=(delay,), name="ld-sparql-boot", daemon=True).start()

    def _booted(self, delay: float) -> None:
        try:
            self._boot(delay)
        finally:
            with self._lock:
                self._booting -= 1

    def _boot(self, delay: float) -> None:
        """Start one worker and put it in the idle queue once it has opened the store."""
        if delay:
            time.sleep(delay)
        if self._closed:
            return
        ours, theirs = socket.socketpair()
        worker = _Worker(None, Connection(ours.detach()), _scratch_file())
        try:
            worker.process = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(theirs.fileno()), str(worker.scratch), self.path, *self.preload],
                pass_fds=(theirs.fileno(), worker.scratch), stdin=subprocess.DEVNULL, env=_child_env(),
            )
        except OSError as exc:
            ready: Any = ("failed", f"cannot start {sys.executable}: {exc}")
        else:
            with self._lock:
                self._workers.add(worker)
            try:
                ready = worker.conn.poll(BOOT_TIMEOUT) and worker.conn.recv()
            except (EOFError, OSError):
                ready = None
        finally:
            theirs.close()
        if ready and ready[0] == "ready" and not self._closed:
            self._idle.put(worker)
            return
        if not self._closed:
            log.error("a SPARQL worker did not start: %s", ready[1] if ready else "it exited")
        self._kill(worker)
        self._spawn(delay=min(max(delay * 2, 1.0), 30.0))

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker that timed out or broke, and start its replacement."""
        self._kill(worker)
        self._spawn()

    def _kill(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        worker.conn.close()
        try:
            os.close(worker.scratch)
        except OSError:
            pass
        process = worker.process
        if process is None:
            return
        try:
            process.kill()  # SIGKILL: the engine is in native code, nothing to clean up in Python
        except OSError:
            pass
        threading.Thread(target=process.wait, name="ld-sparql-reap", daemon=True).start()

    def close(self) -> None:
        """Stop every worker; the runner answers no more queries."""
        self._closed = True
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            self._kill(worker)

    def pids(self) -> list[int]:
        """The process ids of the live workers (for tests and monitoring)."""
        with self._lock:
            return [w.process.pid for w in self._workers if w.process is not None]


def _kill_all(workers: set[_Worker]) -> None:
    for worker in list(workers):
        if worker.process is not None and worker.process.poll() is None:
            try:
                worker.process.kill()
            except OSError:
                pass


def _unpack(reply: tuple) -> Any:
    status = reply[0]
    if status == "ok":
        return reply[1]
    if status == "too_large":
        raise ResultTooLarge(reply[1], reply[2])
    if status == "error":
        raise QueryError(reply[1])
    raise RuntimeError(f"SPARQL worker failed: {reply[1]}")


# -- the worker process --------------------------------------------------------------------
_CHILD = "import sys; from ld.sparql_runner import _child; _child(sys.argv[1:])"


def _child_env() -> dict[str, str]:
    """The parent's environment, with its import path, so the worker finds the same modules."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def _child(argv: list[str]) -> None:
    fd, scratch, path, *preload = argv
    threading.Thread(target=_orphan_watch, args=(os.getppid(),), name="ld-sparql-watch", daemon=True).start()
    _serve(Connection(int(fd)), int(scratch), path, tuple(preload))


def _orphan_watch(parent: int) -> None:
    """Exit when the server process is gone, even in the middle of a query (the engine releases
    the GIL while it evaluates). A closed pipe ends an idle worker already; this ends a busy one
    whose server was killed."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


_STALE = re.compile(r"IO error|Corruption|No such file", re.I)


class _Snapshot:
    """The worker's read-only store and the write generation it holds."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.store: ox.Store | None = None
        self.generation = -1
        self.opens: list[float] = []  # seconds per open (the first at start), the last 100
        self.open_count = 0

    def open(self) -> None:
        started = time.perf_counter()
        self.store = None  # close the old snapshot first
        for attempt in range(OPEN_ATTEMPTS):
            try:
                self.store = ox.Store.read_only(self.path)
                break
            except (OSError, RuntimeError):
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.02 * (attempt + 1))
        self.generation = self._generation()
        self.opens = [*self.opens[-99:], time.perf_counter() - started]
        self.open_count += 1

    def _generation(self) -> int:
        assert self.store is not None
        for quad in self.store.quads_for_pattern(STORE_NODE, LEI.generation, None, META):
            return int(quad.object.value)
        return 0

    def query(self, sparql: str, dataset: Dataset) -> Any:
        """What ``ld.store.OxigraphStore.query`` does, over the snapshot."""
        default, named = dataset.nodes()
        assert self.store is not None
        try:
            return self.store.query(sparql, prefixes=PREFIXES, default_graph=default, named_graphs=named)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        except (RuntimeError, OSError) as exc:
            raise QueryError(f"cannot evaluate the query: {exc}") from exc


INLINE = 64 * 1024  # bodies up to this size travel in the reply message, larger ones through the file
# The file keeps its pages between results up to this size (each body overwrites it from the start
# and only its announced length is read): truncating it after each result made the kernel free,
# allocate and zero them again (165 KB: 110 us with the truncation, 35 us without).
KEEP_SCRATCH = 4 * 1024 * 1024


def _serve(conn: Connection, scratch: int, path: str, preload: tuple[str, ...]) -> None:
    """The worker's loop: one job at a time, until the parent closes the pipe.

    A large body is written to the shared memory file and only its length is sent: one copy
    instead of pickling it through a socket with a 200 KB buffer (measured 2.7 MB: 16 ms through
    the socket, 1.7 ms through the file)."""
    try:
        for name in preload:
            importlib.import_module(name)
        snapshot = _Snapshot(path)
        snapshot.open()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which logs it
        conn.send(("failed", repr(exc)))
        return
    conn.send(("ready", os.getpid()))
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    while True:
        _poll_briefly(poller, NEXT_JOB_POLL)
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job == "stats":  # tests: how often and how long the snapshot was reopened
            stats = {"opens": snapshot.opens, "generation": snapshot.generation, "pid": os.getpid()}
            conn.send(("ok", (stats, b""), None))
            continue
        opened = snapshot.open_count
        reply = _job(snapshot, *job)
        reopened = sum(snapshot.opens[-(snapshot.open_count - opened):]) if snapshot.open_count > opened else None
        if reply[0] == "ok" and len(reply[1][1]) > INLINE:
            meta, body = reply[1]
            view, offset = memoryview(body), 0
            while offset < len(body):
                offset += os.pwrite(scratch, view[offset:], offset)
            reply = ("file", meta, len(body))
        conn.send((*reply, reopened))


def _poll_briefly(poller: select.poll, seconds: float) -> None:
    """Wait for the next job awake for a moment, then let ``recv`` sleep. Waking a process that
    sleeps took 0.15-0.5 ms on the benchmark's virtual machine, more than a small query takes:
    a client asking one query after another (paging through a result, a script) finds the worker
    awake, and the endpoint's overhead over pyoxigraph fell by 0.2-0.4 ms at 200k events
    (benchmarks/RESULTS.md). The cost is at most this long a CPU after a query, and only a CPU
    nothing else wants: the worker yields it between polls."""
    until = time.perf_counter() + seconds
    while not poller.poll(0) and time.perf_counter() < until:
        os.sched_yield()


def _job(snapshot: _Snapshot, sparql: str, dataset: Dataset, generation: int, render: Render, cap: int) -> tuple:
    try:
        for attempt in (1, 2):
            try:
                if snapshot.generation < generation or snapshot.store is None:
                    snapshot.open()
                return ("ok", evaluate(snapshot.query, sparql, dataset, render, cap))
            except QueryError as exc:
                # The writer may have compacted away a file the snapshot still names: reopen once.
                if attempt == 1 and not isinstance(exc, ResultTooLarge) and _STALE.search(exc.detail):
                    snapshot.store = None
                    continue
                raise
    except ResultTooLarge as exc:
        return ("too_large", exc.cap, exc.what)
    except LdError as exc:
        return ("error", exc.detail)
    except BaseException as exc:  # noqa: BLE001 - the parent answers 500 and logs it
        return ("crash", f"{type(exc).__name__}: {exc}")
    return ("crash", "unreachable")
