"""The side index answers exactly what the plain SPARQL templates answer: every list query of the
benchmark mix, on a generated data set, gives the same events in the same order either way."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import BASE, SHARED, load_paths, load_records
from ld.filters.build import build
from ld.filters.catalog import INDEX, INDEXED_ORDERS
from ld.iris import Iris
from ld.model import RESOURCES
from ld.read import Reader
from ld.sideindex import EventIndex, SideIndex, rows
from ld.store import OxigraphStore
from ld.times import HELSINKI

IRIS = Iris(BASE)
NOW = datetime(2026, 12, 1, tzinfo=HELSINKI)  # the generated data's reference date
MIX = SHARED / "bench" / "querymix.txt"


def mix() -> list[tuple[str, str, dict[str, str]]]:
    """(label, resource, parameters) of every list query of the mix."""
    out = []
    for line in MIX.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, url = line.split()
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) == 2:  # /v1/<resource>/ is a list; /v1/<resource>/<id>/ a detail
            out.append((label, segments[1], dict(parse_qsl(parts.query, keep_blank_values=True))))
    return out


@pytest.fixture(scope="module")
def mix_store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    out = tmp_path_factory.mktemp("mix") / "data"
    subprocess.run([sys.executable, str(SHARED / "bench" / "gen_events.py"), "--events", "1500", "--out", str(out)],
                   check=True, capture_output=True)
    store = OxigraphStore()
    report = load_paths(store, [out])
    assert not report.rejected, report.rejected[:3]
    return store


@pytest.mark.parametrize("label,resource,params", mix(), ids=[m[0] for m in mix()])
def test_mix_query_answers_as_the_templates(mix_store: OxigraphStore, label: str, resource: str,
                                           params: dict[str, str]) -> None:
    query = build(RESOURCES[resource], params, iris=IRIS, now=NOW, store=mix_store)
    templates = [row["e"].value for row in mix_store.query(replace(query, page=1, page_size=10**6).select(),
                                                          dataset=query.dataset)]
    if resource != "event":
        assert query.fast is None  # only event lists have a side index, but place and keyword
        # lists ordered by n_events take the counts from it: the same page as the templates'.
        page = Reader(mix_store, IRIS).page(replace(query, page_size=100), now=NOW)
        assert page.count == len(templates)
        assert [IRIS.entity(resource, str(item["id"])) for item in page.items] == templates[:100]
        return
    assert query.fast is not None, f"{label} has a clause without a side-index twin"
    index = EventIndex.build(mix_store, INDEX)
    count, fast = index.page(query.fast_mask(index), [(INDEXED_ORDERS[o.var], o.descending) for o in query.order],
                             0, index.n)
    assert count == len(templates)
    assert fast == templates
    # Most queries of the mix match something here; an empty answer would prove little.
    assert templates or label in {"ev_keyword_and"}


def _event(eid: str, day: int) -> tuple[str, dict]:
    return ("event", {"id": eid, "name": {"fi": "Konsertti"}, "start_time": f"2026-12-{day:02}T10:00:00Z",
                      "end_time": f"2026-12-{day:02}T12:00:00Z", "type_id": "General", "event_status": "EventScheduled",
                      "publisher": "ahjo:00001", "data_source": "ds1", "last_modified_time": "2026-01-01T00:00:00Z",
                      "keywords": [], "offers": []})


def test_a_write_retires_the_index_until_rebuilt() -> None:
    store = OxigraphStore()
    side = SideIndex(store, INDEX, background=True)
    assert not load_records(store, [_event("t:1", 1)]).rejected
    side.warm()
    built = side.current()
    assert built is not None and built.iris == [IRIS.entity("event", "t:1")]
    assert not load_records(store, [_event("t:2", 2)]).rejected
    # Stale: never used; the rebuild runs in the background and the caller answers with SPARQL.
    assert side.current() is None
    side._building.join(timeout=30)
    rebuilt = side.current()
    assert rebuilt is not None and len(rebuilt.iris) == 2


def test_the_index_is_kept_beside_an_on_disk_store(tmp_path) -> None:
    store = OxigraphStore(tmp_path / "store")
    assert not load_records(store, [_event("t:1", 1)]).rejected
    side = SideIndex.beside(store, INDEX)
    side.warm()
    saved = tmp_path / "store" / SideIndex.FILE
    assert EventIndex.load(saved, store, INDEX).iris == [IRIS.entity("event", "t:1")]
    assert not load_records(store, [_event("t:2", 2)]).rejected
    assert EventIndex.load(saved, store, INDEX) is None  # of an older generation: never used
    server = SideIndex.beside(store, INDEX, background=True)
    server.start()  # stale: built in the background, the server answers meanwhile
    assert server.ready() is None
    server._building.join(timeout=30)
    assert len(server.ready().iris) == 2
    restarted = SideIndex.beside(store, INDEX, background=True)
    restarted.start()  # fresh: loaded at once
    assert len(restarted.ready().iris) == 2
    saved.write_bytes(b"not an index")
    assert EventIndex.load(saved, store, INDEX) is None


def test_event_counts_of_places_and_keywords_agree(mix_store: OxigraphStore) -> None:
    """n_events / has_upcoming_events come from the index when it is ready: the same figures."""
    reader = Reader(mix_store, IRIS)
    places = [r["p"] for r in rows(mix_store, "SELECT DISTINCT ?p WHERE { ?e schema:location ?p }")]
    keywords = [r["k"] for r in rows(mix_store, "SELECT DISTINCT ?k WHERE { ?e schema:keywords|schema:audience ?k }")]
    index = reader.side_index.warm()
    assert index.figures(("location",), places) == reader._count("?e schema:location ?x", places)
    assert index.figures(("keywords", "audience"), keywords) == reader._count(
        "?e schema:keywords|schema:audience ?x", keywords)
    assert len(places) > 50 and len(keywords) > 50


def test_ld_load_leaves_the_index_ready_for_the_server(tmp_path) -> None:
    from click.testing import CliRunner

    from conftest import REAL
    from ld.cli import main

    result = CliRunner().invoke(main, ["load", "--store", str(tmp_path / "store"), "--quiet", str(REAL / "event.json")])
    assert result.exit_code == 0, result.output
    store = OxigraphStore(tmp_path / "store")
    index = EventIndex.load(tmp_path / "store" / SideIndex.FILE, store, INDEX)
    assert index is not None and index.n > 0
