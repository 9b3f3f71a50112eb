"""The one table of output formats: looked up by ``?format=`` name, file extension or media type.

Content negotiation, ``ld load --format`` and the HTML pages' alternate links all read it.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    name: str                       # canonical ?format= value
    media_type: str
    aliases: tuple[str, ...] = ()   # other ?format= values and extensions
    rdf: ox.RdfFormat | None = None  # RDF serialization, for graph formats

    @property
    def extension(self) -> str:
        return self.rdf.file_extension if self.rdf is not None else self.name


JSON = Format("json", "application/json")
JSONLD = Format("jsonld", "application/ld+json", ("json-ld",), ox.RdfFormat.JSON_LD)
HTML = Format("html", "text/html", ("api",))
TURTLE = Format("ttl", "text/turtle", ("turtle",), ox.RdfFormat.TURTLE)
NTRIPLES = Format("nt", "application/n-triples", ("ntriples", "n-triples"), ox.RdfFormat.N_TRIPLES)
NQUADS = Format("nq", "application/n-quads", ("nquads", "n-quads"), ox.RdfFormat.N_QUADS)
RDFXML = Format("rdf", "application/rdf+xml", ("xml", "rdfxml", "owl"), ox.RdfFormat.RDF_XML)

# What entity and list URLs offer, the default first.
DOCUMENT_FORMATS: tuple[Format, ...] = (JSON, JSONLD, HTML, TURTLE, NTRIPLES, RDFXML)
RDF_FORMATS: tuple[Format, ...] = (TURTLE, NTRIPLES, NQUADS, RDFXML, JSONLD)


def by_name(name: str, formats: tuple[Format, ...] = DOCUMENT_FORMATS) -> Format | None:
    """A format by ``?format=`` value or media type.

    >>> by_name("turtle").media_type
    'text/turtle'
    """
    lowered = name.lower()
    for f in formats:
        if lowered == f.name or lowered in f.aliases or lowered == f.media_type:
            return f
    return None


def by_extension(path: str) -> Format | None:
    """An RDF format by file extension.

    >>> by_extension("yso.ttl").name
    'ttl'
    """
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    for f in RDF_FORMATS:
        if suffix == f.extension or suffix in f.aliases or suffix == f.name:
            return f
    return None
