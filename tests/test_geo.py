"""Tests of ld.geo against the real Linked Events place sample and pyproj itself."""
from __future__ import annotations

import doctest
import json
import math

import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import shape

from conftest import REAL
import ld.geo as geo
from ld.errors import InvalidParameter
from ld.geo import (
    DIVISION_ORDER,
    bbox_polygon_wkt,
    check_srid,
    divisions_at,
    from_wgs84,
    haversine_metres,
    point_wkt,
    register_divisions,
    resolve_division,
    round_position,
    to_wgs84,
)

REAL_PLACES = REAL / "place.json"
HELSINKI = "ocd-division/country:fi/kunta:helsinki"
KAMPPI_OSA = f"{HELSINKI}/osa-alue:kamppi"
KAMPPI_KO = f"{HELSINKI}/kaupunginosa:kamppi"
MALMI_PP = f"{HELSINKI}/peruspiiri:malmi"
MALMI_KO = f"{HELSINKI}/kaupunginosa:malmi"

# Helsinki Cathedral crypt (real place matko:587).
CATHEDRAL = (24.9521506, 60.1707042)

# The only real place whose list is not in DIVISION_ORDER: this old matko record lists
# sub_district, district, neighborhood, muni, while the 180 other Helsinki places (and the
# benchmark generator) list muni, district, sub_district, neighborhood. Same divisions.
ORDER_EXCEPTIONS = {"matko:587"}


def _real_places() -> list[dict]:
    with open(REAL_PLACES, encoding="utf-8") as f:
        return json.load(f)["data"]


_PLACES = _real_places()
_HELSINKI_PLACES = [
    p for p in _PLACES
    if p.get("position") and any(d["ocd_id"].startswith(HELSINKI + "/") for d in p["divisions"])
]
_OTHER_PLACES = [
    p for p in _PLACES
    if p.get("position") and not any(d["ocd_id"].startswith(HELSINKI) for d in p["divisions"])
]


def _key(divisions: list[dict]) -> list[tuple]:
    return sorted(
        (d["type"], d["ocd_id"], d["municipality"], tuple(sorted(d["name"].items())))
        for d in divisions
    )


# ---------------------------------------------------------------------------------------
# divisions_at against the real API sample
# ---------------------------------------------------------------------------------------
def test_real_sample_is_what_we_expect():
    # Guards the parametrised tests below against silently testing nothing.
    assert len(_HELSINKI_PLACES) == 181
    assert len(_OTHER_PLACES) == 10


@pytest.mark.parametrize("place", _HELSINKI_PLACES, ids=lambda p: p["id"])
def test_divisions_at_matches_real_place(place):
    real = [d for d in place["divisions"] if d["ocd_id"].startswith(HELSINKI)]
    got = divisions_at(*place["position"]["coordinates"])
    assert _key(got) == _key(real)
    if place["id"] in ORDER_EXCEPTIONS:
        assert [d["type"] for d in real] != list(DIVISION_ORDER)
    else:
        assert got == real  # same dicts, same order


@pytest.mark.parametrize("place", _OTHER_PLACES, ids=lambda p: p["id"])
def test_divisions_at_outside_helsinki_is_empty(place):
    # Espoo and Vantaa places: the real API has only their muni, which we do not bundle.
    assert divisions_at(*place["position"]["coordinates"]) == []


def test_divisions_at_shape_and_order():
    got = divisions_at(*CATHEDRAL)
    assert [d["type"] for d in got] == list(DIVISION_ORDER)
    assert got[0] == {
        "type": "muni", "ocd_id": HELSINKI, "municipality": None,
        "name": {"fi": "Helsinki", "sv": "Helsingfors"},
    }
    assert got[2] == {
        "type": "sub_district", "ocd_id": f"{HELSINKI}/osa-alue:kruununhaka",
        "municipality": "Helsinki", "name": {"fi": "Kruununhaka", "sv": "Kronohagen"},
    }
    got[0]["name"]["fi"] = "changed"  # callers own their copies
    assert divisions_at(*CATHEDRAL)[0]["name"]["fi"] == "Helsinki"


def test_divisions_at_far_away_and_nonfinite():
    assert divisions_at(0.0, 0.0) == []
    assert divisions_at(24.8, 60.2) == []  # Espoo
    assert divisions_at(math.nan, 60.17) == []


