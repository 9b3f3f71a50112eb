"""The resource types of the Linked Events API and how each JSON field maps onto RDF.

This table is the single source of truth for the data model: the JSON-LD context in
``context/`` is generated from it (``python -m ld.context``), the loader uses it to normalize
records, and the renderer uses it to turn triples back into the exact Linked Events JSON.
Fields are listed in the order the original API emits them.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

from pyoxigraph import NamedNode

from ld.vocab import GEO, LE, SCHEMA

# Field kinds: how a JSON value is written as RDF and read back.
TEXT = "text"          # plain string literal
LANG = "lang"          # {"fi": .., "sv": ..} language map -> language-tagged literals
INT = "int"
NUMBER = "number"
BOOL = "bool"
DATETIME = "datetime"  # xsd:dateTime
DATE = "date"          # xsd:date
WHEN = "when"          # xsd:dateTime, or xsd:date for date-only values ("2020-08-22")
REF = "ref"            # {"@id": url} reference to another entity (or the entity expanded)
URL = "url"            # bare URL string referencing another entity (organization links)
ID = "id"              # plain id string of another entity ("ahjo:00001"): kept as a literal
VOCAB = "vocab"        # enumeration whose values are schema.org IRIs (event_status)
JSON = "json"          # free-form JSON, stored as an rdf:JSON literal
NESTED = "nested"      # list of small objects without identity (offers, external_links)
GEOJSON = "geojson"    # GeoJSON point
COMPUTED = "computed"  # derived at request time (n_events); not part of the entity's data

KINDS = (TEXT, LANG, INT, NUMBER, BOOL, DATETIME, DATE, WHEN, REF, URL, ID, VOCAB, JSON, NESTED, GEOJSON, COMPUTED)


@dataclass(frozen=True)
class Field:
    key: str
    iri: NamedNode | None
    kind: str
    many: bool = False
    target: str | None = None        # resource name of REF/URL/ID targets
    admin: bool = False              # shown only to those who may edit the entity
    sub: tuple["Field", ...] = ()    # fields of NESTED objects
    expand: bool = False             # REF always rendered expanded (event images)
    includable: bool = False         # REF expandable with ?include=

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind
        assert (self.iri is None) == (self.kind == COMPUTED), self.key


@dataclass(frozen=True)
class Resource:
    name: str                 # URL segment and resource type name: "event"
    json_type: str            # "@type" in the JSON
    rdf_class: NamedNode
    fields: tuple[Field, ...]
    int_id: bool = False      # images have integer ids
    extra_fields: tuple[Field, ...] = dc_field(default=())  # known but outside the standard key set

    def __post_init__(self) -> None:
        keys = [f.key for f in self.all_fields]
        assert len(keys) == len(set(keys)), self.name
        # looked up for every key of every record: computed once
        object.__setattr__(self, "_by_key", {f.key: f for f in self.all_fields})

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return self.fields + self.extra_fields

    def field(self, key: str) -> Field:
        return self._by_key[key]

    @property
    def keys(self) -> dict[str, Field]:
        return self._by_key


def _f(key: str, iri: NamedNode | None, kind: str = TEXT, **kw: Any) -> Field:
    return Field(key, iri, kind, **kw)


_ID = _f("id", SCHEMA.identifier)
_EDITABLE = _f("has_user_editable_resources", LE.hasUserEditableResources, BOOL)
_CREATED = _f("created_time", SCHEMA.dateCreated, DATETIME)
_MODIFIED = _f("last_modified_time", SCHEMA.dateModified, DATETIME)
_DATA_SOURCE = _f("data_source", LE.dataSource, ID, target="data_source")
_PUBLISHER = _f("publisher", SCHEMA.publisher, ID, target="organization")
_NAME_LANG = _f("name", SCHEMA.name, LANG)
_NAME_TEXT = _f("name", SCHEMA.name, TEXT)
_DELETED = _f("deleted", LE.deleted, BOOL)
_CUSTOM = _f("custom_data", LE.customData, JSON)
_IMAGE_ID = _f("image", LE.imageId, INT, target="image")
_N_EVENTS = _f("n_events", None, COMPUTED)
_UPCOMING = _f("has_upcoming_events", None, COMPUTED)
# Fields events and registrations share.
_MIN_AGE = _f("audience_min_age", LE.audienceMinAge, INT)
_MAX_AGE = _f("audience_max_age", LE.audienceMaxAge, INT)
_MAX_CAPACITY = _f("maximum_attendee_capacity", SCHEMA.maximumAttendeeCapacity, INT)
_MIN_CAPACITY = _f("minimum_attendee_capacity", LE.minimumAttendeeCapacity, INT)
_ENROLMENT_START = _f("enrolment_start_time", LE.enrolmentStartTime, DATETIME)
_ENROLMENT_END = _f("enrolment_end_time", LE.enrolmentEndTime, DATETIME)
_REMAINING = _f("remaining_attendee_capacity", LE.remainingAttendeeCapacity, INT)


def _replaced_by(target: str) -> Field:
    return _f("replaced_by", LE.replacedBy, ID, target=target)


EVENT = Resource(
    "event",
    "Event",
    SCHEMA.Event,
    (
        _ID,
        _EDITABLE,
        _f("location", SCHEMA.location, REF, target="place", includable=True),
        _f("keywords", SCHEMA.keywords, REF, many=True, target="keyword", includable=True),
        _f("registration", LE.registration, REF, target="registration", includable=True),
        _f("super_event", SCHEMA.superEvent, REF, target="event", includable=True),
        _f("event_status", SCHEMA.eventStatus, VOCAB),
        _f("type_id", LE.typeId),
        _f(
            "external_links",
            LE.externalLink,
            NESTED,
            many=True,
            sub=(_f("name", LE.linkName), _f("link", SCHEMA.url), _f("language", SCHEMA.inLanguage)),
        ),
        _f(
            "offers",
            SCHEMA.offers,
            NESTED,
            many=True,
            sub=(
                _f("is_free", SCHEMA.isAccessibleForFree, BOOL),
                _f("price", SCHEMA.price, LANG),
                _f("info_url", SCHEMA.url, LANG),
                _f("description", SCHEMA.description, LANG),
            ),
        ),
        _DATA_SOURCE,
        _PUBLISHER,
        _f("sub_events", SCHEMA.subEvent, REF, many=True, target="event", includable=True),
        _f("images", SCHEMA.image, REF, many=True, target="image", expand=True),
        _f(
            "videos",
            SCHEMA.video,
            NESTED,
            many=True,
            sub=(_f("name", SCHEMA.name), _f("url", SCHEMA.contentUrl), _f("alt_text", LE.altText)),
        ),
        _f("in_language", SCHEMA.inLanguage, REF, many=True, target="language", includable=True),
        _f("audience", SCHEMA.audience, REF, many=True, target="keyword", includable=True),
        _CREATED,
        _MODIFIED,
        _f("date_published", SCHEMA.datePublished, DATETIME),
        _f("start_time", SCHEMA.startDate, WHEN),
        _f("end_time", SCHEMA.endDate, WHEN),
        _CUSTOM,
        _f("environmental_certificate", LE.environmentalCertificate),
        _f("environment", LE.environment),
        _MIN_AGE,
        _MAX_AGE,
        _f("super_event_type", LE.superEventType),
        _DELETED,
        _MAX_CAPACITY,
        _MIN_CAPACITY,
        _ENROLMENT_START,
        _ENROLMENT_END,
        _f("local", LE.local, BOOL),
        _replaced_by("event"),
        _f("description", SCHEMA.description, LANG),
        _f("provider", SCHEMA.provider, LANG),
        _f("provider_contact_info", LE.providerContactInfo, LANG),
        _f("short_description", SCHEMA.disambiguatingDescription, LANG),
        _f("info_url", SCHEMA.url, LANG),
        _f("location_extra_info", LE.locationExtraInfo, LANG),
        _NAME_LANG,
    ),
    extra_fields=(
        _f("publication_status", LE.publicationStatus, admin=True),
        _f("created_by", LE.createdBy, admin=True),
        _f("last_modified_by", LE.lastModifiedBy, admin=True),
        _f("user_name", LE.userName, admin=True),
        _f("user_email", LE.userEmail, admin=True),
        _f("user_phone_number", LE.userPhoneNumber, admin=True),
        _f("user_organization", LE.userOrganization, admin=True),
        _f("user_consent", LE.userConsent, BOOL, admin=True),
        # Linked Courses (2020) carried course data in an extension block and on the event.
        _f("extension_course", LE.extensionCourse, JSON),
        _REMAINING,
    ),
)

PLACE = Resource(
    "place",
    "Place",
    SCHEMA.Place,
    (
        _ID,
        _EDITABLE,
        _DATA_SOURCE,
        _PUBLISHER,
        _f(
            "divisions",
            LE.division,
            NESTED,
            many=True,
            sub=(
                _f("type", LE.divisionType),
                _f("ocd_id", LE.ocdId),
                _f("municipality", LE.municipality),
                _f("name", SCHEMA.name, LANG),
            ),
        ),
        _CREATED,
        _MODIFIED,
        _CUSTOM,
        _f("email", SCHEMA.email),
        _f("contact_type", LE.contactType),
        _f("address_region", SCHEMA.addressRegion),
        _f("postal_code", SCHEMA.postalCode),
        _f("post_office_box_num", SCHEMA.postOfficeBoxNumber),
        _f("address_country", SCHEMA.addressCountry),
        _DELETED,
        _UPCOMING,
        _N_EVENTS,
        _IMAGE_ID,
        _f("parent", LE.parentId, ID, target="place"),
        _replaced_by("place"),
        _f("position", GEO.hasGeometry, GEOJSON),
        _f("description", SCHEMA.description, LANG),
        _f("street_address", SCHEMA.streetAddress, LANG),
        _f("info_url", SCHEMA.url, LANG),
        _f("telephone", SCHEMA.telephone, LANG),
        _NAME_LANG,
        _f("address_locality", SCHEMA.addressLocality, LANG),
    ),
)

KEYWORD = Resource(
    "keyword",
    "Keyword",
    SCHEMA.DefinedTerm,
    (
        _ID,
        _EDITABLE,
        _f("alt_labels", SCHEMA.alternateName, TEXT, many=True),
        _CREATED,
        _MODIFIED,
        _f("aggregate", LE.aggregate, BOOL),
        _f("deprecated", LE.deprecated, BOOL),
        _UPCOMING,
        _N_EVENTS,
        _IMAGE_ID,
        _DATA_SOURCE,
        _PUBLISHER,
        _replaced_by("keyword"),
        _NAME_LANG,
    ),
)

KEYWORD_SET = Resource(
    "keyword_set",
    "KeywordSet",
    SCHEMA.DefinedTermSet,
    (
        _ID,
        _f("keywords", SCHEMA.hasDefinedTerm, REF, many=True, target="keyword", includable=True),
        _f("usage", LE.usage),
        _CREATED,
        _MODIFIED,
        _EDITABLE,
        _IMAGE_ID,
        _DATA_SOURCE,
        _f("organization", LE.organizationId, ID, target="organization"),
        _NAME_LANG,
    ),
)

ORGANIZATION = Resource(
    "organization",
    "Organization",
    SCHEMA.Organization,
    (
        _ID,
        _DATA_SOURCE,
        _f("classification", LE.classification),
        _NAME_TEXT,
        _f("founding_date", SCHEMA.foundingDate, DATE),
        _f("dissolution_date", SCHEMA.dissolutionDate, DATE),
        _f("parent_organization", SCHEMA.parentOrganization, URL, target="organization"),
        _f("sub_organizations", SCHEMA.subOrganization, URL, many=True, target="organization"),
        _f("affiliated_organizations", LE.affiliatedOrganization, URL, many=True, target="organization"),
        _CREATED,
        _MODIFIED,
        _f("replaced_by", LE.replacedBy, URL, target="organization"),
        _f("has_regular_users", LE.hasRegularUsers, BOOL),
        _f("is_affiliated", LE.isAffiliated, BOOL),
    ),
)

LANGUAGE = Resource(
    "language",
    "Language",
    SCHEMA.Language,
    (
        _ID,
        _f("translation_available", LE.translationAvailable, BOOL),
        _f("service_language", LE.serviceLanguage, BOOL),
        _NAME_LANG,
    ),
)

IMAGE = Resource(
    "image",
    "ImageObject",
    SCHEMA.ImageObject,
    (
        _f("id", SCHEMA.identifier, INT),
        _EDITABLE,
        _f("license", LE.license),
        _f("license_url", LE.licenseUrl),
        _CREATED,
        _MODIFIED,
        _f("url", SCHEMA.contentUrl),
        _NAME_TEXT,
        _f("cropping", LE.cropping),
        _f("photographer_name", LE.photographerName),
        _f("alt_text", LE.altText),
        _DATA_SOURCE,
        _PUBLISHER,
    ),
    int_id=True,
)

DATA_SOURCE = Resource(
    "data_source",
    "DataSource",
    LE.DataSource,
    (
        _ID,
        _NAME_TEXT,
        _f("user_editable_resources", LE.userEditableResources, BOOL),
        _f("user_editable_organizations", LE.userEditableOrganizations, BOOL),
        _f("user_editable_registrations", LE.userEditableRegistrations, BOOL),
        _f("user_editable_registration_price_groups", LE.userEditableRegistrationPriceGroups, BOOL),
        _f("edit_past_events", LE.editPastEvents, BOOL),
        _f("create_past_events", LE.createPastEvents, BOOL),
        _f("private", LE.private, BOOL),
        _f("owner", LE.ownerId, ID, target="organization"),
    ),
)

# Registrations (Linked Registrations) carry the enrolment times and capacities that the
# registration filters of the event list read; signups and their personal data are not modelled.
REGISTRATION = Resource(
    "registration",
    "Registration",
    LE.Registration,
    (
        _ID,
        _f("event", LE.event, REF, target="event"),
        _f("attendee_registration", LE.attendeeRegistration, BOOL),
        _f("current_attendee_count", LE.currentAttendeeCount, INT),
        _f("current_waiting_list_count", LE.currentWaitingListCount, INT),
        _REMAINING,
        _f("remaining_waiting_list_capacity", LE.remainingWaitingListCapacity, INT),
        _DATA_SOURCE,
        _PUBLISHER,
        _MIN_AGE,
        _MAX_AGE,
        _ENROLMENT_START,
        _ENROLMENT_END,
        _MAX_CAPACITY,
        _MIN_CAPACITY,
        _f("waiting_list_capacity", LE.waitingListCapacity, INT),
        _f("maximum_group_size", LE.maximumGroupSize, INT),
        _f("mandatory_fields", LE.mandatoryFields, TEXT, many=True),
        _f("signup_url", LE.signupUrl, LANG),
        _CREATED,
        _MODIFIED,
        _f("confirmation_message", LE.confirmationMessage, LANG),
        _f("instructions", LE.instructions, LANG),
    ),
)

RESOURCES: dict[str, Resource] = {
    r.name: r for r in (EVENT, PLACE, KEYWORD, KEYWORD_SET, ORGANIZATION, LANGUAGE, IMAGE, DATA_SOURCE, REGISTRATION)
}
BY_JSON_TYPE: dict[str, Resource] = {r.json_type: r for r in RESOURCES.values()}
BY_JSON_TYPE["Event/LinkedEvent"] = EVENT  # the original API's @type for events
BY_CLASS: dict[str, Resource] = {r.rdf_class.value: r for r in RESOURCES.values()}

# Endpoints listed at the API root, in the original's order (data_source is hidden there too).
PUBLIC_ENDPOINTS = ("keyword", "keyword_set", "place", "language", "organization", "image", "event")

# Languages the original server translates into; others only appear via in_language.
LANGUAGES = ("fi", "sv", "en", "zh_hans", "ru", "ar")
