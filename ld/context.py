"""Our JSON-LD context, generated from the data model, and an offline document loader.

The committed ``context/linkedevents.jsonld`` is the output of ``python -m ld.context``; a test
fails when it differs from what the model generates, so the two cannot drift. Nothing is ever
fetched at run time: :func:`document_loader` serves bundled files and refuses everything else.
"""
from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from ld.errors import LdError
from ld.model import (
    BOOL, COMPUTED, DATE, DATETIME, GEOJSON, ID, INT, JSON, LANG, NESTED, NUMBER, REF, RESOURCES, TEXT, URL,
    VOCAB, WHEN, Field,
)
from ld.vocab import GEO, LE, SCHEMA, SF, XSD

CONTEXT_DIR = Path(__file__).resolve().parent.parent / "context"
CONTEXT_FILE = CONTEXT_DIR / "linkedevents.jsonld"
SCHEMAORG_FILE = CONTEXT_DIR / "schemaorg.jsonld"
CONTEXT_PATH = "/context/linkedevents.jsonld"  # served under the base URL

_PREFIXES = {"schema": SCHEMA.iri, "le": LE.iri, "xsd": XSD.iri, "geo": GEO.iri, "sf": SF.iri}
EVENT_STATUSES = ("EventScheduled", "EventCancelled", "EventPostponed", "EventRescheduled")


def compact(iri: str) -> str:
    """``http://schema.org/name`` -> ``schema:name``."""
    for prefix, ns in _PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


# What each kind adds to its term's "@id" (WHEN, NESTED and GEOJSON are built below).
_COERCIONS: dict[str, dict[str, str]] = {
    LANG: {"@container": "@language"},
    DATETIME: {"@type": "xsd:dateTime"},
    DATE: {"@type": "xsd:date"},
    URL: {"@type": "@id"},
    VOCAB: {"@type": "@vocab"},
    JSON: {"@type": "@json"},
    **{kind: {} for kind in (TEXT, INT, NUMBER, BOOL, REF, ID)},
}


def term_definition(field: Field, *, date_only: bool = False) -> Any:
    """The JSON-LD term definition of one field."""
    if field.kind == COMPUTED:
        return None  # request-time figures are not data about the entity
    iri = compact(field.iri.value)
    definition: dict[str, Any] = {"@id": iri}
    if field.kind == WHEN:
        definition["@type"] = "xsd:date" if date_only else "xsd:dateTime"
    elif field.kind == NESTED:
        definition["@context"] = {sub.key: term_definition(sub) for sub in field.sub}
    elif field.kind == GEOJSON:
        definition["@context"] = {
            "type": "@type",
            "Point": compact(SF.Point.value),
            "coordinates": {"@id": compact(LE.coordinates.value), "@type": "@json"},
        }
    else:
        definition.update(_COERCIONS[field.kind])
    return definition if len(definition) > 1 else iri


def build_context() -> dict[str, Any]:
    """Our context: one term per field; fields whose meaning differs by resource type go into
    type-scoped contexts, so every key of every resource expands to the right IRI."""
    terms: dict[str, Any] = {"@version": 1.1, "@protected": False, **_PREFIXES}
    scoped: dict[str, dict[str, Any]] = {}
    for resource in RESOURCES.values():
        for field in resource.all_fields:
            definition = term_definition(field)
            if field.key not in terms:
                terms[field.key] = definition
            elif terms[field.key] != definition:
                scoped.setdefault(resource.name, {})[field.key] = definition
    for resource in RESOURCES.values():
        class_iri = compact(resource.rdf_class.value)
        terms[resource.json_type] = (
            {"@id": class_iri, "@context": scoped[resource.name]} if resource.name in scoped else class_iri
        )
    for status in EVENT_STATUSES:
        terms[status] = compact(SCHEMA[status].value)
    # List pages: the envelope's items become the document's nodes; paging data is not entity data.
    terms["data"] = "@graph"
    terms["meta"] = None
    del terms["@protected"]
    return {"@context": terms}


@lru_cache(maxsize=1)
def context() -> dict[str, Any]:
    """The bundled context document (as committed)."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))


def date_only_override(fields: list[Field]) -> dict[str, Any]:
    """Local context that types date-only values of the given WHEN fields as xsd:date."""
    return {f.key: term_definition(f, date_only=True) for f in fields}


# URLs under which documents may ask for a context; all are answered from this folder.
_SCHEMAORG_URLS = ("http://schema.org", "http://schema.org/", "https://schema.org", "https://schema.org/")


def document_loader(context_urls: tuple[str, ...] = ()):
    """A pyld document loader over the bundled contexts; any other URL is an error.

    ``context_urls`` are the URLs this deployment serves our context at.
    """
    files = {url: SCHEMAORG_FILE for url in _SCHEMAORG_URLS}
    files.update({url: CONTEXT_FILE for url in context_urls})

    def load(url: str, options: dict | None = None) -> dict[str, Any]:
        path = files.get(url)
        if path is None:
            raise LdError(f"refusing to fetch {url}: only bundled JSON-LD contexts are used")
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": json.loads(path.read_text(encoding="utf-8")),
        }

    return load


def main() -> None:
    text = json.dumps(build_context(), indent=2, ensure_ascii=False) + "\n"
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if CONTEXT_FILE.read_text(encoding="utf-8") == text else "context/ is stale: run python -m ld.context")
    CONTEXT_FILE.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
