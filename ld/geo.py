"""Helsinki administrative divisions, coordinate reference systems and small geometry helpers.

The division polygons are bundled in ``ld/data/geo/helsinki-divisions.geojson`` (City of
Helsinki open data, CC BY 4.0, see ``ld/data/geo/LICENSE``). The bundle is produced once by
``python -m ld.geo build [SOURCE_DIR]`` from the three source files in
``/work/shared/data/geo``; nothing reads the source files at run time.
"""
from __future__ import annotations

import json
import math
import os
import re
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from ld.errors import InvalidParameter

__all__ = [
    "DIVISION_ORDER",
    "HELSINKI_MUNI",
    "bbox_polygon_wkt",
    "build_bundle",
    "check_srid",
    "divisions_at",
    "from_wgs84",
    "haversine_metres",
    "known_divisions",
    "point_wkt",
    "register_divisions",
    "resolve_division",
    "round_position",
    "to_wgs84",
    "warm",
]

DATA_DIR = Path(__file__).resolve().parent / "data" / "geo"
BUNDLE_PATH = DATA_DIR / "helsinki-divisions.geojson"
DEFAULT_SOURCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo"  # ../shared beside the checkout

WGS84 = 4326
EARTH_RADIUS_M = 6371008.8  # IUGG mean Earth radius

OCD_ROOT = "ocd-division"
OCD_COUNTRY = "country:fi"
OCD_MUNI = "kunta:helsinki"
HELSINKI_OCD = f"{OCD_ROOT}/{OCD_COUNTRY}/{OCD_MUNI}"

HELSINKI_MUNI: dict[str, Any] = {
    "type": "muni",
    "ocd_id": HELSINKI_OCD,
    "municipality": None,
    "name": {"fi": "Helsinki", "sv": "Helsingfors"},
}

# Linked Events division type -> OCD id segment of the bundled divisions.
DIVISION_TYPES: dict[str, str] = {
    "sub_district": "osa-alue",
    "district": "peruspiiri",
    "neighborhood": "kaupunginosa",
}
# Order of a place's ``divisions`` list: 180 of the 181 Helsinki places in the real API
# sample (and every place of the benchmark generator) list muni, district, sub_district,
# neighborhood; a single old matko record has sub_district, district, neighborhood, muni.
DIVISION_ORDER: tuple[str, ...] = ("muni", "district", "sub_district", "neighborhood")
_TYPE_RANK = {t: i for i, t in enumerate(DIVISION_ORDER)}

ATTRIBUTION = (
    "Contains Helsinki district division data (kaupunginosat, osa-alueet, pienalueet) "
    "from the City of Helsinki, licensed under CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/). Modified: peruspiiri polygons "
    "dissolved from pienalueet, coordinates rounded to 6 decimals, upper-case names "
    "title-cased."
)


# ----------------------------------------------------------------------------------------
# Names and OCD ids
# ----------------------------------------------------------------------------------------
def ocd_slug(name_fi: str) -> str:
    """The last OCD id segment of a division named ``name_fi``.

    >>> ocd_slug("Pikku Huopalahti"), ocd_slug("Etu-Töölö")
    ('pikku_huopalahti', 'etu-töölö')
    """
    return name_fi.lower().replace(" ", "_")


def _title(name: str) -> str:
    # Only the upper-case source names are recased: mixed-case ones such as "Östra centrum"
    # are already what the real API shows, and title() would wrongly give "Östra Centrum".
    return name.title() if name.isupper() else name


def _name_key(name: str) -> str:
    # NFC first: a decomposed "a" + combining diaeresis from a URL must equal "ä".
    return unicodedata.normalize("NFC", name).strip().casefold()


# ----------------------------------------------------------------------------------------
# Bundle
# ----------------------------------------------------------------------------------------
def _rounded(coords: Any) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(c, 6) for c in coords]
    return [_rounded(c) for c in coords]


