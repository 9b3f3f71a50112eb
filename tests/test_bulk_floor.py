"""The loading floor (benchmarks/bulk_floor.py) loads exactly the quads `ld load` wrote."""
from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox

from ld.store import OxigraphStore
from conftest import REAL, load_paths

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bulk_floor import dump, measure  # noqa: E402


def _canonical(quads) -> set[ox.Quad]:
    """The quads with blank nodes labelled canonically: Oxigraph labels them anew as it loads."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def test_the_floor_loads_every_quad_of_the_store(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "store")
    load_paths(store, [REAL / "event.json", REAL / "place.json"])
    store.flush()
    del store
    original = _canonical(ox.Store.read_only(str(tmp_path / "store")))
    quads = tmp_path / "quads.nq"
    dump(tmp_path / "store", quads)
    figures = measure(quads, tmp_path / "floor")
    loaded = _canonical(ox.Store.read_only(str(tmp_path / "floor")))

    assert len({q.graph_name for q in original}) >= 3  # the public (default), restricted and meta graphs
    assert loaded == original
    assert _canonical(ox.parse(path=str(quads), format=ox.RdfFormat.N_QUADS)) == loaded
    assert figures["bulk_s"] > 0 and figures["compact_s"] >= 0
