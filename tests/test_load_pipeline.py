"""The fast load paths store exactly what the plain one does.

``record_nquads`` writes N-Quads text directly; it is held to the placement rules spelled out
quad by quad.

Worker processes (``Loader(workers=N)``) and bulk writes into a new store (``ld.fresh``) must
leave the same quads as preparing and writing every batch in this process, transactionally.
Blank node labels differ between loads, so stores are compared canonicalized.
"""
from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ld.cli import main
from ld.errors import InvalidRecord
from ld.fresh import FreshStore, store_for_loading
from ld.inputs import Item, expand_paths, read
from ld.iris import Iris
from ld.load import Loader, Report
from ld.rdf import (PUBLIC, RESTRICTED, _ADMIN_PREDICATES, _TOMBSTONE_PREDICATES, _listing, _span, enrichment,
                    expand_batch, record_nquads)
from ld.records import Normalizer
from ld.store import ADMIN, OxigraphStore
from ld.vocab import LEI

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


def test_a_new_store_bulk_loaded_in_small_chunks_replaces_records_as_transactions_do(
        generated_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every record given twice in one load: the second copy replaces the first whether that one is
    still collected, in a bulk load in flight, or in the store; and the store answers for them
    (embedded copies, dangling references) the same all along."""
    monkeypatch.setattr(FreshStore, "chunk", 50_000)
    inputs = items(REAL, generated_dir)
    inputs = inputs + inputs[::-1]
    plain = OxigraphStore()
    expected = load(plain, inputs, batch=40)
    with store_for_loading(tmp_path / "new") as fresh:
        got = load(fresh, inputs, batch=40, workers=1)
    assert summary(got) == summary(expected)
    assert quads(OxigraphStore(tmp_path / "new")) == quads(plain)


@pytest.mark.parametrize("lookup_cost", [0, 10**9])  # by look-ups, by one pass over the records
def test_a_new_store_warns_of_the_same_dangling_references(
        generated_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lookup_cost: int) -> None:
    monkeypatch.setattr(FreshStore, "lookup_cost", lookup_cost)
    event = dict(_real("event")[0], id="helsinki:dangling", keywords=[{"@id": f"{BASE}/linkedevents/v1/keyword/yso:nope/"}])
    inputs = items(REAL, generated_dir) + [Item(event, "event", "test")]
    plain = OxigraphStore()
    expected = load(plain, inputs, batch=40)
    assert any("yso:nope" in w for w in expected.warnings)
    with store_for_loading(tmp_path / "new") as fresh:
        got = load(fresh, inputs, batch=40)
    assert summary(got) == summary(expected)


def test_a_directory_is_read_with_what_events_refer_to_first(tmp_path: Path) -> None:
    for name in ("event.jsonl", "notes.json", "image.jsonl", "data_source.jsonl", "place.json", "sub/keyword.jsonl"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("")
    assert [p.name for p in expand_paths([str(tmp_path)])] == [
        "data_source.jsonl", "keyword.jsonl", "place.json", "image.jsonl", "event.jsonl", "notes.json"]


def test_an_image_both_embedded_in_events_and_in_its_own_file_is_written_once(generated_dir: Path, tmp_path: Path) -> None:
    """Its own record comes first, and the events' copies of it, no newer, are skipped: not
    written, then replaced."""
    with (generated_dir / "image.jsonl").open() as lines:
        own = sum(1 for _ in lines)
    with store_for_loading(tmp_path / "s") as store:
        report = load(store, items(generated_dir), batch=40, workers=1)
    assert report.loaded["image"] == own
    assert report.skipped > 0


@pytest.mark.parametrize("sequence, kept", [
    (("own", "older copy"), "own"),               # an embedded copy no newer than the record: skipped
    (("own", "newer copy"), "newer copy"),        # a newer one: loaded
    (("own", "newer copy", "own"), "own"),        # a record given on its own always replaces
])
@pytest.mark.parametrize("fresh", [False, True])
def test_an_embedded_copy_replaces_a_record_only_when_newer(
        tmp_path: Path, sequence: tuple[str, ...], kept: str, fresh: bool) -> None:
    event = next(e for e in _real("event") if e.get("images"))
    image = event["images"][0]
    versions = {"own": "2020-06-10T11:15:57Z", "older copy": "2019-01-01T00:00:00Z", "newer copy": "2021-01-01T00:00:00Z"}
    inputs = [Item(dict(image, name=step, last_modified_time=versions[step]), "image", step) if step == "own"
              else Item(dict(event, images=[dict(image, name=step, last_modified_time=versions[step])]), "event", step)
              for step in sequence]
    with store_for_loading(tmp_path / "s") if fresh else nullcontext(OxigraphStore()) as store:
        load(store, inputs, batch=1)
        if fresh:
            store.load_pending()
        iri = Iris(BASE).entity("image", str(image["id"]))
        names = {r["n"].value for r in store.query(f"SELECT ?n WHERE {{ <{iri}> <http://schema.org/name> ?n }}", dataset=ADMIN)}
    assert names == {kept}


def test_a_new_store_is_merged_before_it_is_published(
        generated_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every bulk load writes files of its own, and every read looks into each of them whose keys
    it spans: a new store is merged once it holds everything, and only then published. (How many
    files a merged store keeps depends on RocksDB's background merges during the load: counting
    them tells a merged store from an unmerged one only now and then.)"""
    monkeypatch.setattr(FreshStore, "chunk", 50_000)
    merged: list[bool] = []  # whether the store was published when it was merged
    compact = FreshStore.compact

    def recorded(store: FreshStore) -> None:
        compact(store)
        merged.append((tmp_path / "s").exists())

    monkeypatch.setattr(FreshStore, "compact", recorded)
    with store_for_loading(tmp_path / "s") as store:
        load(store, items(generated_dir), batch=40)
        assert merged == []
    assert merged == [False]
    assert quads(OxigraphStore(tmp_path / "s", read_only=True))


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


def test_ld_load_that_cannot_write_says_so_and_leaves_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(store: FreshStore) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FreshStore, "compact", full_disk)
    result = CliRunner().invoke(main, ["load", "--store", str(tmp_path / "s"), str(REAL)])
    assert result.exit_code == 1
    assert "loading stopped: [Errno 28] No space left on device" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s").exists() and not (tmp_path / "s.partial").exists()


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


