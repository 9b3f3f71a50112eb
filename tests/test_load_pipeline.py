"""The fast load paths store exactly what the plain one does.

Worker processes (``Loader(workers=N)``) and bulk writes into a new store (``ld.fresh``) must
leave the same quads as preparing and writing every batch in this process, transactionally.
Blank node labels differ between loads, so stores are compared canonicalized.
"""
from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ld.cli import main
from ld.fresh import FreshStore, store_for_loading
from ld.inputs import Item, expand_paths, read
from ld.iris import Iris
from ld.load import Loader, Report
from ld.store import ADMIN, OxigraphStore

from conftest import BASE, REAL


def quads(store: OxigraphStore) -> set[ox.Quad]:
    """The store's Linked Events data (public and restricted graphs), blank nodes canonicalized."""
    rows = store.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=ADMIN)
    dataset = ox.Dataset(ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def items(*paths: str | Path) -> list[Item]:
    return [item for path in expand_paths([str(p) for p in paths]) for item in read(path)]


def load(store: OxigraphStore, inputs: list[Item], **options) -> Report:
    return Loader(store, Iris(BASE), **options).load(inputs)


def summary(report: Report) -> tuple:
    return report.loaded, [r.detail for r in report.rejected], report.warnings, report.skipped


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_store_what_one_process_stores(generated_dir: Path, workers: int) -> None:
    inputs = items(REAL, generated_dir)
    plain, parallel = OxigraphStore(), OxigraphStore()
    expected = load(plain, inputs, batch=40)
    got = load(parallel, inputs, batch=40, workers=workers)
    assert summary(got) == summary(expected)
    assert quads(parallel) == quads(plain)


def test_bulk_writes_into_a_new_store_store_what_transactions_store(generated_dir: Path, tmp_path: Path) -> None:
    inputs = items(REAL, generated_dir)
    plain = OxigraphStore()
    expected = load(plain, inputs, batch=40)
    with store_for_loading(tmp_path / "new") as fresh:
        assert isinstance(fresh, FreshStore)
        got = load(fresh, inputs, batch=40, workers=2)
    assert summary(got) == summary(expected)
    assert quads(OxigraphStore(tmp_path / "new")) == quads(plain)


def test_loading_again_replaces_records_in_an_existing_store(generated_dir: Path, tmp_path: Path) -> None:
    inputs = items(generated_dir)
    with store_for_loading(tmp_path / "s") as store:
        load(store, inputs, batch=40, workers=2)
    with store_for_loading(tmp_path / "s") as store:
        assert not isinstance(store, FreshStore)
        before = quads(store)
        load(store, inputs, batch=40, workers=2)
        assert quads(store) == before


def test_a_batch_prepared_before_its_data_source_turned_private_is_redone() -> None:
    """Workers prepare batches ahead: the second is sent before the first, which makes its data
    source private, is written. Its events must still land in the restricted graph only."""
    source = {"@type": "DataSource", "id": "secret", "name": "Secret", "private": True}
    events = [json.loads(json.dumps(e)) for e in _real("event")[:4]]
    for e in events:
        e["data_source"] = "secret"
    inputs = [Item(source, "data_source", "test")] + [Item(e, "event", "test") for e in events]
    plain, parallel = OxigraphStore(), OxigraphStore()
    load(plain, inputs, batch=1)
    load(parallel, inputs, batch=1, workers=2)
    assert quads(parallel) == quads(plain)
    public = parallel.query("ASK { ?e a <http://schema.org/Event> }")
    assert not bool(public)


def test_a_failed_load_into_a_new_store_leaves_no_store(tmp_path: Path) -> None:
    target = tmp_path / "s"
    with pytest.raises(RuntimeError):
        with store_for_loading(target) as store:
            load(store, items(REAL))
            raise RuntimeError("interrupted")
    assert not target.exists() and not (tmp_path / "s.partial").exists()


def test_a_partial_store_left_by_a_crash_is_discarded(tmp_path: Path) -> None:
    (tmp_path / "s.partial").mkdir()
    (tmp_path / "s.partial" / "junk").write_text("left by a killed load")
    result = CliRunner().invoke(main, ["load", "--store", str(tmp_path / "s"), str(REAL / "keyword.json")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "s.partial").exists()
    keyword = _real("keyword")[0]["id"]
    got = CliRunner().invoke(main, ["get", "--store", str(tmp_path / "s"), f"/linkedevents/v1/keyword/{keyword}/"])
    assert json.loads(got.output)["id"] == keyword


def _real(name: str) -> list[dict]:
    data = json.loads((REAL / f"{name}.json").read_text())
    return data["data"] if isinstance(data, dict) else data
