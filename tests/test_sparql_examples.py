"""Every ```sparql block of the README's "SPARQL examples" runs on /sparql and gives the right answer.

The data: the generated data set of ``conftest`` (300 events), the YSO archaeology graph loaded as
``ld load --graph`` does, and one extra event in 2099, so that "upcoming" still has an answer once
the generated dates (around 2026-12-01) are past. Expected answers are computed here in Python
from the generated JSON Lines, not from the store.
"""
from __future__ import annotations

import copy
import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path
from typing import Any, Callable

import falcon.testing
import pyoxigraph as ox
import pytest
import rdflib

from endpoint.app import Settings, create_app
from ld.geo import haversine_metres
from ld.load import load_graph
from ld.store import OxigraphStore

from conftest import BASE, ROOT, SHARED, load_paths, load_records

README = ROOT / "README.md"
YSO_GRAPH = "http://www.yso.fi/onto/yso/"
YSO_FILE = SHARED / "data" / "yso" / "yso-archaeology.ttl"
POINT = (24.9414, 60.1710)  # the upcoming-events example's point
RADIUS = 2000
FUTURE_ID = "test:future"


def readme_queries() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## SPARQL examples\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```sparql\n(.*?)^```$", section, re.S | re.M)


QUERIES = readme_queries()


# -- the data ------------------------------------------------------------------------------
class Data:
    """The generated JSON Lines, read independently of the store."""

    def __init__(self, directory: Path, extra_events: list[dict[str, Any]]) -> None:
        def lines(name: str) -> list[dict[str, Any]]:
            return [json.loads(line) for line in (directory / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]

        self.events = lines("event") + extra_events
        self.places = {p["id"]: p for p in lines("place") if not p.get("deleted")}
        self.keywords = {k["id"]: k for k in lines("keyword") if not k.get("deleted")}
        self.organizations = {o["id"]: o for o in lines("organization")}
        private = {d["id"] for d in lines("data_source") if d.get("private")}
        self.public = [e for e in self.events if e.get("publication_status", "public") == "public"
                       and not e.get("deleted") and e.get("data_source") not in private]

    def place_of(self, event: dict[str, Any]) -> dict[str, Any] | None:
        location = event.get("location")
        return self.places.get(ident(location["@id"])) if location else None


def ident(iri: str) -> str:
    """The id at the end of an entity IRI: .../keyword/yso:p1235/ -> yso:p1235."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def future_event(generated: list[dict[str, Any]], places: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A copy of a plain generated event near the example's point, moved to 2099."""
    def near(event: dict[str, Any]) -> bool:
        place = places.get(ident(event["location"]["@id"])) if event.get("location") else None
        return bool(place and place.get("position")
                    and haversine_metres(*place["position"]["coordinates"], *POINT) < RADIUS - 100)

    template = next(e for e in generated if e.get("publication_status") == "public" and not e.get("deleted")
                    and not e.get("super_event") and not e.get("sub_events") and e["keywords"]
                    and "fi" in (e.get("name") or {}) and near(e))
    record = copy.deepcopy(template)
    record.update(id=FUTURE_ID, start_time="2099-06-01T15:00:00Z", end_time="2099-06-01T17:00:00Z")
    record["@id"] = f"https://api.hel.fi/linkedevents/v1/event/{FUTURE_ID}/"
    return record


@pytest.fixture(scope="module")
def setup(generated_dir: Path) -> tuple[falcon.testing.TestClient, Data]:
    base = Data(generated_dir, [])
    extra = future_event(base.events, base.places)
    store = OxigraphStore()
    assert not load_paths(store, [generated_dir]).rejected
    report = load_records(store, [("event", extra)])
    assert not report.rejected, report.rejected
    assert load_graph(store, YSO_GRAPH, [YSO_FILE]) > 1000
    client = falcon.testing.TestClient(create_app(store, Settings(base_url=BASE, cache_size=0)))
    return client, Data(generated_dir, [extra])


def run(client: falcon.testing.TestClient, query: str) -> tuple[list[str], list[dict[str, str]]]:
    result = client.simulate_get("/sparql", params={"query": query},
                                 headers={"Accept": "application/sparql-results+json"})
    assert result.status_code == 200, result.text
    body = result.json
    rows = [{k: v["value"] for k, v in b.items()} for b in body["results"]["bindings"]]
    return body["head"]["vars"], rows


# -- what each example must answer ---------------------------------------------------------
def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_upcoming(data: Data, rows: list[dict[str, str]], before: datetime, after: datetime) -> None:
    by_iri = {f"{BASE}/linkedevents/v1/event/{e['id']}/": e for e in data.public}
    assert f"{BASE}/linkedevents/v1/event/{FUTURE_ID}/" in {r["event"] for r in rows}
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)  # xsd:dateTime in UTC 'Z' form
    for row in rows:
        event = by_iri[row["event"]]
        place = data.place_of(event)
        metres = haversine_metres(*place["position"]["coordinates"], *POINT)
        assert float(row["metres"]) == pytest.approx(metres, abs=1e-3) and metres < RADIUS
        assert row["name"] == event["name"]["fi"]
        assert instant(row["end"]) > before
        if event.get("end_time") and len(event["end_time"]) > 10:
            assert instant(row["end"]) == instant(event["end_time"])
    if len(rows) < 50:  # not cut by LIMIT: every event that surely qualifies is there
        surely = {f"{BASE}/linkedevents/v1/event/{e['id']}/" for e in data.public
                  if "fi" in (e.get("name") or {}) and e.get("end_time") and len(e["end_time"]) > 10
                  and instant(e["end_time"]) > after + timedelta(seconds=1)
                  and (place := data.place_of(e)) and place.get("position")
                  and haversine_metres(*place["position"]["coordinates"], *POINT) < RADIUS - 1}
        assert surely <= {r["event"] for r in rows}


