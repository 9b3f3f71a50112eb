"""Loading into a store that does not exist yet: built aside with bulk writes, then moved into place.

Oxigraph's bulk loader writes index files directly instead of going through transactions, at
about twice the speed, but a crash in the middle leaves whatever it had written. A new store is
therefore built in ``<path>.partial`` and renamed to ``<path>`` only once it is complete: at any
moment there is either no store at ``path`` or a complete one, never half-written data. A
``.partial`` directory left by an interrupted load is discarded by the next one.
"""
from __future__ import annotations

import gc
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox

from ld.store import OxigraphStore


class LoadingStore(OxigraphStore):
    """A store opened for one load, released when the load is done (whoever still holds it)."""

    def close(self) -> None:
        """Release the store's files (Oxigraph closes a store when its last reference goes)."""
        del self._store
        gc.collect()


class FreshStore(LoadingStore):
    """A store nobody else sees yet, so the loader may add to it with bulk writes."""

    def add_nquads(self, data: bytes) -> None:
        """Add N-Quads we serialized ourselves (lenient: the terms were checked when made). Blank
        nodes get fresh labels, the same for one label throughout ``data``."""
        self._store.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=True)


@contextmanager
def store_for_loading(path: str | Path) -> Iterator[OxigraphStore]:
    """The store at ``path`` if there is one; else a :class:`FreshStore` published at ``path``
    when the block completes, and discarded when it raises. Either is closed after the block, so
    that the path can be opened again in this process."""
    target = Path(path)
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
        fresh.flush()
    except BaseException:
        fresh.close()
        shutil.rmtree(partial, ignore_errors=True)
        raise
    fresh.close()
    partial.rename(target)
