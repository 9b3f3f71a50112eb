"""The loading floor (benchmarks/bulk_floor.py) loads the quads `ld load` wrote, moved as it says."""
from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from ld.store import OxigraphStore
from ld.vocab import GRAPH
from tests.conftest import REAL, load_paths

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bulk_floor import dump, measure  # noqa: E402


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("floor") / "store"
    store = OxigraphStore(path)
    load_paths(store, [REAL / "event.json", REAL / "place.json"])
    store.flush()
    del store
    return path


def _canonical(quads) -> set[ox.Quad]:
    """The quads with blank nodes labelled canonically: Oxigraph labels them anew as it loads."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


@pytest.mark.parametrize("default_graph", [False, True])
def test_the_floor_loads_every_quad_of_the_store(built: Path, tmp_path: Path, default_graph: bool) -> None:
    original = _canonical(ox.Store.read_only(str(built)))
    quads = tmp_path / "quads.nq"
    dump(built, quads, default_graph)
    figures = measure(quads, tmp_path / "floor")
    loaded = _canonical(ox.Store.read_only(str(tmp_path / "floor")))

    public = {q for q in original if q.graph_name == GRAPH.public}
    assert public and len(public) < len(original)  # the restricted and meta graphs are there too
    if default_graph:
        moved = {ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in public}
        assert loaded == _canonical((original - public) | moved)
    else:
        assert loaded == original
    assert _canonical(ox.parse(path=str(quads), format=ox.RdfFormat.N_QUADS)) == loaded
    assert figures["bulk_s"] > 0 and figures["compact_s"] >= 0
