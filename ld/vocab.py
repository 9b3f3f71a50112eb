"""Namespaces and the one prefix table.

``LE`` is our small vocabulary for Linked Events fields that schema.org has no term for;
``LEI`` holds bookkeeping and index triples (record membership, list order, search helpers):
derived from the public data and queryable over SPARQL, but never part of an entity's
dereferenced description. Both are closed: an
unknown term raises ``AttributeError``, so a typo in a query builder fails at import time.
"""
from __future__ import annotations

from pyoxigraph import NamedNode


class Namespace:
    """A closed namespace yielding pyoxigraph ``NamedNode``s.

    >>> SCHEMA.name
    <NamedNode value=http://schema.org/name>
    >>> LE.typeID
    Traceback (most recent call last):
    AttributeError: typeID is not a term of https://w3id.org/linkedevents/vocab#
    """

    def __init__(self, iri: str, terms: str | None = None) -> None:
        self.iri = iri
        self._terms = frozenset(terms.split()) if terms is not None else None
        self._nodes: dict[str, NamedNode] = {}  # terms are looked up in every render loop

    def __getattr__(self, term: str) -> NamedNode:
        node = self._nodes.get(term)
        if node is None:
            if term.startswith("_") or (self._terms is not None and term not in self._terms):
                raise AttributeError(f"{term} is not a term of {self.iri}")
            node = self._nodes[term] = NamedNode(self.iri + term)
        return node

    def __getitem__(self, term: str) -> NamedNode:
        return self.__getattr__(term)

    def __contains__(self, iri: object) -> bool:
        value = iri.value if isinstance(iri, NamedNode) else str(iri)
        return value.startswith(self.iri)


XSD = Namespace(
    "http://www.w3.org/2001/XMLSchema#",
    "string boolean integer decimal double date dateTime anyURI",
)
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "type JSON first rest nil")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#", "label comment Class Property")
SCHEMA = Namespace(
    "http://schema.org/",
    "Event Place DefinedTerm DefinedTermSet Organization Language ImageObject Offer VideoObject "
    "identifier name description disambiguatingDescription url location keywords superEvent "
    "subEvent eventStatus offers publisher image video inLanguage audience dateCreated dateModified "
    "datePublished startDate endDate maximumAttendeeCapacity provider isAccessibleForFree price "
    "email addressRegion postalCode postOfficeBoxNumber addressCountry streetAddress addressLocality "
    "telephone alternateName hasDefinedTerm foundingDate dissolutionDate parentOrganization "
    "subOrganization contentUrl sameAs EventScheduled EventCancelled EventPostponed EventRescheduled",
)
GEO = Namespace(
    "http://www.opengis.net/ont/geosparql#",
    "hasGeometry asWKT wktLiteral Geometry Feature sfWithin",
)
GEOF = Namespace("http://www.opengis.net/def/function/geosparql/", "distance sfWithin sfIntersects")
SF = Namespace("http://www.opengis.net/ont/sf#", "Point Polygon")
UOM = Namespace("http://www.opengis.net/def/uom/OGC/1.0/", "metre")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#", "Concept exactMatch prefLabel altLabel")
YSO = Namespace("http://www.yso.fi/onto/yso/")
OWL = Namespace("http://www.w3.org/2002/07/owl#", "sameAs")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

LE = Namespace(
    "https://w3id.org/linkedevents/vocab#",
    # classes
    "DataSource Registration Division "
    # event
    "hasUserEditableResources registration typeId externalLink linkName dataSource "
    "customData environmentalCertificate environment audienceMinAge audienceMaxAge superEventType "
    "deleted minimumAttendeeCapacity enrolmentStartTime enrolmentEndTime local replacedBy "
    "providerContactInfo locationExtraInfo publicationStatus createdBy lastModifiedBy userName "
    "userEmail userPhoneNumber userOrganization userConsent extensionCourse "
    "remainingAttendeeCapacity offerPriceGroups altText "
    # place
    "division divisionType ocdId municipality contactType imageId parentId coordinates "
    # keyword, keyword set
    "aggregate deprecated usage organizationId "
    # organization
    "classification affiliatedOrganization hasRegularUsers isAffiliated "
    # language, image
    "translationAvailable serviceLanguage license licenseUrl cropping photographerName "
    # data source
    "userEditableResources userEditableOrganizations userEditableRegistrations "
    "userEditableRegistrationPriceGroups editPastEvents createPastEvents private ownerId "
    # registration
    "event attendeeRegistration waitingListCapacity maximumGroupSize currentAttendeeCount "
    "currentWaitingListCount remainingWaitingListCapacity signupUrl confirmationMessage instructions "
    "mandatoryFields",
)
LEI = Namespace(
    "https://w3id.org/linkedevents/internal#",
    "record position order extra store base generation start end listing indexVersion",
)
GRAPH = Namespace("https://w3id.org/linkedevents/graph/", "public restricted")

PREFIXES: dict[str, str] = {
    "schema": SCHEMA.iri,
    "le": LE.iri,
    "lei": LEI.iri,
    "xsd": XSD.iri,
    "rdf": RDF.iri,
    "rdfs": RDFS.iri,
    "geo": GEO.iri,
    "geof": GEOF.iri,
    "sf": SF.iri,
    "uom": UOM.iri,
    "skos": SKOS.iri,
    "yso": YSO.iri,
    "owl": OWL.iri,
}


def sparql_prologue(prefixes: dict[str, str] = PREFIXES) -> str:
    """The PREFIX lines every query we build starts with.

    >>> sparql_prologue({"s": "http://schema.org/"})
    'PREFIX s: <http://schema.org/>\\n'
    """
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items())
