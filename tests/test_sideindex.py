"""The side index answers exactly what the plain SPARQL templates answer: every list query of the
benchmark mix, on a generated data set, gives the same events in the same order either way."""
from __future__ import annotations

import gc
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


def test_a_ready_index_has_its_orders_made(mix_store: OxigraphStore) -> None:
    """Sorting every event by a column is made with the index, not by the first request that
    orders by it; the pages then come from those orders."""
    index = SideIndex(mix_store, INDEX).warm()
    assert set(index._orders) == {(c, d) for c in INDEXED_ORDERS.values() for d in (False, True)}
    assert set(index._seconds) == {"start", "end"}
    everything = index.everything()
    count, first = index.page(everything, [("start", False)], 0, 5)
    assert count == index.n and first == [index.iris[i] for i in index._orders[("start", False)][:5]]


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


# -- the build equals a straightforward one --------------------------------------------------------

def _reference(store: OxigraphStore, spec) -> dict:
    """What the index holds, by the plain path the build is an optimization of: every extraction
    as JSON bindings, every value converted in Python (tokens by dicts; postings by lists)."""
    import json
    from datetime import timezone

    import numpy as np
    from pyoxigraph import QueryResultsFormat

    from ld.store import PUBLIC
    from ld.times import micros

    def bindings(query: str) -> list[dict]:
        data = store.query(query, dataset=PUBLIC).serialize(format=QueryResultsFormat.JSON)
        return json.loads(data)["results"]["bindings"]

    iris = sorted({b["e"]["value"] for b in bindings("SELECT DISTINCT ?e WHERE { ?e lei:listing ?_l }")})
    row = {iri: i for i, iri in enumerate(iris)}

    def pairs(group: str) -> list[tuple[int, dict]]:
        found = ((row.get(b["e"]["value"]), b.get("v")) for b in bindings(f"SELECT ?e ?v WHERE {{ {group} }}"))
        return [(r, v) for r, v in found if r is not None and v is not None]

    def postings(found) -> dict[str, list[int]]:
        by_value: dict[str, set[int]] = {}
        for r, value in found:
            by_value.setdefault(value, set()).add(r)
        return {value: sorted(rs) for value, rs in by_value.items()}

    def instant(lexical: str) -> int:
        moment = datetime.fromisoformat(lexical.replace("Z", "+00:00"))
        return micros(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))

    def column(found, convert) -> tuple[dict[int, object], list[bool]]:
        smallest: dict[int, object] = {}
        for r, v in found:
            value = convert(v["value"])
            smallest[r] = min(smallest.get(r, value), value)
        return smallest

    def tokens(found) -> dict[str, list[int]]:
        by_token: dict[str, set[int]] = {}
        for r, v in found:
            for token in v["value"].lower().split():
                by_token.setdefault(token, set()).add(r)
        return {token: sorted(rs) for token, rs in by_token.items()}

    terms = {key: postings((r, v["value"]) for r, v in pairs(group)) for key, group in spec.terms.items()}
    for language, of in spec.languages.items():
        terms[language] = postings((r, v.get("xml:lang", "").lower()) for r, v in pairs(spec.texts[of]))
    columns = {key: column(pairs(group), instant) for key, group in spec.instants.items()}
    columns |= {key: column(pairs(group), float) for key, group in spec.numbers.items()}
    sets = {key: sorted({row[b["e"]["value"]] for b in bindings(f"SELECT DISTINCT ?e WHERE {{ {group} }}")
                         if b["e"]["value"] in row}) for key, group in spec.sets.items()}
    texts = {key: tokens(pairs(group)) for key, group in spec.texts.items()}
    return {"iris": iris, "terms": terms, "columns": columns, "sets": sets, "texts": texts}


def _contents(index: EventIndex) -> dict:
    """The same, read from a built index."""
    import numpy as np

    def column(key: str) -> dict[int, object]:
        found = index.column(key)
        assert found.values.dtype == (np.float64 if key in INDEX.numbers else np.int64)
        assert not found.values[~found.present].any()  # absent: 0
        return {int(r): found.values[r].item() for r in np.flatnonzero(found.present)}

    def rows(array) -> list[int]:
        assert array.dtype == np.int32
        return array.tolist()

    def tokens(key: str) -> dict[str, list[int]]:
        text = index.text(key)
        assert len(set(text.tokens)) == len(text.tokens)
        return {token: rows(text._rows[text._offsets[i]:text._offsets[i + 1]]) for i, token in enumerate(text.tokens)}

    return {
        "iris": index.iris,
        "terms": {key: {value: rows(found) for value, found in postings.items()}
                  for key, postings in index._terms.items()},
        "columns": {key: column(key) for key in index._columns},
        "sets": {key: rows(found) for key, found in index._sets.items()},
        "texts": {key: tokens(key) for key in index._texts},
    }


