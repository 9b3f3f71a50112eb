"""`ld load`: every input shape, idempotent replace, clear reports, a store that stays consistent."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from click.testing import CliRunner

from ld.cli import main
from ld.iris import Iris
from ld.model import RESOURCES
from ld.read import Reader
from ld.store import ADMIN, OxigraphStore

from conftest import REAL, free_port, load_paths, load_records, real_records, stop, wait_until_responds

KEYWORDS = real_records("keyword")


def count_triples(store: OxigraphStore) -> int:
    return int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", dataset=ADMIN)))["n"].value)


def write_inputs(tmp: Path) -> dict[str, Path]:
    page = tmp / "page" / "keyword.json"
    page.parent.mkdir()
    page.write_text(json.dumps({"meta": {"count": 2}, "data": KEYWORDS[:2]}))
    array = tmp / "array.json"
    array.write_text(json.dumps(KEYWORDS[2:4]))
    single = tmp / "single.json"
    single.write_text(json.dumps(KEYWORDS[4]))
    lines = tmp / "lines.jsonl"
    lines.write_text("\n".join(json.dumps(k) for k in KEYWORDS[5:8]) + "\n")
    return {"page": page, "array": array, "single": single, "lines": lines}


def test_every_input_shape_loads(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path)
    store = OxigraphStore()
    report = load_paths(store, [str(tmp_path / "page"), str(tmp_path / "*.json"), paths["lines"]])
    assert report.loaded == {"keyword": 8} and not report.rejected


def test_loading_twice_replaces(tmp_path: Path) -> None:
    store = OxigraphStore()
    load_paths(store, [REAL])
    before = count_triples(store)
    load_paths(store, [REAL])
    assert count_triples(store) == before


def test_invalid_records_are_reported_and_neighbours_load(tmp_path: Path) -> None:
    bad = [dict(KEYWORDS[0], id=None), dict(KEYWORDS[1], image="not-a-url", replaced_by=None),
           {"@type": "Event", "id": "x:1", "location": {"@id": "https://api.hel.fi/linkedevents/v1/keyword/yso:p1/"}}]
    good = KEYWORDS[2:5]
    source = tmp_path / "keyword.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in bad[:1] + good + bad[2:]) + "\nnot json\n")
    result = CliRunner().invoke(main, ["load", "--store", str(tmp_path / "store"), str(source)])
    assert result.exit_code == 1
    assert "loaded 3 keyword" in result.output
    assert re.search(r"^took [\d.]+ s: [\d.]+ s writing records, [\d.]+ s finishing the store, [\d.]+ s building the side index$",
                     result.output, re.MULTILINE)
    assert "rejected <no id> at id: the record has no id" in result.output
    assert "x:1 at location: " in result.output and "names a keyword, expected a place" in result.output
    assert "not valid JSON" in result.output


def test_dangling_references_are_kept_with_a_warning(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["load", "--store", str(tmp_path / "s"), str(REAL / "event.json")])
    assert result.exit_code == 0, result.output
    assert "warning harrastushaku:13248: refers to place tprek:8020, which is not in the store (reference kept)" in result.output
    got = CliRunner().invoke(main, ["get", "--store", str(tmp_path / "s"), "/linkedevents/v1/event/harrastushaku:13248/"])
    assert json.loads(got.output)["location"] == {"@id": "http://127.0.0.1:8000/linkedevents/v1/place/tprek:8020/"}


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["load", "--store", str(tmp_path / "s"), str(tmp_path / "nope.json")])
    assert missing.exit_code == 1 and missing.output.strip() == f"Error: {tmp_path / 'nope.json'}: no such file"
    no_store = CliRunner().invoke(main, ["serve", "--store", str(tmp_path / "none")])
    assert no_store.exit_code == 1 and "ld load --store" in no_store.output


@pytest.mark.server
def test_serve_answers_over_http(tmp_path: Path) -> None:
    """The README flow: load, then serve with the real gunicorn server, then ask over HTTP."""
    store = tmp_path / "store"
    subprocess.run([sys.executable, "-m", "ld.cli", "load", "--store", str(store), str(REAL)], check=True,
                   capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "ld.cli", "serve", "--store", str(store), "--port", str(port),
                               "--base-url", "http://127.0.0.1:8000"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until_responds(f"{base}/linkedevents/v1/")
        body = requests.get(f"{base}/linkedevents/v1/keyword/yso:p4354/", timeout=10).json()
        assert body["name"]["fi"] == "lapset (ikäryhmät)" or body["id"] == "yso:p4354"
        turtle = requests.get(f"{base}/linkedevents/v1/keyword/yso:p4354/", headers={"Accept": "text/turtle"}, timeout=10)
        assert turtle.headers["content-type"].startswith("text/turtle") and "schema:DefinedTerm" in turtle.text
    finally:
        stop(server)


def test_plain_rdf_goes_into_a_public_named_graph(tmp_path: Path) -> None:
    yso = REAL.parent.parent / "yso" / "yso-archaeology.ttl"
    store = str(tmp_path / "s")
    first = CliRunner().invoke(main, ["load", "--store", store, "--graph", "http://www.yso.fi/onto/yso/", str(yso)])
    again = CliRunner().invoke(main, ["load", "--store", store, "--graph", "http://www.yso.fi/onto/yso/", str(yso)])
    assert first.exit_code == again.exit_code == 0 and first.output == again.output  # replaced, not duplicated
    reserved = CliRunner().invoke(main, ["load", "--store", store, "--graph", "https://w3id.org/linkedevents/graph/restricted", str(yso)])
    assert reserved.exit_code == 1 and "reserved" in reserved.output
    query = "SELECT (COUNT(*) AS ?n) FROM <http://www.yso.fi/onto/yso/> WHERE { ?s a skos:Concept }"
    got = CliRunner().invoke(main, ["get", "--store", store, "/sparql?" + urlencode({"query": query})])
    assert json.loads(got.output)["results"]["bindings"][0]["n"]["value"] == "130"


def test_places_without_divisions_get_them_from_their_point() -> None:
    place = dict(real_records("place")[0], id="test:p1", divisions=[])
    store = OxigraphStore()
    assert not load_records(store, [("place", place)]).rejected
    served = Reader(store, Iris("http://127.0.0.1:8000")).detail(RESOURCES["place"], "test:p1")
    ocd_ids = {d["ocd_id"] for d in served["divisions"]}
    assert "ocd-division/country:fi/kunta:helsinki/kaupunginosa:kruununhaka" in ocd_ids
    assert "ocd-division/country:fi/kunta:helsinki/peruspiiri:vironniemi" in ocd_ids


def test_a_store_keeps_the_base_url_its_iris_were_minted_under(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    assert CliRunner().invoke(main, ["load", "--store", store, "--base-url", "https://events.example",
                                     str(REAL / "language.json")]).exit_code == 0
    got = CliRunner().invoke(main, ["get", "--store", store, "/linkedevents/v1/language/fi/"])
    assert json.loads(got.output)["@id"] == "https://events.example/linkedevents/v1/language/fi/"
    other = CliRunner().invoke(main, ["get", "--store", store, "--base-url", "http://other.example",
                                      "/linkedevents/v1/language/fi/"])
    assert other.exit_code == 1 and "minted under https://events.example" in other.output