def build_bundle(source_dir: Path | str = DEFAULT_SOURCE_DIR, out_dir: Path | str = DATA_DIR) -> Path:
    """Write ``helsinki-divisions.geojson`` and ``LICENSE`` into ``out_dir`` from the three
    Helsinki source files in ``source_dir``; return the GeoJSON path.

    One-off build step, run as ``python -m ld.geo build [SOURCE_DIR]``.
    """
    import shapely
    from shapely.geometry import mapping, shape

    source_dir, out_dir = Path(source_dir), Path(out_dir)

    def features(name: str) -> list[dict]:
        with open(source_dir / name, encoding="utf-8") as f:
            return json.load(f)["features"]

    def geometry(feature: dict):
        # Three small areas have bow-tie self-intersections of a few square millimetres.
        return shapely.make_valid(shape(feature["geometry"]))

    def fill_slivers(geom):
        # Dissolving small areas leaves gaps where their edges do not quite meet (at most a
        # few tens of square metres once snapped to the 6-decimal grid); a district has no
        # real holes, so a point in such a gap must still fall inside it.
        polys = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
        kept = [
            shapely.Polygon(p.exterior, [h for h in p.interiors if shapely.Polygon(h).area > 1e-7])
            for p in polys
        ]
        return kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept)

    records: list[tuple[str, str, str, str, Any]] = []  # type, origin id, fi, sv, geometry

    for f in features("helsinki-osa-alueet.geojson"):
        p = f["properties"]
        records.append(("sub_district", p["tunnus"], p["nimi_fi"], p["nimi_se"], geometry(f)))

    districts: dict[str, tuple[str, str, list]] = {}
    for f in features("helsinki-pienalueet.geojson"):
        p = f["properties"]
        entry = districts.setdefault(
            p["peruspiiri_tunnus"], (p["peruspiiri_nimi_fi"], p["peruspiiri_nimi_se"], [])
        )
        entry[2].append(geometry(f))
    for code, (fi, sv, parts) in districts.items():
        dissolved = shapely.set_precision(shapely.union_all(parts), 1e-6)
        records.append(("district", code, fi, sv, fill_slivers(dissolved)))

    for f in features("helsinki-kaupunginosat.geojson"):
        p = f["properties"]
        records.append(("neighborhood", p["tunnus"], p["nimi_fi"], p["nimi_se"], geometry(f)))

    out_features = []
    seen: set[str] = set()
    for typ, code, fi, sv, geom in sorted(records, key=lambda r: (_TYPE_RANK[r[0]], r[1])):
        fi, sv = _title(fi), _title(sv)
        ocd_id = f"{HELSINKI_OCD}/{DIVISION_TYPES[typ]}:{ocd_slug(fi)}"
        if ocd_id in seen:
            raise ValueError(f"duplicate OCD id {ocd_id}")
        seen.add(ocd_id)
        # set_precision snaps to the grid without breaking validity, so the rounding
        # below only strips float noise off values already on the grid.
        geom = shapely.set_precision(geom, 1e-6)
        gj = mapping(geom)
        out_features.append({
            "type": "Feature",
            "properties": {
                "type": typ,
                "ocd_id": ocd_id,
                "municipality": "Helsinki",
                "name": {"fi": fi, "sv": sv},
                "origin_id": code,
            },
            "geometry": {"type": gj["type"], "coordinates": _rounded(gj["coordinates"])},
        })

    bundle = {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": out_features}
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / BUNDLE_PATH.name
    _write_atomic(target, json.dumps(bundle, ensure_ascii=False, separators=(",", ":")) + "\n")
    licence = (source_dir / "LICENSE").read_text(encoding="utf-8").rstrip("\n")
    _write_atomic(out_dir / "LICENSE", f"{licence}\n\nAttribution: {ATTRIBUTION}\n")
    return target


def _write_atomic(path: Path, text: str) -> None:
    # A crash mid-write must not leave a truncated bundle (or a stray temp file) in the repo.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the bundle is ordinary repo content
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# ----------------------------------------------------------------------------------------
# Division lookup
# ----------------------------------------------------------------------------------------
class _Index:
    """The bundled polygons in an STRtree, loaded once on first use."""

    def __init__(self) -> None:
        import shapely
        from shapely.geometry import shape

        with open(BUNDLE_PATH, encoding="utf-8") as f:
            features = json.load(f)["features"]
        self.divisions: list[dict] = []
        geoms = []
        for feat in features:
            p = feat["properties"]
            self.divisions.append({
                "type": p["type"],
                "ocd_id": p["ocd_id"],
                "municipality": p["municipality"],
                "name": dict(p["name"]),
            })
            geoms.append(shape(feat["geometry"]))
        self.tree = shapely.STRtree(geoms)
        self.point = shapely.Point


_index: _Index | None = None
_index_lock = threading.Lock()


def _get_index() -> _Index:
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = _Index()
    return _index


def _copy(division: dict) -> dict:
    # Callers get their own dicts: serialisers may add keys or reorder the names.
    return {
        "type": division["type"],
        "ocd_id": division["ocd_id"],
        "municipality": division.get("municipality"),
        "name": dict(division.get("name") or {}),
    }


def divisions_at(lon: float, lat: float) -> list[dict]:
    """The Linked Events ``divisions`` list of a place at the WGS84 point (lon, lat), in
    :data:`DIVISION_ORDER`.

    Like the original server (PostGIS ``ST_Contains``), a point exactly on a border is in
    neither polygon. Outside Helsinki the list is empty.

    >>> [d["ocd_id"].rsplit("/", 1)[-1] for d in divisions_at(24.9521506, 60.1707042)]
    ['kunta:helsinki', 'peruspiiri:vironniemi', 'osa-alue:kruununhaka', 'kaupunginosa:kruununhaka']
    >>> divisions_at(24.8, 60.2)  # Espoo
    []
    """
    lon, lat = float(lon), float(lat)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return []
    index = _get_index()
    hits = index.tree.query(index.point(lon, lat), predicate="within")
    if len(hits) == 0:
        return []
    found = [HELSINKI_MUNI, *(index.divisions[i] for i in sorted(hits))]
    found.sort(key=lambda d: _TYPE_RANK[d["type"]])  # stable: bundle order within a type
    return [_copy(d) for d in found]


# Every division whose name ``resolve_division`` knows: the bundle, the Helsinki muni, and
# whatever ``register_divisions`` added from loaded data (e.g. Espoo and Vantaa munis).
_registry_lock = threading.Lock()
_registry: dict[str, dict] = {}
_by_name: dict[str, list[str]] = {}


def _register(division: dict) -> None:
    ocd_id = division.get("ocd_id")
    if not ocd_id or ocd_id in _registry:
        return
    _registry[ocd_id] = _copy(division)
    for name in (division.get("name") or {}).values():
        if isinstance(name, str) and name.strip():
            ids = _by_name.setdefault(_name_key(name), [])
            if ocd_id not in ids:
                ids.append(ocd_id)


def _ensure_bundled_registered() -> None:
    if _registry:
        return
    index = _get_index()
    with _registry_lock:
        if not _registry:
            for d in index.divisions:
                _register(d)
            _register(HELSINKI_MUNI)


def register_divisions(divisions: Iterable[dict]) -> None:
    """Make the names of ``divisions`` (dicts shaped like a place's ``divisions`` entries,
    e.g. seen while loading place data) resolvable by :func:`resolve_division`.

    Already known OCD ids are kept as they are; registering is idempotent.
    """
    _ensure_bundled_registered()
    with _registry_lock:
        for d in divisions:
            _register(d)


def known_divisions() -> list[dict]:
    """Every division known by name: bundled, Helsinki muni, then registered ones."""
    _ensure_bundled_registered()
    with _registry_lock:
        return [_copy(d) for d in _registry.values()]


def resolve_division(value: str) -> list[str]:
    """The OCD ids one item of a ``division=`` filter means, as in the original server.

    An item with ':' is an OCD id; a partial one gets the Finnish country and the Helsinki
    municipality prefixes it lacks, and is returned even if no known division has it (the
    filter then simply matches nothing). An item without ':' is a division name in any
    language, matched case-insensitively (the original title-cased it and compared
    exactly) against every known division of any type, so it may give several ids.

    >>> resolve_division("osa-alue:kamppi")
    ['ocd-division/country:fi/kunta:helsinki/osa-alue:kamppi']
    >>> resolve_division("kunta:espoo")
    ['ocd-division/country:fi/kunta:espoo']
    >>> resolve_division("Kampen")
    ['ocd-division/country:fi/kunta:helsinki/osa-alue:kamppi', 'ocd-division/country:fi/kunta:helsinki/kaupunginosa:kamppi']
    >>> resolve_division("atlantis")
    []
    """
    item = unicodedata.normalize("NFC", value).strip()
    if not item:
        return []
    if ":" in item:
        if not item.startswith(OCD_ROOT):
            if not item.startswith("country"):
                if not item.startswith("kunta"):
                    item = f"{OCD_MUNI}/{item}"
                item = f"{OCD_COUNTRY}/{item}"
            item = f"{OCD_ROOT}/{item}"
        return [item]
    _ensure_bundled_registered()
    with _registry_lock:
        return list(_by_name.get(_name_key(item), ()))


# ----------------------------------------------------------------------------------------
# Coordinate reference systems
# ----------------------------------------------------------------------------------------
_SRID_RE = re.compile(r"(?:EPSG:)?(\d{1,9})", re.IGNORECASE)


@lru_cache(maxsize=64)
def _crs(srid: int):
    """The pyproj CRS of an EPSG code, or None when pyproj does not know it as a 2D CRS."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_epsg(srid)
    except CRSError:
        return None
    # Vertical, geocentric or engineering CRSs have EPSG codes too, but a point position
    # cannot be expressed in them.
    if not (crs.is_geographic or crs.is_projected) or len(crs.axis_info) != 2:
        return None
    return crs


def check_srid(value: str | int, param: str = "srid") -> int:
    """Parse an EPSG code (``3067`` or ``EPSG:3067``) that pyproj knows as a 2D CRS.

    >>> check_srid("EPSG:3067"), check_srid(" 4326 ")
    (3067, 4326)
    """
    match = _SRID_RE.fullmatch(str(value).strip())
    if not match:
        raise InvalidParameter(param, f"'{param}' must be an integer, e.g. {param}=3067")
    srid = int(match.group(1))
    if _crs(srid) is None:
        raise InvalidParameter(
            param,
            f"'{param}' {srid} is not a known 2D EPSG coordinate reference system; "
            f"use e.g. {param}=4326 (WGS84) or {param}=3067 (ETRS-TM35FIN)",
        )
    return srid


@lru_cache(maxsize=64)
def _transformer(src: int, dst: int):
    from pyproj import Transformer

    # pyproj >= 3.1 transformers are thread-safe, so one cached instance serves all threads.
    return Transformer.from_crs(src, dst, always_xy=True)


def warm(srids: tuple[int, ...] = (WGS84, 3067)) -> None:
    """Ready pyproj for the usual SRIDs (WGS84 and Helsinki's ETRS-TM35FIN) and the bundled
    division polygons now: a server calls this at start, so that its first request with
    coordinates or divisions does not wait for them (~25 ms and ~120 ms)."""
    _ensure_bundled_registered()
    for src in srids:
        _crs(src)
        for dst in srids:
            if dst != src:
                _transformer(src, dst)


def _transform(x: float, y: float, src: int, dst: int, param: str) -> tuple[float, float]:
    for srid in (src, dst):
        if _crs(srid) is None:
            check_srid(str(srid), param)  # raises the standard message
    if src == dst:
        return float(x), float(y)
    ox, oy = _transformer(src, dst).transform(float(x), float(y))
    if not (math.isfinite(ox) and math.isfinite(oy)):
        raise InvalidParameter(
            param,
            f"coordinates ({x}, {y}) cannot be transformed from EPSG:{src} to EPSG:{dst}; "
            f"check the '{param}' and the axis order (x/longitude first), "
            f"e.g. {param}=3067 with 386377,6672184 (central Helsinki)",
        )
    return ox, oy


def to_wgs84(x: float, y: float, srid: int, *, param: str = "srid") -> tuple[float, float]:
    """(lon, lat) in WGS84 of the point (x, y) given in EPSG:``srid`` (x = easting/lon first).

    Raises InvalidParameter(param) if the point cannot be transformed.
    """
    return _transform(x, y, srid, WGS84, param)


def from_wgs84(lon: float, lat: float, srid: int, *, param: str = "srid") -> tuple[float, float]:
    """(x, y) in EPSG:``srid`` of the WGS84 point (lon, lat), x = easting/lon first."""
    return _transform(lon, lat, WGS84, srid, param)


def round_position(coords: Sequence[float], srid: int) -> list[float]:
    """Round an output position as the original server did: 7 decimals (about 1 cm) in a
    geographic CRS, 2 decimals (1 cm) in a projected one.

    >>> round_position((385230.964, 6672029.9812), 3067)
    [385230.96, 6672029.98]
    >>> round_position((24.95215061234, 60.1707042), 4326)
    [24.9521506, 60.1707042]
    """
    crs = _crs(int(srid))
    digits = 7 if crs is None or crs.is_geographic else 2
    return [round(float(c), digits) for c in coords]


# ----------------------------------------------------------------------------------------
# Distances and WKT
# ----------------------------------------------------------------------------------------
def haversine_metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS84 points on the mean-radius sphere.

    >>> round(haversine_metres(25.0, 60.0, 25.0, 61.0), 2)  # one degree of latitude
    111195.08
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _num(x: float) -> str:
    # repr is the shortest string that round-trips; WKT readers do not all take exponents.
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"coordinate must be finite, got {x!r}")
    text = repr(x)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def point_wkt(lon: float, lat: float) -> str:
    """WKT of a point, longitude first (GeoSPARQL CRS84 order), floats exact.

    >>> point_wkt(24.9521506, 60.1707042)
    'POINT(24.9521506 60.1707042)'
    """
    return f"POINT({_num(lon)} {_num(lat)})"


def bbox_polygon_wkt(west: float, south: float, east: float, north: float) -> str:
    """WKT of a bounding box as a closed counter-clockwise polygon, longitude first.

    >>> bbox_polygon_wkt(24.9, 60.1, 25, 60.2)
    'POLYGON((24.9 60.1, 25.0 60.1, 25.0 60.2, 24.9 60.2, 24.9 60.1))'
    """
    w, s, e, n = _num(west), _num(south), _num(east), _num(north)
    return f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"


def _main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "build" and len(argv) <= 2:
        path = build_bundle(argv[1] if len(argv) == 2 else DEFAULT_SOURCE_DIR)
        print(f"wrote {path} ({path.stat().st_size} bytes)")
        return 0
    print("usage: python -m ld.geo build [SOURCE_DIR]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