def test_the_build_holds_what_a_straightforward_extraction_finds(mix_store: OxigraphStore) -> None:
    index = EventIndex.build(mix_store, INDEX)
    built, expected = _contents(index), _reference(mix_store, INDEX)
    assert built["iris"] == expected["iris"] and len(built["iris"]) == index.n > 1000
    for part in ("terms", "columns", "sets", "texts"):
        assert list(built[part]) == list(expected[part]), part
        for key in expected[part]:
            assert built[part][key] == expected[part][key], (part, key)
    # The values of a term come in the order the store first gave them (as ``values`` lists them).
    for key in INDEX.terms:
        assert list(built["terms"][key]) == list(expected["terms"][key]), key
    assert index.tables == {query: rows(mix_store, query) for query in INDEX.tables}


def test_a_build_in_small_chunks_holds_the_same(mix_store: OxigraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from ld.tokens import TokenIndexBuilder

    monkeypatch.setattr(TokenIndexBuilder, "CHUNK", 997)
    built = _contents(EventIndex.build(mix_store, INDEX))
    assert built["texts"] == _reference(mix_store, INDEX)["texts"]


def _read_only(path, load) -> OxigraphStore:
    """An on-disk store written by ``load`` and closed, opened again read-only (as ``ld load``
    opens it for the build: nothing compacts it from under the build processes)."""
    written = OxigraphStore(path)
    assert not load(written).rejected
    del written
    gc.collect()
    return OxigraphStore(path, read_only=True)


def test_a_build_in_processes_holds_the_same(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    """``ld load`` builds in processes reading read-only snapshots of the on-disk store (and not
    by falling back to one process, which would hold the same)."""
    data = tmp_path / "data"
    subprocess.run([sys.executable, str(SHARED / "bench" / "gen_events.py"), "--events", "400", "--out", str(data)],
                   check=True, capture_output=True)
    store = _read_only(tmp_path / "store", lambda written: load_paths(written, [data]))
    index = EventIndex.build(store, INDEX, processes=2)
    built, expected = _contents(index), _reference(store, INDEX)
    assert len(built["iris"]) == index.n > 300
    assert built == expected
    assert not [r for r in caplog.records if "processes failed" in r.getMessage()]


def test_a_build_process_refuses_a_snapshot_of_another_generation(tmp_path) -> None:
    """Rows numbered from one generation are never filled from another (then the build runs alone)."""
    from concurrent.futures.process import BrokenProcessPool

    from ld.sideindex import _extract_in_processes

    store = _read_only(tmp_path / "store", lambda written: load_records(written, [_event("t:1", 1)]))
    job = ("sets", "events", "?e a schema:Event", False)
    iris = [IRIS.entity("event", "t:1")]
    assert len(_extract_in_processes(str(store.path), store.generation(), iris, [job], 1)[0]) == 1
    with pytest.raises(BrokenProcessPool):
        _extract_in_processes(str(store.path), store.generation() - 1, iris, [job], 1)


def test_the_build_reads_every_form_of_value_as_the_plain_path() -> None:
    """Instants with an offset, a fraction, no time zone or before 1970; several values per row
    (the smallest kept); texts that are IRIs or untagged; subjects that are not listed events;
    numbers in any form."""
    store = OxigraphStore()
    e = [f"<http://example.org/event/{i}/>" for i in range(6)]
    dt = "^^xsd:dateTime"
    store.update(f"""INSERT DATA {{
      {e[0]} lei:listing "General" ; lei:start "2026-12-01T10:00:00Z"{dt}, "2026-12-01T09:00:00+02:00"{dt} ;
             schema:name "Konsertti Kirkossa"@fi, "Konsert"@SV ; schema:url <http://example.org/Konsertti> ;
             le:audienceMinAge 7 ; le:audienceMaxAge "12.5"^^xsd:decimal ; schema:keywords <http://example.org/k/1> .
      {e[1]} lei:listing "General", "Course" ;
             lei:start "2026-12-01T10:00:00.25Z"{dt}, "2026-12-01T10:00:00"{dt} ;
             lei:end "1969-07-20T20:17:40Z"{dt} ; schema:name "konsertti", "Jazz  ilta"@en ;
             le:audienceMinAge "3.0e0"^^xsd:double ;
             schema:keywords <http://example.org/k/1>, <http://example.org/k/2> .
      {e[2]} lei:listing "Course" ; schema:description "Tanssi\\tja\\nlaulu \\"Jazz\\""@fi ; schema:name "Dans"@sv ;
             schema:dateModified "2026-01-01T00:00:00-05:00"{dt} .
      {e[3]} schema:name "not listed" ; lei:start "2026-12-01T10:00:00Z"{dt} ;
             schema:keywords <http://example.org/k/3> .
      {e[4]} lei:listing "General" ; schema:offers [ schema:isAccessibleForFree true ] .
    }}""")
    index = EventIndex.build(store, INDEX)
    built, expected = _contents(index), _reference(store, INDEX)
    assert built == expected
    assert built["iris"] == [iri[1:-1] for iri in e[:3]] + [e[4][1:-1]]
    assert built["columns"]["start"] == {0: 1796108400000000, 1: 1796119200000000}  # 07:00Z; naive is UTC
    assert built["texts"]["own"]["jazz"] == [1] and built["texts"]["own"]['"jazz"'] == [2]  # split at whitespace only
    assert built["terms"]["translation"]["sv"] == [0, 2] and built["terms"]["translation"][""] == [1]
    assert built["sets"]["free"] == [3]