def check_districts(data: Data, rows: list[dict[str, str]]) -> None:
    expected: Counter = Counter()
    for event in data.public:
        place = data.place_of(event)
        districts = {(d["ocd_id"], d["name"]["fi"]) for d in (place or {}).get("divisions") or []
                     if d.get("type") == "district" and "fi" in (d.get("name") or {})}
        expected.update(districts)
    assert {(r["district"], r["name"]): int(r["events"]) for r in rows} == dict(expected)
    assert len(rows) == len(expected)
    assert int(rows[0]["events"]) == max(expected.values())


def check_cooccurrence(data: Data, rows: list[dict[str, str]]) -> None:
    pairs: Counter = Counter()
    for event in data.public:
        keywords = sorted({ident(k["@id"]) for k in event.get("keywords") or []})
        pairs.update(frozenset(pair) for pair in combinations(keywords, 2))
    counts = sorted(pairs.values(), reverse=True)
    assert len(rows) == min(20, len(pairs))
    assert [int(r["events"]) for r in rows] == counts[:len(rows)]  # the top pairs, most frequent first
    for row in rows:
        a, b = ident(row["a"]), ident(row["b"])
        assert row["a"] < row["b"] and pairs[frozenset((a, b))] == int(row["events"])
        for key, name in ((a, row.get("aName")), (b, row.get("bName"))):
            assert name == (data.keywords.get(key, {}).get("name") or {}).get("fi")


def check_publishers(data: Data, rows: list[dict[str, str]]) -> None:
    expected = Counter(e["publisher"] for e in data.public if e.get("publisher"))
    found = {r["publisher"]: int(r["events"]) for r in rows}
    assert found == dict(expected) and len(rows) == len(expected)
    for row in rows:
        organization = data.organizations.get(row["publisher"])
        assert row.get("name") == (organization or {}).get("name")
    assert any("name" in r for r in rows)
    assert int(rows[0]["events"]) == max(expected.values())


def check_yso(data: Data, rows: list[dict[str, str]]) -> None:
    yso = rdflib.Graph().parse(YSO_FILE, format="turtle")
    labels: dict[str, set[str]] = {}
    for concept, label in yso.subject_objects(rdflib.SKOS.prefLabel):
        if label.language == "en":
            labels.setdefault(str(concept), set()).add(str(label))
    used: Counter = Counter()
    for event in data.public:
        used.update({YSO_GRAPH + key[4:] for k in event.get("keywords") or []
                     if (key := ident(k["@id"])).startswith("yso:") and key in data.keywords})
    expected = {(c, label, n) for c, n in used.items() for label in labels.get(c, ())}
    assert {(r["concept"], r["label"], int(r["events"])) for r in rows} == expected
    assert len(rows) == len(expected)


CHECKS: dict[tuple[str, ...], Callable[..., None]] = {
    ("event", "name", "start", "end", "metres"): check_upcoming,
    ("district", "name", "events"): check_districts,
    ("a", "aName", "b", "bName", "events"): check_cooccurrence,
    ("publisher", "name", "events"): check_publishers,
    ("concept", "label", "events"): check_yso,
}


# -- the tests -----------------------------------------------------------------------------
def test_the_readme_has_five_examples_each_explained() -> None:
    assert len(QUERIES) == 5
    section = README.read_text(encoding="utf-8").split("\n## SPARQL examples\n", 1)[1]
    for before in re.split(r"^```sparql\n.*?^```$", section, flags=re.S | re.M)[:-1]:
        assert before.strip(), "each query follows a line that explains it"


@pytest.mark.parametrize("query", QUERIES, ids=[f"example{i + 1}" for i in range(len(QUERIES))])
def test_example_runs_elsewhere_too(query: str) -> None:
    """Every prefix is declared: a bare pyoxigraph store, with nothing predeclared, parses and runs it."""
    used = set(re.findall(r"\b([a-z][a-z0-9]*):[A-Za-z_]", re.sub(r"<[^>]*>|\"[^\"]*\"", "", query)))
    declared = set(re.findall(r"^PREFIX (\w+):", query, re.M))
    assert used <= declared
    list(ox.Store().query(query))


@pytest.mark.parametrize("query", QUERIES, ids=[f"example{i + 1}" for i in range(len(QUERIES))])
def test_example_answers_right_on_the_generated_data(setup, query: str) -> None:
    client, data = setup
    before = datetime.now(timezone.utc)
    head, rows = run(client, query)
    after = datetime.now(timezone.utc)
    assert rows, "the example has an answer"
    check = CHECKS.get(tuple(head))
    assert check is not None, f"no expected answer for an example selecting {head}: add one to CHECKS"
    if check is check_upcoming:
        check(data, rows, before, after)
    else:
        check(data, rows)


def test_every_check_has_its_example() -> None:
    """No expected answer is left without a README query to check (e.g. after a rename)."""
    selected = [set(re.findall(r"\?(\w+)", re.search(r"SELECT (.*?) WHERE", q, re.S).group(1))) for q in QUERIES]
    for head in CHECKS:
        assert any(set(head) <= variables for variables in selected), head
