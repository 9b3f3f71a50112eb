"""A store written by an older version gets the helper triples this version derives."""
from __future__ import annotations

from ld import index
from ld.store import ADMIN, OxigraphStore
from ld.vocab import LEI

from conftest import REAL, load_paths


def count(store: OxigraphStore, pattern: str) -> int:
    return int(next(iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", dataset=ADMIN)))["n"].value)


def test_upgrade_rebuilds_missing_listing_keys() -> None:
    store = OxigraphStore()
    load_paths(store, [REAL])
    listed = count(store, "?e lei:listing ?k")
    assert listed == count(store, "?e a schema:Event") > 0
    store.update("DELETE WHERE { ?e lei:listing ?k }; DELETE WHERE { GRAPH ?g { ?e lei:listing ?k } }")  # as version 0 wrote it
    assert count(store, "?e lei:listing ?k") == 0
    assert index.upgrade(store) == [v for v, _ in index.STEPS]
    assert count(store, "?e lei:listing ?k") == listed
    assert store.meta(LEI.indexVersion) == str(index.VERSION)
    assert index.upgrade(store) == []
