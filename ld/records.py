"""Input records -> JSON-LD documents ready for expansion with our context.

A Linked Events record is almost JSON-LD already; what it lacks is a real context and stable
identifiers. Normalizing a record: resolves every reference by resource type and id (whatever
host it names) to an IRI under our base, splits out entities that arrive expanded inside it
(images, an included location), keeps the order of list items and any unknown fields in
internal ``lei_*`` keys, and types date-only times as ``xsd:date``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

from ld.context import context, date_only_override
from ld.errors import InvalidRecord
from ld.iris import Iris
from ld import geo
from ld.model import BY_JSON_TYPE, EVENT, GEOJSON, ID, JSON, LANG, NESTED, PLACE, REF, RESOURCES, TEXT, URL, WHEN, Resource
from ld.vocab import LEI

_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Internal keys added to the documents we load (never to the ones we serve).
LOAD_TERMS = {
    "lei_position": LEI.position.value,
    "lei_order": {"@id": LEI.order.value, "@type": "@json"},
    "lei_extra": {"@id": LEI.extra.value, "@type": "@json"},
}

# Values the original server always has, filled in when an (older) record lacks them.
_DEFAULTS = {
    "event": {"has_user_editable_resources": False, "deleted": False, "local": False},
    "place": {"has_user_editable_resources": False, "deleted": False},
    "keyword": {"has_user_editable_resources": False, "deprecated": False, "aggregate": False},
    "keyword_set": {"has_user_editable_resources": False},
    "image": {"has_user_editable_resources": False},
}


def json_lang(tag: str) -> str:
    """Language tag as the API writes it (``zh_hans``) from the BCP 47 one (``zh-hans``)."""
    return tag.replace("-", "_")


def rdf_lang(key: str) -> str:
    return key.replace("_", "-")


@dataclass
class Record:
    """One normalized record: its JSON-LD document plus what the loader must know about it."""

    resource: Resource
    id: str
    iri: str
    document: dict[str, Any]
    embedded: bool = False                 # arrived expanded inside another record
    warnings: list[str] = field(default_factory=list)


def detect_resource(record: dict[str, Any], hint: str | None = None) -> Resource:
    """Which resource type a raw record is, from its @type, its @id or the caller's hint."""
    json_type = record.get("@type")
    if isinstance(json_type, str) and json_type in BY_JSON_TYPE:
        return BY_JSON_TYPE[json_type]
    at_id = record.get("@id")
    if isinstance(at_id, str):
        parsed = Iris.parse(at_id)
        if parsed and parsed[0] in RESOURCES:
            return RESOURCES[parsed[0]]
    if hint in RESOURCES:
        return RESOURCES[hint]
    raise InvalidRecord(_raw_id(record), "@type", "cannot tell the resource type (no known @type, @id or file name)")


def _raw_id(record: dict[str, Any]) -> str | None:
    value = record.get("id")
    return str(value) if value is not None else None


