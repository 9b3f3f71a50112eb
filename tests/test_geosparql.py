"""GeoSPARQL through ``/sparql``: distance and polygon queries return exactly the right places.

Expected answers are computed in Python from the input JSON, independently of the store:
distances with ``ld.geo.haversine_metres`` and district membership from each place's own
``divisions`` list, cross-checked with ``ld.geo.divisions_at`` over the bundled City of
Helsinki polygons (the same polygons the queries use).

Earth model: pyoxigraph 0.5.13 (spargeo) computes ``geof:distance`` between two points with
``uom:metre`` as a haversine great-circle distance on the IUGG mean-radius sphere
(6,371,008.8 m), the model ``haversine_metres`` uses, so the distances agree to well under a
millimetre (asserted below). The set comparison still leaves a 1 m band at the radius in which
a place may fall either way, in case a later engine switches to a geodesic on the ellipsoid
(which differs by up to ~0.5 % at this latitude); no place of either data set lies in that band.
``geof:distance`` without a unit returns no value (the GeoSPARQL signature needs one).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import falcon.testing
import pytest
from shapely.geometry import shape

from ld.geo import BUNDLE_PATH, divisions_at, haversine_metres

from conftest import real_records

CENTRE = (24.9348, 60.1762)  # lon, lat: the bbox/dwithin example of the filter docs
BAND = 1.0  # metres either side of the radius where the engine's earth model may differ
KALLIO = "ocd-division/country:fi/kunta:helsinki/kaupunginosa:kallio"
KALLIO_DISTRICT = "ocd-division/country:fi/kunta:helsinki/peruspiiri:kallio"

PREFIXES = """PREFIX schema: <http://schema.org/>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX geof: <http://www.opengis.net/def/function/geosparql/>
PREFIX uom: <http://www.opengis.net/def/uom/OGC/1.0/>
"""


def select(client: falcon.testing.TestClient, query: str) -> list[dict[str, str]]:
    result = client.simulate_post("/sparql", body=query.encode(),
                                  headers={"Content-Type": "application/sparql-query",
                                           "Accept": "application/sparql-results+json"})
    assert result.status_code == 200, result.text
    return [{k: v["value"] for k, v in row.items()} for row in result.json["results"]["bindings"]]


def polygon_wkt(ocd_id: str) -> str:
    features = json.loads(Path(BUNDLE_PATH).read_text(encoding="utf-8"))["features"]
    (feature,) = [f for f in features if f["properties"]["ocd_id"] == ocd_id]
    return shape(feature["geometry"]).wkt


@pytest.fixture(params=["real", "generated"])
def data(request: pytest.FixtureRequest) -> tuple[falcon.testing.TestClient, list[dict[str, Any]]]:
    """(client, the place records it was loaded from), for the real and the generated data set."""
    if request.param == "real":
        return request.getfixturevalue("client"), real_records("place")
    lines = (request.getfixturevalue("generated_dir") / "place.jsonl").read_text(encoding="utf-8").splitlines()
    return request.getfixturevalue("generated_client"), [json.loads(line) for line in lines]


def located(places: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    return {p["id"]: tuple(p["position"]["coordinates"][:2]) for p in places
            if p.get("position") and not p.get("deleted")}


@pytest.mark.parametrize("radius", [1000, 3000])
def test_distance_query_returns_the_places_within_the_radius(data, radius: int) -> None:
    client, places = data
    rows = select(client, PREFIXES + f"""SELECT ?id ?metres WHERE {{
  ?place a schema:Place ; schema:identifier ?id ; geo:hasGeometry/geo:asWKT ?wkt .
  BIND(geof:distance(?wkt, "POINT({CENTRE[0]} {CENTRE[1]})"^^geo:wktLiteral, uom:metre) AS ?metres)
  FILTER(?metres < {radius})
}}""")
    found = {row["id"]: float(row["metres"]) for row in rows}
    distances = {pid: haversine_metres(lon, lat, *CENTRE) for pid, (lon, lat) in located(places).items()}

    surely_in = {pid for pid, d in distances.items() if d < radius - BAND}
    maybe = {pid for pid, d in distances.items() if abs(d - radius) <= BAND}
    assert len(surely_in) > 10  # the comparison means something
    assert surely_in <= set(found) <= surely_in | maybe
    for pid, metres in found.items():  # the same earth model: the same numbers
        assert metres == pytest.approx(distances[pid], abs=1e-3)


def test_distance_needs_a_unit(client) -> None:
    rows = select(client, PREFIXES + """SELECT ?d WHERE {
  BIND(geof:distance("POINT(25 60)"^^geo:wktLiteral, "POINT(25 61)"^^geo:wktLiteral) AS ?d)
}""")
    assert rows == [{}]  # unbound: an error inside BIND
    (row,) = select(client, PREFIXES + """SELECT ?d WHERE {
  BIND(geof:distance("POINT(25 60)"^^geo:wktLiteral, "POINT(25 61)"^^geo:wktLiteral, uom:metre) AS ?d)
}""")
    assert float(row["d"]) == pytest.approx(haversine_metres(25, 60, 25, 61), abs=1e-3)  # one degree: 111,195 m


def _in_division(places: list[dict[str, Any]], ocd_id: str) -> set[str]:
    by_data = {p["id"] for p in places if not p.get("deleted") and p.get("position")
               and any(d.get("ocd_id") == ocd_id for d in p.get("divisions") or [])}
    by_polygon = {pid for pid, (lon, lat) in located(places).items()
                  if any(d["ocd_id"] == ocd_id for d in divisions_at(lon, lat))}
    assert by_data == by_polygon  # the data's divisions and the bundled polygons agree
    return by_data


def test_within_the_kallio_polygon(data) -> None:
    client, places = data
    expected = _in_division(places, KALLIO)
    assert len(expected) >= 5
    rows = select(client, PREFIXES + f"""SELECT ?id WHERE {{
  ?place a schema:Place ; schema:identifier ?id ; geo:hasGeometry/geo:asWKT ?wkt .
  FILTER(geof:sfWithin(?wkt, "{polygon_wkt(KALLIO)}"^^geo:wktLiteral))
}}""")
    assert {row["id"] for row in rows} == expected
    assert len(rows) == len(expected)


def test_intersects_the_kallio_district_polygon(data) -> None:
    client, places = data
    expected = _in_division(places, KALLIO_DISTRICT)
    assert expected > _in_division(places, KALLIO)  # the peruspiiri is bigger than the kaupunginosa
    rows = select(client, PREFIXES + f"""SELECT ?id WHERE {{
  ?place a schema:Place ; schema:identifier ?id ; geo:hasGeometry/geo:asWKT ?wkt .
  FILTER(geof:sfIntersects("{polygon_wkt(KALLIO_DISTRICT)}"^^geo:wktLiteral, ?wkt))
}}""")
    assert {row["id"] for row in rows} == expected