def _placed_one_by_one(record, triples: list, public: bool) -> set[ox.Quad]:
    """The placement rules of ld.rdf spelled out quad by quad: the reference for record_nquads."""
    entity = ox.NamedNode(record.iri)
    triples = triples + enrichment(triples) + _span(record, entity) + _listing(record, entity)
    out: set[ox.Quad] = set()
    for s, p, o in triples:
        if public and p not in _ADMIN_PREDICATES:
            out.add(ox.Quad(s, p, o, PUBLIC))
            continue
        out.add(ox.Quad(s, p, o, RESTRICTED))
        if not public and record.document.get("deleted") and s == entity and p in _TOMBSTONE_PREDICATES:
            out.add(ox.Quad(s, p, o, PUBLIC))
    out |= {ox.Quad(q.subject, LEI.record, entity, q.graph_name) for q in list(out)}
    return out


def test_record_nquads_places_every_triple_as_the_rules_say(generated_dir: Path) -> None:
    normalizer = Normalizer(Iris(BASE))
    records = [r for item in items(REAL, generated_dir) if not isinstance(item.record, InvalidRecord)
               for r in _normalized(normalizer, item)]
    deleted = [r for r in records if r.document.get("deleted")]
    assert deleted and len(records) > 1000
    by_iri = expand_batch(records)
    for record in records:
        for public in (True, False):
            got = set(ox.parse(record_nquads(record, by_iri[record.iri], public=public), format=ox.RdfFormat.N_QUADS))
            assert got == _placed_one_by_one(record, by_iri[record.iri], public), record.iri


def _normalized(normalizer: Normalizer, item: Item) -> list:
    try:
        return list(normalizer.normalize(item.record, hint=item.hint))
    except InvalidRecord:
        return []


def test_ld_load_into_an_existing_store_releases_it(tmp_path: Path) -> None:
    """The store is closed when the load is done, so ld load can open it again (for its side index)."""
    for _ in range(2):
        result = CliRunner().invoke(main, ["load", "--store", str(tmp_path / "s"), str(REAL / "keyword.json")])
        assert result.exit_code == 0, result.output
    store = OxigraphStore(tmp_path / "s")
    assert len([r for r in store.query("SELECT ?e WHERE { ?e a <http://schema.org/DefinedTerm> }")]) == len(_real("keyword"))