class Normalizer:
    """Turns raw records into :class:`Record`s for one base URL."""

    def __init__(self, iris: Iris) -> None:
        self.iris = iris
        self._context = {**context()["@context"], **LOAD_TERMS}
        # The same places, keywords and languages are referred to over and over, by URL.
        self._locate = lru_cache(maxsize=1 << 16)(self._locate_uncached)

    def normalize(self, raw: Any, *, hint: str | None = None, embedded: bool = False) -> Iterator[Record]:
        """The record itself and, before it, every entity that arrived expanded inside it."""
        if not isinstance(raw, dict):
            raise InvalidRecord(None, None, f"a record must be a JSON object, not {type(raw).__name__}")
        resource = detect_resource(raw, hint)
        entity_id = raw.get("id")
        if entity_id is None or entity_id == "":
            raise InvalidRecord(None, "id", "the record has no id")
        if resource.int_id and (not isinstance(entity_id, int) or isinstance(entity_id, bool)):
            raise InvalidRecord(str(entity_id), "id", f"{resource.name} ids are integers")
        if not resource.int_id and not isinstance(entity_id, str):
            raise InvalidRecord(str(entity_id), "id", f"{resource.name} ids are strings such as 'helsinki:abc'")
        iri = self.iris.entity(resource.name, entity_id)
        doc: dict[str, Any] = {"@id": iri, "@type": resource.json_type}
        record = Record(resource, str(entity_id), iri, doc, embedded=embedded)
        inner: list[Record] = []
        order: dict[str, list[Any]] = {}
        extra: dict[str, Any] = {}
        date_only = []
        for key, value in raw.items():
            if key in ("@id", "@type", "@context"):
                continue
            if key not in resource.keys:
                extra[key] = value
                continue
            f = resource.field(key)
            if f.kind == REF:
                value = self._refs(record, key, f.target, value, inner)
            elif f.kind == URL:
                value = self._urls(record, key, f.target, value)
            elif f.kind == LANG and isinstance(value, dict):
                value = {rdf_lang(lang): text for lang, text in value.items() if text is not None} or None
            elif f.kind == WHEN and isinstance(value, str) and _DATE_ONLY.fullmatch(value):
                date_only.append(f)
            elif f.kind == NESTED and isinstance(value, list):
                value = [dict(item, lei_position=i) if isinstance(item, dict) else item for i, item in enumerate(value)]
            elif f.kind == GEOJSON and value is not None and not isinstance(value, dict):
                raise InvalidRecord(record.id, key, "position must be a GeoJSON Point object")
            if f.many and isinstance(value, list) and len(value) > 1 and f.kind in (REF, URL, TEXT, ID):
                order[key] = [v["@id"] if isinstance(v, dict) and "@id" in v else v for v in value]
            if f.kind in (JSON,) or value is not None:
                doc[key] = value
        for key, value in _DEFAULTS.get(resource.name, {}).items():
            doc.setdefault(key, value)
        if resource is PLACE and not doc.get("divisions"):
            self._derive_divisions(doc)
        if resource is EVENT:
            self._event_defaults(raw, doc)
        if order:
            doc["lei_order"] = order
        if extra:
            doc["lei_extra"] = extra
        doc["@context"] = [self._context, date_only_override(date_only)] if date_only else self._context
        yield from inner
        yield record

    @staticmethod
    def _derive_divisions(doc: dict[str, Any]) -> None:
        """A place without divisions gets them from its point, as the original computes them on
        every save (Helsinki's neighbourhoods, sub-districts and districts; see ld.geo)."""
        coordinates = (doc.get("position") or {}).get("coordinates")
        if isinstance(coordinates, list) and len(coordinates) == 2 and all(
                isinstance(c, (int, float)) and not isinstance(c, bool) for c in coordinates):
            derived = geo.divisions_at(*coordinates)
            if derived:
                doc["divisions"] = [dict(d, lei_position=i) for i, d in enumerate(derived)]

    def _event_defaults(self, raw: dict[str, Any], doc: dict[str, Any]) -> None:
        # Linked Courses records of 2020 predate type_id; their extension block marks a course.
        doc.setdefault("type_id", "Course" if raw.get("extension_course") else "General")
        doc.setdefault("publication_status", "public")

    def _refs(self, record: Record, key: str, target: str | None, value: Any, inner: list[Record]) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return [self._ref(record, f"{key}[{i}]", target, v, inner) for i, v in enumerate(value)]
        return self._ref(record, key, target, value, inner)

    def _ref(self, record: Record, path: str, target: str | None, value: Any, inner: list[Record]) -> dict[str, str]:
        if isinstance(value, str):
            return {"@id": self._resolve(record, path, target, value)}
        if not isinstance(value, dict):
            raise InvalidRecord(record.id, path, f"expected a reference {{\"@id\": url}}, got {value!r}")
        if "id" in value and (set(value) - {"@id", "id", "@context", "@type"}):
            # An expanded entity: load it as a record of its own.
            inner.extend(self.normalize({"@type": RESOURCES[target].json_type, **value}, hint=target, embedded=True))
            return {"@id": self.iris.entity(target, value["id"])}
        if "id" in value and value["id"] is not None:
            return {"@id": self.iris.entity(target, value["id"])}
        if isinstance(value.get("@id"), str):
            return {"@id": self._resolve(record, path, target, value["@id"])}
        raise InvalidRecord(record.id, path, "a reference needs an @id")

    def _urls(self, record: Record, key: str, target: str | None, value: Any) -> Any:
        if isinstance(value, list):
            return [self._resolve(record, f"{key}[{i}]", target, v) for i, v in enumerate(value)]
        return None if value is None else self._resolve(record, key, target, value)

    def _resolve(self, record: Record, path: str, target: str | None, url: Any) -> str:
        located = self._locate(url) if isinstance(url, str) else None
        if located is None:
            raise InvalidRecord(record.id, path, f"{url!r} is not a Linked Events URL of a {target}")
        segment, entity_id, iri = located
        if target and segment != target:
            raise InvalidRecord(record.id, path, f"{url!r} names a {segment}, expected a {target}")
        if RESOURCES.get(segment) is not None and RESOURCES[segment].int_id:
            if not entity_id.isdigit():
                raise InvalidRecord(record.id, path, f"{url!r}: {segment} ids are integers")
        return iri

    def _locate_uncached(self, url: str) -> tuple[str, str, str] | None:
        """The resource type and id a URL names, and our IRI for that entity."""
        parsed = Iris.parse(url)
        return None if parsed is None else (*parsed, self.iris.entity(*parsed))
