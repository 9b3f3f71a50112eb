"""A store written by an older version is brought up to date: the helper triples this version
derives, and the public data in the default graph."""
from __future__ import annotations

import pyoxigraph as ox

from ld import index
from ld.store import ADMIN, PUBLIC, OxigraphStore
from ld.vocab import GRAPH, LEI, SCHEMA

from conftest import REAL, load_paths


def count(store: OxigraphStore, pattern: str, dataset=ADMIN) -> int:
    return int(next(iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", dataset=dataset)))["n"].value)


def as_version_0(store: OxigraphStore, extra_subjects: int = 0) -> None:
    """The store as the first version wrote it: public data in a named graph, no listing keys."""
    store.update(f"MOVE DEFAULT TO {GRAPH.public}")
    store.update("DELETE WHERE { GRAPH ?g { ?e lei:listing ?k } }")
    store.update(f"DELETE WHERE {{ GRAPH ?g {{ {LEI.store} {LEI.indexVersion} ?v }} }}")
    store.load([ox.Quad(ox.NamedNode(f"http://example.org/{i}"), SCHEMA.name, ox.Literal("x"), GRAPH.public)
                for i in range(extra_subjects)])


def test_upgrade_rebuilds_listing_keys_and_moves_the_public_data() -> None:
    store = OxigraphStore()
    load_paths(store, [REAL])
    listed, events = count(store, "?e lei:listing ?k"), count(store, "?e a schema:Event", PUBLIC)
    assert listed == count(store, "?e a schema:Event") > 0
    as_version_0(store)
    assert count(store, "?e lei:listing ?k") == 0 and count(store, "?e a schema:Event", PUBLIC) == 0

    assert index.upgrade(store) == [v for v, *_ in index.STEPS]
    assert count(store, "?e lei:listing ?k") == listed
    assert count(store, "?e a schema:Event", PUBLIC) == events
    assert not store.holds(GRAPH.public)
    assert store.meta(LEI.indexVersion) == str(index.VERSION)
    assert index.upgrade(store) == []


def test_the_move_goes_on_until_every_subject_has_moved() -> None:
    store = OxigraphStore()
    load_paths(store, [REAL / "place.json"])
    before = count(store, "?s ?p ?o", PUBLIC)
    as_version_0(store, extra_subjects=25_000)  # more than one move moves
    index.upgrade(store)
    assert count(store, "?s ?p ?o", PUBLIC) == before + 25_000
    assert not store.holds(GRAPH.public)