def test_point_on_border_is_in_neither_polygon():
    # PostGIS ST_Contains, which the original server used, excludes the boundary.
    bundle = json.loads(geo.BUNDLE_PATH.read_text(encoding="utf-8"))
    kruununhaka = next(
        f for f in bundle["features"] if f["properties"]["ocd_id"] == f"{HELSINKI}/kaupunginosa:kruununhaka"
    )
    lon, lat = kruununhaka["geometry"]["coordinates"][0][0]
    ids = [d["ocd_id"] for d in divisions_at(lon, lat)]
    assert f"{HELSINKI}/kaupunginosa:kruununhaka" not in ids


# ---------------------------------------------------------------------------------------
# Bundle
# ---------------------------------------------------------------------------------------
def test_bundle_contents():
    assert geo.BUNDLE_PATH.stat().st_size < 2_000_000
    licence = (geo.BUNDLE_PATH.parent / "LICENSE").read_text(encoding="utf-8")
    assert "CC-BY 4.0" in licence and "Attribution:" in licence
    features = json.loads(geo.BUNDLE_PATH.read_text(encoding="utf-8"))["features"]
    counts: dict[str, int] = {}
    for f in features:
        p = f["properties"]
        counts[p["type"]] = counts.get(p["type"], 0) + 1
        segment = geo.DIVISION_TYPES[p["type"]]
        assert p["ocd_id"] == f"{HELSINKI}/{segment}:{p['name']['fi'].lower().replace(' ', '_')}"
        assert not p["name"]["fi"].isupper() and not p["name"]["sv"].isupper()
        assert shapely.is_valid(shape(f["geometry"]))
    assert counts == {"sub_district": 148, "district": 34, "neighborhood": 60}
    assert len({f["properties"]["ocd_id"] for f in features}) == len(features)


# ---------------------------------------------------------------------------------------
# resolve_division
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["kamppi", "Kamppi", "KAMPEN", "Kampen", " kamppi "])
def test_resolve_name_any_language_any_case(value):
    assert resolve_division(value) == [KAMPPI_OSA, KAMPPI_KO]


def test_resolve_name_matching_several_types():
    # Malmi is a peruspiiri and a kaupunginosa; its osa-alueet are Ala- and Ylä-Malmi.
    assert sorted(resolve_division("malmi")) == sorted([MALMI_PP, MALMI_KO])
    assert sorted(resolve_division("Malm")) == sorted([MALMI_PP, MALMI_KO])


def test_resolve_name_with_space_hyphen_and_umlaut():
    assert resolve_division("Pikku Huopalahti") == [f"{HELSINKI}/osa-alue:pikku_huopalahti"]
    assert resolve_division("etu-töölö") == [
        f"{HELSINKI}/osa-alue:etu-töölö", f"{HELSINKI}/kaupunginosa:etu-töölö",
    ]
    # The same name with a decomposed "ö", as some clients percent-encode it.
    assert resolve_division("etu-to\u0308o\u0308lo\u0308") == resolve_division("etu-töölö")


def test_resolve_muni_name():
    assert resolve_division("Helsingfors") == [HELSINKI]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("osa-alue:kamppi", KAMPPI_OSA),
        ("peruspiiri:malmi", MALMI_PP),
        ("kunta:helsinki", HELSINKI),
        ("kunta:espoo", "ocd-division/country:fi/kunta:espoo"),
        ("country:fi/kunta:vantaa", "ocd-division/country:fi/kunta:vantaa"),
        (KAMPPI_OSA, KAMPPI_OSA),
    ],
)
def test_resolve_ocd_ids(value, expected):
    assert resolve_division(value) == [expected]


@pytest.mark.parametrize("value", ["atlantis", "", "   ", "kamp"])
def test_resolve_unknown_name(value):
    assert resolve_division(value) == []


def test_register_divisions_from_loaded_data():
    assert resolve_division("Vanda") == []
    vantaa = next(
        d for p in _PLACES for d in p["divisions"] if d["ocd_id"].endswith("kunta:vantaa")
    )
    register_divisions([vantaa])
    register_divisions([vantaa])  # idempotent
    assert resolve_division("Vanda") == ["ocd-division/country:fi/kunta:vantaa"]
    assert resolve_division("vantaa") == ["ocd-division/country:fi/kunta:vantaa"]
    assert resolve_division("kamppi") == [KAMPPI_OSA, KAMPPI_KO]  # bundle still known


