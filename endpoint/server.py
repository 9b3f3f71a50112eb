"""Running the app under gunicorn: one worker process owns the on-disk store, threads serve.

pyoxigraph allows one process per on-disk store and a store opened before ``fork()`` hangs on its
first write, so the store is opened in the worker (``load``), never in the master.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

import pyoxigraph as ox
from gunicorn.app.base import BaseApplication

from ld.errors import LdError
from ld.vocab import LEI


class _Server(BaseApplication):
    def __init__(self, factory: Callable[[], object], options: dict) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.factory()


class _Recorded:
    """Just enough of a store to read the recorded base URL, from a read-only snapshot."""

    def __init__(self, path: str) -> None:
        try:
            self._store = ox.Store.read_only(path)
        except OSError as exc:
            raise LdError(f"cannot open the store at {path}: {exc}") from exc

    def meta(self, key: ox.NamedNode) -> str | None:
        graph = ox.NamedNode("https://w3id.org/linkedevents/graph/meta")
        for quad in self._store.quads_for_pattern(LEI.store, key, None, graph):
            return quad.object.value
        return None


def _upgrade_layout(store_path: str) -> None:
    """``ld.fresh.upgrade_layout``, when the store needs it, in a process of its own. It writes
    with RocksDB's background threads, which neither this process nor gunicorn's worker may have
    started: a worker forked from a process that did inherits them dead, and its first flush
    waits forever (tried: a worker rebuilding a 20,000-event store hung). Asking whether the
    store needs it only reads, as ``_Recorded`` does."""
    from ld.fresh import older_layout, upgrade_layout

    if not older_layout(store_path):
        return
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            pool.submit(upgrade_layout, store_path).result()
    except OSError as exc:
        raise LdError(f"cannot rebuild the store at {store_path} as this version keeps it: {exc}") from exc


def app_for(store_path: str, base: str, settings: dict):
    """The app over an on-disk store, opened in the calling (worker) process."""
    from endpoint.app import Settings, create_app
    from ld import index
    from ld.store import OxigraphStore

    store = OxigraphStore(store_path)
    index.upgrade(store)  # a store written by an older version gets its missing helper triples
    return create_app(store, Settings(base_url=base, background_index=True, **settings))


def run(store_path: str, *, host: str, port: int, base_url: str | None, threads: int, base_of: Callable,
        settings: dict, access_log: str | None = None) -> None:
    """Serve the store; ``settings`` are the ``endpoint.app.Settings`` fields besides the base URL.

    ``access_log``: a file for one line per request ("-": standard output), None for none, as
    gunicorn's own default. Measured on the benchmark's warm mix (20k events, 8 clients): 1,520-1,720
    req/s with the access log, 2,450-3,450 without (gunicorn builds a dict of every header and
    environ entry and takes the logging lock for each line)."""
    _upgrade_layout(store_path)
    recorded = _Recorded(store_path)
    base = base_of(recorded, base_url)
    del recorded

    def factory():
        return app_for(store_path, base, settings)

    options = {
        "bind": f"{host}:{port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "accesslog": access_log,
        "timeout": 120,
        "graceful_timeout": 10,  # in-flight requests get 10 s to finish on shutdown
    }
    print(f"serving {store_path} at http://{host}:{port}/linkedevents/v1/ (entity IRIs under {base})", flush=True)
    _Server(factory, options).run()