# ---------------------------------------------------------------------------------------
# SRIDs and reprojection
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [("3067", 3067), ("EPSG:3067", 3067), ("epsg:4326", 4326), (" 3879 ", 3879), (3857, 3857)],
)
def test_check_srid_accepts(value, expected):
    assert check_srid(value) == expected


@pytest.mark.parametrize("value", ["abc", "3.5", "", "-3067", "EPSG:", "3067x"])
def test_check_srid_not_an_integer(value):
    with pytest.raises(InvalidParameter) as err:
        check_srid(value)
    assert err.value.param == "srid"
    assert err.value.problems == {"srid": "'srid' must be an integer, e.g. srid=3067"}


def test_check_srid_other_parameter_name():
    with pytest.raises(InvalidParameter) as err:
        check_srid("x", "bbox_srid")
    assert err.value.problems == {"bbox_srid": "'bbox_srid' must be an integer, e.g. bbox_srid=3067"}


@pytest.mark.parametrize("value", ["99999", "EPSG:1", "5703", "9001"])
def test_check_srid_unknown_code(value):
    # 5703 is a vertical CRS and 9001 the metre unit: EPSG codes, but not 2D CRSs.
    with pytest.raises(InvalidParameter) as err:
        check_srid(value)
    code = value.split(":")[-1]
    assert code in err.value.problems["srid"]
    assert "srid=3067" in err.value.problems["srid"]


def test_reprojection_3067_round_trip():
    expected = Transformer.from_crs(4326, 3067, always_xy=True).transform(*CATHEDRAL)
    x, y = from_wgs84(*CATHEDRAL, 3067)
    assert (x, y) == pytest.approx(expected, abs=1e-6)
    assert (x, y) == pytest.approx((386376.89, 6672184.17), abs=0.01)  # pyproj 3.7 / PROJ 9.5
    lon, lat = to_wgs84(x, y, 3067)
    assert (lon, lat) == pytest.approx(CATHEDRAL, abs=1e-9)
    assert round_position((x, y), 3067) == [386376.89, 6672184.17]
    assert round_position((lon, lat), 4326) == [24.9521506, 60.1707042]


def test_wgs84_is_identity():
    assert to_wgs84(*CATHEDRAL, 4326) == CATHEDRAL
    assert from_wgs84(*CATHEDRAL, 4326) == CATHEDRAL


def test_untransformable_point_is_invalid_parameter():
    with pytest.raises(InvalidParameter) as err:
        to_wgs84(1e12, 1e12, 3067)
    assert err.value.param == "srid"


# ---------------------------------------------------------------------------------------
# Distances and WKT
# ---------------------------------------------------------------------------------------
def test_haversine():
    assert haversine_metres(*CATHEDRAL, *CATHEDRAL) == 0.0
    # One degree of latitude on the 6371008.8 m sphere.
    assert haversine_metres(25.0, 60.0, 25.0, 61.0) == pytest.approx(111195.08, abs=0.01)
    tallinn = (24.7536, 59.4370)
    d = haversine_metres(*CATHEDRAL, *tallinn)
    assert d == haversine_metres(*tallinn, *CATHEDRAL)
    _, _, ellipsoidal = Geod(ellps="WGS84").inv(*CATHEDRAL, *tallinn)
    assert d == pytest.approx(ellipsoidal, rel=0.005)  # sphere vs ellipsoid, ~82 km


def test_wkt():
    assert point_wkt(*CATHEDRAL) == "POINT(24.9521506 60.1707042)"
    assert point_wkt(0.1 + 0.2, 60) == "POINT(0.30000000000000004 60.0)"
    assert point_wkt(1e-7, -1.5e-5) == "POINT(0.0000001 -0.000015)"  # no exponents
    assert bbox_polygon_wkt(24.9, 60.1, 25.0, 60.2) == (
        "POLYGON((24.9 60.1, 25.0 60.1, 25.0 60.2, 24.9 60.2, 24.9 60.1))"
    )
    with pytest.raises(ValueError):
        point_wkt(math.inf, 60)


def test_docstring_examples():
    result = doctest.testmod(geo, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
