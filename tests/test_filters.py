"""Every list filter of the catalog against a small hand-made fixture whose expected ids are
written out by hand (behaviour spec §7, §8 and the black-box cases of §11.2).

Each case runs the real path: records through ``ld.load.Loader``, ``build`` for the query and
``ld.read.Reader.page`` for the ids; it also checks ``explain``: the SELECT text, run as-is on
the store, gives the same ids.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest

from ld import geo
from ld.errors import InvalidParameter
from ld.filters import catalog
from ld.filters.build import Context, build
from ld.identity import ANONYMOUS, Identity
from ld.inputs import Item
from ld.iris import Iris
from ld.load import Loader
from ld.model import RESOURCES
from ld.read import Reader
from ld.store import OxigraphStore

BASE = "http://127.0.0.1:8000"
IRIS = Iris(BASE)
FIXED_NOW = datetime(2020, 2, 20, 10, 0, tzinfo=timezone.utc)  # Thursday 12:00 in Helsinki

EDITOR = Identity(user="editor", admin_organizations=frozenset({"ahjo:00002"}))
MEMBER = Identity(user="member", member_organizations=frozenset({"ahjo:00002"}))


def ref(resource: str, entity_id: str) -> dict[str, str]:
    return {"@id": f"https://api.hel.fi/linkedevents/v1/{resource}/{entity_id}/"}


def url(resource: str, entity_id: str) -> str:
    return f"https://api.hel.fi/linkedevents/v1/{resource}/{entity_id}/"


# -- the fixture ---------------------------------------------------------------------------------
def place(pid: str, name: str, lon: float | None = None, lat: float | None = None, divisions=(), **extra) -> tuple:
    record = {"id": pid, "name": {"fi": name}, "data_source": pid.split(":")[0], "publisher": "ahjo:00001",
              "last_modified_time": "2020-01-01T00:00:00Z", "divisions": list(divisions), **extra}
    if lon is not None:
        record["position"] = {"type": "Point", "coordinates": [lon, lat]}
    return ("place", record)


def division(kind: str, ocd: str, fi: str, sv: str) -> dict[str, Any]:
    return {"type": kind, "ocd_id": f"ocd-division/country:fi/kunta:helsinki/{ocd}", "municipality": "Helsinki",
            "name": {"fi": fi, "sv": sv}}


def keyword(kid: str, name: str, **extra) -> tuple:
    return ("keyword", {"id": kid, "name": {"fi": name}, "data_source": "yso", "publisher": "ahjo:00001",
                        "last_modified_time": "2020-01-01T00:00:00Z", **extra})


def event(eid: str, name: str, start: str | None, end: str | None, *, location: str = "tprek:1",
          keywords: tuple[str, ...] = ("yso:k1",), **extra) -> tuple:
    record = {
        "id": eid,
        "name": {"fi": name},
        "start_time": start,
        "end_time": end,
        "location": ref("place", location),
        "keywords": [ref("keyword", k) for k in keywords],
        "type_id": "General",
        "event_status": "EventScheduled",
        "publisher": "ahjo:00001",
        "data_source": "ds1",
        "last_modified_time": "2020-01-01T00:00:00Z",
        "offers": [],
        **extra,
    }
    if "audience" in extra:
        record["audience"] = [ref("keyword", k) for k in extra["audience"]]
    if "in_language" in extra:
        record["in_language"] = [ref("language", k) for k in extra["in_language"]]
    return ("event", record)


P1 = (24.9400, 60.1700)   # Kamppi
P2 = (24.9360, 60.1730)   # about 400 m from P1
P3 = (25.0800, 60.2300)
P4 = (24.9500, 60.1800)
P5 = (24.8000, 60.2000)
PLACES = {"tprek:1": P1, "tprek:2": P2, "tprek:3": P3, "tprek:4": P4, "tprek:5": P5}
EVENTS_AT = {"tprek:1": {"A", "E", "F"}, "tprek:2": {"B", "G", "H"}, "tprek:3": {"D", "I"}, "tprek:5": {"P"}}

COMMON = [
    ("data_source", {"id": "secret", "name": "Secret source", "private": True}),
    ("organization", {"id": "ahjo:00001", "data_source": "ahjo", "name": "Helsingin kaupunki",
                      "sub_organizations": [url("organization", "ahjo:00002")],
                      "last_modified_time": "2020-01-01T00:00:00Z"}),
    ("organization", {"id": "ahjo:00002", "data_source": "ahjo", "name": "Kulttuuri",
                      "parent_organization": url("organization", "ahjo:00001"),
                      "last_modified_time": "2020-01-01T00:00:00Z"}),
    ("organization", {"id": "ahjo:00003", "data_source": "ahjo", "name": "Muu",
                      "last_modified_time": "2020-01-01T00:00:00Z"}),
    ("organization", {"id": "ahjo:oldorg", "data_source": "ahjo", "name": "Vanha",
                      "dissolution_date": "2019-01-01", "replaced_by": url("organization", "ahjo:00003"),
                      "last_modified_time": "2020-01-01T00:00:00Z"}),
    place("tprek:1", "Kissakuja", *P1, [division("sub_district", "osa-alue:kamppi", "Kamppi", "Kampen"),
                                       {**geo.HELSINKI_MUNI, "municipality": None}],
          street_address={"fi": "Mannerheimintie 1"}),
    place("tprek:2", "Musiikkitalo", *P2, [division("district", "peruspiiri:malmi", "Malmi", "Malm")]),
    place("tprek:3", "Kaukana", *P3, [division("sub_district", "osa-alue:nowhere", "Ei mikään", "Ingen")]),
    place("tprek:4", "Tyhjä", *P4, [division("sub_district", "osa-alue:nowhere", "Ei mikään", "Ingen")]),
    place("tprek:5", "Galleria", *P5, [division("sub_district", "osa-alue:nowhere", "Ei mikään", "Ingen")]),
    place("helsinki:internet", "Internet"),
    keyword("yso:k1", "musiikki", alt_labels=["soitto"]),
    keyword("yso:k2", "lapset"),
    keyword("yso:k3", "teatteri"),
    keyword("yso:old", "vanha musiikki", deprecated=True, replaced_by="yso:k1"),
    keyword("yso:unused", "käyttämätön"),
    keyword("test:c1", "cheese"),
    keyword("test:c2", "blue cheese"),
    keyword("test:c3", "chess"),
    ("keyword_set", {"id": "test:s1", "name": {"fi": "Musiikkisetti"}, "keywords": [ref("keyword", "yso:k1")],
                     "usage": "any", "data_source": "test", "last_modified_time": "2020-01-01T00:00:00Z"}),
    ("keyword_set", {"id": "test:s2", "name": {"fi": "Yleisöt"}, "keywords": [ref("keyword", "yso:k2")],
                     "usage": "audience", "data_source": "test", "last_modified_time": "2020-01-01T00:00:00Z"}),
    ("language", {"id": "fi", "name": {"fi": "suomi"}, "service_language": True, "translation_available": True}),
    ("language", {"id": "sv", "name": {"fi": "ruotsi"}, "service_language": True, "translation_available": True}),
    ("language", {"id": "ru", "name": {"fi": "venäjä"}, "service_language": False, "translation_available": True}),
    ("image", {"id": 1, "name": "Konserttikuva", "alt_text": "Lavalla bändi", "url": "https://example.org/1.jpg",
               "publisher": "ahjo:00002", "data_source": "ds1", "license": "cc_by",
               "last_modified_time": "2020-01-01T00:00:00Z"}),
    ("image", {"id": 2, "name": "Logo", "alt_text": "Tunnus", "url": "https://example.org/2.jpg",
               "publisher": "ahjo:00003", "data_source": "ds2", "license": "cc_by",
               "last_modified_time": "2020-01-02T00:00:00Z"}),
]

MAIN = COMMON + [
    event("m:a", "Rock konsertti", "2020-03-02T18:00:00+02:00", "2020-03-02T20:00:00+02:00",
          description={"fi": "Kova meteli"}, audience=("yso:k2",), offers=[{"is_free": False, "price": {"fi": "10 €"}}],
          audience_min_age=7, audience_max_age=12, in_language=("fi",), publisher="ahjo:00002",
          last_modified_time="2020-02-10T12:00:00Z", created_by="editor"),
    event("m:b", "Lasten teatteri", "2020-03-03T09:30:00+02:00", "2020-03-03T10:00:00+02:00", location="tprek:2",
          keywords=("yso:k3",), audience=("yso:k2",), offers=[{"is_free": True}], audience_min_age=3,
          in_language=("sv", "en"), publisher="ahjo:00003", data_source="ds2", event_status="EventCancelled",
          last_modified_time="2020-02-15T00:00:00Z", name_sv="Barnteater"),
    event("m:c", "Verkkoluento", "2020-03-07T16:30:00+02:00", "2020-03-07T17:30:00+02:00",
          location="helsinki:internet", keywords=("yso:old",), event_status="EventRescheduled",
          last_modified_time="2020-02-20T08:00:00Z", name_ru="Лекция"),
    event("m:d", "Kesäfestivaali", "2020-06-01", "2020-06-14", location="tprek:3", keywords=("yso:k1", "yso:k3"),
          super_event_type="umbrella", audience_max_age=99, offers=[{"is_free": False}],
          sub_events=[ref("event", "m:g")]),
    event("m:e", "Joogasarja", "2020-04-01T17:00:00+03:00", "2020-04-29T18:00:00+03:00", keywords=("yso:k2",),
          super_event_type="recurring", audience_min_age=18, audience_max_age=65, publisher="ahjo:00002",
          maximum_attendee_capacity=30, minimum_attendee_capacity=5,
          enrolment_start_time="2020-03-01T00:00:00Z", enrolment_end_time="2020-03-31T00:00:00Z",
          last_modified_time="2020-02-01T00:00:00Z", sub_events=[ref("event", "m:f")]),
    event("m:f", "Jooga 1", "2020-04-01T17:00:00+03:00", "2020-04-01T18:00:00+03:00", keywords=("yso:k2",),
          super_event=ref("event", "m:e"), audience_min_age=18, audience_max_age=65, publisher="ahjo:00002",
          maximum_attendee_capacity=10, last_modified_time="2020-02-01T00:00:00Z",
          enrolment_end_time="2020-03-31T00:00:00Z", remaining_attendee_capacity=0),
    event("m:g", "Festarikonsertti", "2020-06-05T20:00:00+03:00", "2020-06-05T23:30:00+03:00", location="tprek:2",
          super_event=ref("event", "m:d"), description={"sv": "Konsert"}, publisher="ahjo:00003", data_source="ds2",
          registration=ref("registration", "1"), maximum_attendee_capacity=100, remaining_attendee_capacity=5,
          enrolment_end_time="2020-02-20T09:00:00Z",
          last_modified_time="2020-01-15T00:00:00Z"),
    event("m:h", "Aamukahvit", "2020-02-20T08:00:00+02:00", None, location="tprek:2", keywords=("yso:k3",),
          short_description={"fi": "Kahvia ja pullaa"}, publisher="ahjo:oldorg", data_source="ds2",
          last_modified_time="2020-02-18T00:00:00Z", name_zh_hans="咖啡"),
    event("m:i", "Näyttely", "2020-02-10", "2020-02-29", location="tprek:3", keywords=("yso:k3",),
          in_language=("fi",), last_modified_time="2020-02-19T21:59:59Z"),
    event("m:j", "Luonnos", "2020-03-10T10:00:00+02:00", "2020-03-10T11:00:00+02:00", publication_status="draft",
          publisher="ahjo:00002", created_by="editor"),
    event("m:k", "Poistettu", "2020-03-01T12:00:00+02:00", "2020-03-01T13:00:00+02:00", location="tprek:4",
          deleted=True, last_modified_time="2020-02-20T09:00:00Z"),
    event("m:l", "Kurssi", "2020-03-01T12:00:00+02:00", "2020-03-01T13:00:00+02:00", type_id="Course"),
    event("m:m", "Salainen", "2020-03-01T12:00:00+02:00", "2020-03-01T13:00:00+02:00", data_source="secret"),
    event("m:p", "Vanha tapahtuma", "2019-05-01T10:00:00+03:00", "2019-05-01T12:00:00+03:00", location="tprek:5",
          keywords=("yso:k3",), last_modified_time="2019-05-01T00:00:00Z"),
]

# Behaviour §11.2 cases 7-9 (times +02:00).
CASE7 = COMMON + [
    event("t:1", "E1", "2020-02-19T23:00:00+02:00", "2020-02-19T23:30:00+02:00"),
    event("t:2", "E2", "2020-02-19T23:30:00+02:00", "2020-02-20T00:00:00+02:00"),
    event("t:3", "E3", "2020-02-19T23:30:00+02:00", "2020-02-20T00:30:00+02:00"),
    event("t:4", "E4", "2020-02-20T00:00:00+02:00", "2020-02-20T00:30:00+02:00"),
    event("t:5", "E5", "2020-02-20T12:00:00+02:00", "2020-02-20T13:00:00+02:00"),
    event("t:6", "E6", "2020-02-21T12:00:00+02:00", "2020-02-21T13:00:00+02:00"),
    event("t:7", "E7", None, None, event_status="EventPostponed"),
]
# Cases 10-11: E1..E5 as above, E6' 2020-02-21 00:00-01:00, E7' 12:00-13:00, E8 postponed.
CASE10 = CASE7[: len(COMMON) + 5] + [
    event("t:6b", "E6'", "2020-02-21T00:00:00+02:00", "2020-02-21T01:00:00+02:00"),
    event("t:7b", "E7'", "2020-02-21T12:00:00+02:00", "2020-02-21T13:00:00+02:00"),
    event("t:8", "E8", None, None, event_status="EventPostponed"),
]
# Case 12: naive ISO is local time.
CASE12 = COMMON + [
    event("t:1", "E1", "2020-02-19T10:00:00+02:00", "2020-02-19T11:22:33+02:00"),
    event("t:2", "E2", "2020-02-19T11:22:33+02:00", "2020-02-19T22:33:44+02:00"),
]

FIXTURES = {"main": MAIN, "case7": CASE7, "case10": CASE10, "case12": CASE12}
_STORES: dict[str, OxigraphStore] = {}


def _records(records: list[tuple]) -> list[tuple]:
    out = []
    for hint, record in records:
        record = dict(record)
        for key in [k for k in record if k.startswith("name_")]:
            record["name"] = {**record["name"], key[5:]: record.pop(key)}
        out.append((hint, record))
    return out


def store_of(name: str) -> OxigraphStore:
    if name not in _STORES:
        store = OxigraphStore()
        report = Loader(store, IRIS).load(Item(r, hint, "test") for hint, r in _records(FIXTURES[name]))
        assert not report.rejected, report.rejected
        _STORES[name] = store
    return _STORES[name]


def run(fixture: str, params: dict[str, str], *, identity: Identity = ANONYMOUS, now: datetime = FIXED_NOW,
        resource: str = "event", store_in_context: bool = False) -> list[str]:
    store = store_of(fixture)
    query = build(RESOURCES[resource], {"page_size": "100", **params}, iris=IRIS, identity=identity, now=now,
                  store=store if store_in_context else None)
    ids = [str(item["id"]) for item in Reader(store, IRIS).page(query, identity=identity, now=now).items]
    # explain: the SELECT text, run as-is, gives the same ids in the same order.
    explained = [IRIS.parse(row["e"].value)[1] for row in store.query(query.select(), dataset=query.dataset)]
    assert explained == ids
    return ids


def E(letters: str) -> set[str]:
    return {f"m:{c.lower()}" for c in letters}


VISIBLE = "ABCDEFGHIP"  # public General events that are neither deleted nor from a private data source


def but(letters: str) -> str:
    return "".join(c for c in VISIBLE if c not in letters)


# -- events: (params, expected letters) over the main fixture --------------------------------------
EVENT_CASES: list[tuple[dict[str, str], str]] = [
    ({}, VISIBLE),
    # internet_based
    ({"internet_based": "true"}, "C"),
    ({"internet_based": "FALSE"}, VISIBLE),
    # start / end / days (H has a start and no end: gone once started; I is date-only: kept while it runs)
    ({"start": "now"}, "ABCDEFGI"),
    ({"start": "2020-02-20T12:00:00"}, "ABCDEFGI"),
    ({"start": "2020-02-20T10:00:00Z"}, "ABCDEFGI"),
    ({"end": "2020-03-01"}, "HIP"),
    ({"start": "2020-03-02", "end": "2020-03-03"}, "AB"),
    ({"days": "14"}, "ABHI"),
    # starts_after ... (local Helsinki time; E and F are in summer time, +03:00)
    ({"starts_after": "16:30"}, "ACEFG"),
    ({"starts_after": "16"}, "ACEFG"),
    ({"starts_after": "16:"}, "ACEFG"),
    ({"starts_after": "17:30"}, "AG"),
    ({"starts_before": "9:30"}, "BDHI"),
    ({"starts_before": "09:29"}, "DHI"),
    ({"ends_before": "18"}, "BCDEFHIP"),
    ({"ends_after": "20"}, "AG"),
    ({"starts_after": "16:30", "ends_before": "21"}, "ACEF"),
    # durations: A 2h, B 30m, C 1h, D 14d, E 28d1h, F 1h, G 3.5h, H 16h, I 20d, P 2h
    ({"min_duration": "1d"}, "DEI"),
    ({"max_duration": "1h"}, "BCF"),
    ({"max_duration": "3600"}, "BCF"),
    ({"max_duration": "3600s"}, "BCF"),
    ({"min_duration": "90m", "max_duration": "4h"}, "AGP"),
    # bbox (edges inclusive: P1 is on the south-west corner of the second box)
    ({"bbox": "24.93,60.16,24.945,60.175"}, "ABEFGH"),
    ({"bbox": "24.94,60.17,24.95,60.18"}, "AEF"),
    ({"location": "tprek:1"}, "AEF"),
    ({"location": "tprek:1,tprek:3"}, "AEFDI"),
    # division
    ({"division": "osa-alue:kamppi"}, "AEF"),
    ({"division": "ocd-division/country:fi/kunta:helsinki/osa-alue:kamppi"}, "AEF"),
    ({"division": "kamppi"}, "AEF"),
    ({"division": "Kampen"}, "AEF"),
    ({"division": "osa-alue:kamppi,peruspiiri:malmi"}, "AEFBGH"),
    ({"division": "atlantis"}, ""),
    # dwithin: either parameter alone does not filter
    ({"dwithin_origin": "24.94,60.17"}, VISIBLE),
    ({"dwithin_metres": "300"}, VISIBLE),
    # keywords (A has K2 as audience; C has the deprecated yso:old, replaced by K1)
    ({"keyword": "yso:k1"}, "ADG"),
    ({"keyword": "yso:k2"}, "ABEF"),
    ({"keyword": "yso:old"}, "ACDG"),
    ({"keyword": "yso:unknown"}, ""),
    ({"keyword_OR": "yso:k1"}, "ADG"),
    ({"keyword": "yso:k1", "keyword_OR": "yso:k3"}, "D"),
    ({"keyword_AND": "yso:k1,yso:k2"}, "A"),
    ({"keyword_AND": "yso:k1,yso:unknown"}, ""),
    ({"keyword!": "yso:k3"}, "ACEFG"),
    ({"keyword!": "yso:k2"}, "CDGHIP"),
    ({"keyword!": "yso:old"}, "BEFHIP"),
    ({"keyword!": "yso:k1,yso:k2"}, "CHIP"),  # C has yso:old, which K1 did not replace
    ({"keyword_OR_set1": "yso:k1,yso:k2", "keyword_OR_set2": "yso:k3"}, "BD"),
    ({"keyword_OR_set1": "yso:k2"}, "ABEF"),
    ({"keyword_set_AND": "test:s1"}, "ADG"),
    ({"keyword_set_AND": "test:s1,test:s2"}, "A"),
    ({"keyword_set_OR": "test:s1,test:s2"}, "ABDEFG"),
    # last_modified_since (a date is the start of that Helsinki day)
    ({"last_modified_since": "2020-02-20"}, "C"),
    ({"last_modified_since": "2020-02-19T23:59:59"}, "CI"),
    ({"last_modified_since": "2020-02-20", "show_deleted": "true"}, "CK"),
    ({"show_deleted": "1"}, VISIBLE + "K"),
    ({"show_deleted": "false"}, VISIBLE),
    ({"deleted": "true"}, "K"),
    ({"deleted": "0"}, VISIBLE),
    ({"ids": "m:a,m:b"}, "AB"),
    ({"ids": "/m:a/"}, "A"),
    # event_status
    ({"event_status": "eventcancelled"}, "B"),
    ({"event_status": "EventCancelled,EVENTRESCHEDULED"}, "BC"),
    ({"event_status": "garbage"}, ""),
    ({"event_type": "Course"}, "L"),
    ({"event_type": "general,course"}, VISIBLE + "L"),
    # text
    ({"text": "kissakuja"}, "AEF"),
    ({"text": "KONSERTTI"}, "AG"),
    ({"text": "barnteater"}, "B"),
    ({"text": "pullaa"}, "H"),
    ({"text": "mannerheimintie"}, "AEF"),
    ({"text": "konsert"}, "AG"),
    ({"combined_text": "lapppset"}, ""),  # no store in the context: no keyword similarity
    ({"combined_text": "lasten"}, "B"),
    # is_free
    ({"is_free": "true"}, "B"),
    ({"is_free": "false"}, "AD"),
    # language
    ({"language": "fi"}, VISIBLE),
    ({"in_language": "fi"}, "AI"),
    ({"language": "sv"}, "BG"),
    ({"in_language": "sv"}, "B"),
    ({"translation": "sv"}, "BG"),
    ({"language": "ru"}, "C"),
    ({"language": "zh_hans"}, "H"),
    ({"language": "en"}, "B"),
    ({"translation": "en"}, ""),
    ({"in_language": "et"}, ""),
    # ages: A 7-12, B 3-, D -99, E and F 18-65
    ({"audience_min_age_lt": "7"}, "AB"),
    ({"audience_min_age_gt": "7"}, "AEF"),
    ({"audience_max_age_lt": "12"}, "A"),
    ({"audience_max_age_gt": "65"}, "DEF"),
    ({"audience_min_age": "3"}, "B"),
    ({"audience_max_age": "99"}, "D"),
    ({"suitable_for": "10"}, "ABD"),
    ({"suitable_for": "20,10"}, "BD"),
    ({"suitable_for": "10,20"}, "BD"),
    # publishers: ahjo:00002 is under ahjo:00001; ahjo:oldorg was replaced by ahjo:00003
    ({"publisher": "ahjo:00001"}, "CDIP"),
    ({"publisher": "ahjo:00003"}, "BGH"),
    ({"publisher": "ahjo:oldorg"}, "BGH"),
    ({"publisher": "ahjo:00002,ahjo:00003"}, "AEFBGH"),
    ({"publisher_ancestor": "ahjo:00001"}, "ACDEFIP"),
    ({"publisher_ancestor": "ahjo:00002"}, "AEF"),
    ({"publisher_ancestor": "ahjo:00003"}, "BGH"),
    ({"data_source": "ds2"}, "BGH"),
    # Deliberate difference: a private data source's events stay restricted even when asked for.
    ({"data_source": "secret"}, ""),
    ({"data_source": "ds1,secret"}, "ACDEFIP"),
    ({"data_source!": "ds1"}, "BGH"),
    # hierarchy: D umbrella over G, E recurring over F
    ({"super_event_type": "recurring"}, "E"),
    ({"super_event_type": "umbrella,none"}, but("E")),
    ({"super_event_type": "garbage"}, ""),
    ({"super_event": "m:e"}, "F"),
    ({"super_event": "none"}, but("FG")),
    ({"super_event": "m:d,null"}, but("F")),
    ({"recurring": "super"}, "E"),
    ({"recurring": "sub"}, but("E")),
    ({"hide_super_event": "true"}, but("DE")),
    ({"hide_super_event": "false"}, VISIBLE),
    ({"hide_recurring_children": "True"}, but("F")),
    ({"max_duration": "2h", "hide_recurring_children": "true"}, "ABCP"),  # E is too long, F a hidden child
    # ... and the recurring super events of matching sub-events are added back
    ({"max_duration": "2h", "hide_recurring_children": "true", "hide_recurring_children_sub_events": "true"}, "ABCEP"),
    ({"weekday": "3", "hide_recurring_children": "1", "hide_recurring_children_sub_events": "1"}, "DEIP"),
    ({"keyword": "yso:k2", "is_free": "false", "hide_recurring_children": "1", "hide_recurring_children_sub_events": "1"},
     "A"),
    ({"ids": "m:f", "hide_recurring_children": "true", "hide_recurring_children_sub_events": "true"}, "E"),
    ({"ids": "m:f", "hide_recurring_children": "true", "hide_recurring_children_sub_events": "false"}, ""),
    ({"ids": "m:f", "hide_recurring_children_sub_events": "true"}, "F"),  # only together with hide_recurring_children
    # weekday (local): A Mon, B Tue, C Sat, F Wed, G Fri, H Thu-Fri (ends at local midnight), P Wed; D, E, I >= 7 days
    ({"weekday": "1"}, "ADEI"),
    ({"weekday": "5"}, "DEGHI"),
    ({"weekday": "6,7"}, "CDEI"),
    ({"weekday": "3"}, "DEFIP"),
    # registration and capacity
    ({"registration": "true"}, "G"),
    ({"registration": "false"}, but("G")),
    ({"enrolment_open_on": "2020-03-15"}, but("G")),  # G's enrolment ended 2020-02-20
    ({"enrolment_open_on": "2020-02-20T10:59:59"}, but("E")),  # E's enrolment starts 2020-03-01
    ({"enrolment_open_on": "2020-04-15T12:00:00"}, but("EFG")),
    ({"enrolment_open": "true"}, "E"),  # F has no room left, G's enrolment has ended
    ({"enrolment_open": "false"}, VISIBLE),
    ({"enrolment_open_waitlist": "true"}, "EF"),
    ({"registration__remaining_attendee_capacity__gte": "1"}, "G"),
    ({"registration__remaining_attendee_capacity__gte": "0"}, "FG"),
    ({"registration__remaining_attendee_capacity__isnull": "true"}, but("FG")),
    ({"registration__remaining_attendee_capacity__isnull": "0"}, "FG"),
    ({"registration__remaining_waiting_list_capacity__gte": "1"}, ""),
    ({"registration__remaining_waiting_list_capacity__isnull": "1"}, VISIBLE),
    ({"registration__remaining_waiting_list_capacity__isnull": "false"}, ""),
    ({"maximum_attendee_capacity_gte": "30"}, "EG"),
    ({"maximum_attendee_capacity_lte": "10"}, "F"),
    ({"minimum_attendee_capacity_gte": "5"}, "E"),
    ({"minimum_attendee_capacity_lte": "4"}, ""),
    # anonymous authenticated views
    ({"show_all": "true"}, VISIBLE),
    ({"admin_user": "true"}, ""),
    ({"created_by": "true"}, ""),
    ({"publication_status": "draft"}, ""),
    ({"publication_status": "public"}, VISIBLE),
    # ongoing text search: local = at P1 (the only place in the Helsinki municipality division), internet = C
    ({"local_ongoing_OR": "konsertti,jooga"}, "AF"),
    ({"local_ongoing_AND": "rock,lapset"}, "A"),
    ({"local_ongoing_AND": "rock,teatteri"}, ""),
    ({"local_ongoing_AND": "musiiikki"}, "A"),
    ({"local_ongoing_AND": "konserttti"}, "A"),
    ({"local_ongoing_OR": "musikki"}, ""),
    ({"local_ongoing_OR": "konsertt"}, "A"),  # 8 characters: one typo allowed
    ({"local_ongoing_OR": "konser"}, ""),  # whole words only
    ({"internet_ongoing_OR": "VERKKOLUENTO"}, "C"),
    ({"internet_ongoing_AND": "vanha,musiikki"}, "C"),
    ({"internet_ongoing_AND": "rock"}, ""),
    ({"all_ongoing_OR": "musiikki"}, "AC"),
    ({"all_ongoing_AND": "musiikki,rock"}, "A"),
    ({"all_ongoing_OR_set1": "rock,verkkoluento", "all_ongoing_OR_set2": "musiikki"}, "AC"),
    ({"local_ongoing_OR_set1": "jooga", "local_ongoing_OR_set2": "1"}, "F"),
    ({"internet_ongoing_OR_set3": "verkkoluento"}, "C"),
    ({"all_ongoing": "true"}, "ACEF"),
    ({"all_ongoing": "false"}, VISIBLE),
    ({"ongoing": "true"}, but("P")),
    ({"ongoing": "0"}, "P"),
    # seed examples
    ({"start": "today", "end": "2020-12-31"}, "ABCDEFGHI"),
    ({"start": "now", "end": "today"}, "I"),  # H has started and has no end time
]


@pytest.mark.parametrize("params,expected", EVENT_CASES, ids=[str(p) for p, _ in EVENT_CASES])
def test_event_filter(params: dict[str, str], expected: str) -> None:
    assert set(run("main", params)) == E(expected)


AUTH_CASES: list[tuple[Identity, dict[str, str], str]] = [
    (EDITOR, {"show_all": "true"}, VISIBLE + "J"),
    (EDITOR, {"show_all": "false"}, VISIBLE),
    (MEMBER, {"show_all": "1"}, VISIBLE + "J"),
    (MEMBER, {"show_all": "1", "show_deleted": "1"}, VISIBLE + "JK"),  # K's tombstone is public
    (EDITOR, {"admin_user": "true"}, "AEFJ"),
    (MEMBER, {"admin_user": "true"}, "J"),
    (EDITOR, {"show_all": "true", "publication_status": "draft"}, "J"),
    (EDITOR, {"show_all": "true", "publication_status": "public"}, VISIBLE),
    (EDITOR, {"admin_user": "true", "publication_status": "public"}, "AEF"),
    (EDITOR, {"created_by": "true"}, "AJ"),
    (EDITOR, {"show_all": "true", "data_source": "secret"}, ""),  # not theirs to edit
    (Identity(user="root", superuser=True), {"show_all": "true", "data_source": "secret"}, "M"),
    (Identity(user="root", superuser=True), {"admin_user": "true", "publisher": "ahjo:00002"}, "AEFJ"),
    (Identity(user="reg", registration_admin_organizations=frozenset({"ahjo:00003"})),
     {"registration_admin_user": "true"}, "G"),
    (EDITOR, {"registration_admin_user": "true"}, ""),
    (EDITOR, {"registration_admin_user": "false"}, VISIBLE),
    (ANONYMOUS, {"registration_admin_user": "true"}, ""),
]


@pytest.mark.parametrize("identity,params,expected", AUTH_CASES, ids=[f"{i.user}-{p}" for i, p, _ in AUTH_CASES])
def test_authenticated_views(identity: Identity, params: dict[str, str], expected: str) -> None:
    assert set(run("main", params, identity=identity)) == E(expected)


# -- behaviour §11.2 cases 7-12, with the original's own fixtures ---------------------------------
def local(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


TIME_CASES: list[tuple[str, dict[str, str], datetime, set[str]]] = [
    ("case7", {"start": "2020-02-19"}, FIXED_NOW, {"t:1", "t:2", "t:3", "t:4", "t:5", "t:6", "t:7"}),
    ("case7", {"start": "2020-02-20"}, FIXED_NOW, {"t:3", "t:4", "t:5", "t:6", "t:7"}),
    ("case7", {"end": "2020-02-19"}, FIXED_NOW, {"t:1", "t:2", "t:3", "t:4"}),
    ("case7", {"end": "2020-02-20"}, FIXED_NOW, {"t:1", "t:2", "t:3", "t:4", "t:5"}),
    ("case7", {"start": "2020-02-20", "end": "2020-02-20"}, FIXED_NOW, {"t:3", "t:4", "t:5"}),
    ("case7", {"start": "2020-02-19", "end": "2020-02-21"}, FIXED_NOW, {"t:1", "t:2", "t:3", "t:4", "t:5", "t:6"}),
    *(
        (fixture, params, local(clock), expected)
        for clock in ("2020-02-20T00:00:00+02:00", "2020-02-20T12:00:00+02:00", "2020-02-20T23:59:59+02:00")
        for fixture, params, expected in (
            ("case10", {"start": "today"}, {"t:3", "t:4", "t:5", "t:6b", "t:7b", "t:8"}),
            ("case10", {"start": "TODAY"}, {"t:3", "t:4", "t:5", "t:6b", "t:7b", "t:8"}),
            ("case10", {"end": "today"}, {"t:1", "t:2", "t:3", "t:4", "t:5", "t:6b"}),
            ("case10", {"start": "today", "end": "today"}, {"t:3", "t:4", "t:5", "t:6b"}),
        )
    ),
    ("case10", {"start": "now"}, local("2020-02-20T00:30:00+02:00"), {"t:5", "t:6b", "t:7b", "t:8"}),
    ("case10", {"end": "now"}, local("2020-02-20T12:00:00+02:00"), {"t:1", "t:2", "t:3", "t:4", "t:5"}),
    ("case10", {"start": "now", "end": "now"}, local("2020-02-20T12:00:00+02:00"), {"t:5"}),
    ("case12", {"start": "2020-02-19T11:22:33"}, FIXED_NOW, {"t:2"}),
    ("case12", {"end": "2020-02-19T11:22:32"}, FIXED_NOW, {"t:1"}),
]


@pytest.mark.parametrize("fixture,params,now,expected", TIME_CASES,
                         ids=[f"{f}-{p}-{n:%H%M%S}" for f, p, n, _ in TIME_CASES])
def test_time_cases_of_the_behaviour_spec(fixture: str, params: dict[str, str], now: datetime, expected: set[str]) -> None:
    assert set(run(fixture, params, now=now)) == expected


# -- geography against references computed here -----------------------------------------------------
@pytest.mark.parametrize("origin,metres", [(P1, 300), (P1, 500.5), (P2, 1), ((24.95, 60.2), 8000), (P3, 10)])
def test_dwithin_equals_the_haversine_reference(origin: tuple[float, float], metres: float) -> None:
    expected = {
        e for pid, (lon, lat) in PLACES.items() if geo.haversine_metres(origin[0], origin[1], lon, lat) <= metres
        for e in EVENTS_AT.get(pid, ())
    }
    got = run("main", {"dwithin_origin": f"{origin[0]},{origin[1]}", "dwithin_metres": str(metres)})
    assert set(got) == E("".join(expected))


def test_dwithin_and_bbox_in_another_srid() -> None:
    x, y = geo.from_wgs84(*P1, 3067)
    got = run("main", {"dwithin_origin": f"{x},{y}", "dwithin_metres": "300", "srid": "3067"})
    assert set(got) == E("AEF")
    west, south = geo.from_wgs84(P3[0] - 0.01, P3[1] - 0.01, 3067)
    east, north = geo.from_wgs84(P3[0] + 0.01, P3[1] + 0.01, 3067)
    got = run("main", {"bbox": f"{west},{south},{east},{north}", "srid": "EPSG:3067"})
    assert set(got) == E("DI")


# -- sorting ----------------------------------------------------------------------------------
SORT_CASES = [
    ("duration", "BCFAPGHDIE"),
    ("-duration", "EIDHGAPCFB"),
    ("maximum_attendee_capacity", "FEGABCDHIP"),
    ("-maximum_attendee_capacity", "ABCDHIPGEF"),
    ("enrolment_start", "EABCDFGHIP"),
    ("-enrolment_start", "EABCDFGHIP"),
    ("enrolment_start_time", "EABCDFGHIP"),
    ("-enrolment_start_time", "ABCDFGHIPE"),
    ("enrolment_end", "GEFABCDHIP"),
    ("-enrolment_end", "EFGABCDHIP"),
    ("minimum_attendee_capacity", "EABCDFGHIP"),
    ("enrolment_end_time", "GEFABCDHIP"),
    ("-enrolment_end_time", "ABCDHIPEFG"),
    ("registration__enrolment_start_time", "ABCDEFGHIP"),
    ("registration__enrolment_end_time", "ABCDEFGHIP"),
    ("start_time", "PIHABCEFDG"),
]


def test_sub_event_view_keeps_the_order() -> None:
    params = {"max_duration": "2h", "hide_recurring_children": "true", "hide_recurring_children_sub_events": "true"}
    assert run("main", {**params, "sort": "duration"}) == ["m:b", "m:c", "m:a", "m:p", "m:e"]


@pytest.mark.parametrize("sort,expected", SORT_CASES)
def test_event_sort(sort: str, expected: str) -> None:
    assert run("main", {"sort": sort}) == [f"m:{c.lower()}" for c in expected]


OTHER_SORTS = [
    # the original's defaults: places -n_events, -data_source, name; keywords -data_source, -n_events, name
    ("place", "", ["tprek:1", "tprek:2", "tprek:3", "tprek:5", "helsinki:internet"]),
    ("keyword", "", ["yso:k3", "yso:k2", "yso:k1"]),
    ("place", "-n_events", ["tprek:1", "tprek:2", "tprek:3", "helsinki:internet", "tprek:5"]),
    ("place", "n_events", ["helsinki:internet", "tprek:5", "tprek:3", "tprek:2", "tprek:1"]),
    ("place", "data_source,-id", ["helsinki:internet", "tprek:5", "tprek:3", "tprek:2", "tprek:1"]),
    ("keyword", "-n_events", ["yso:k3", "yso:k1", "yso:k2"]),  # 5, 4 (A D G and the course L), 4
    ("keyword", "data_source,name", ["yso:k2", "yso:k1", "yso:k3"]),
]


@pytest.mark.parametrize("resource,sort,expected", OTHER_SORTS)
def test_other_sorts(resource: str, sort: str, expected: list[str]) -> None:
    assert run("main", {"sort": sort} if sort else {}, resource=resource) == expected


# -- other endpoints ----------------------------------------------------------------------------
OTHER_CASES: list[tuple[str, dict[str, str], set[str]]] = [
    ("place", {}, {"tprek:1", "tprek:2", "tprek:3", "tprek:5", "helsinki:internet"}),
    ("place", {"show_all_places": "true"}, {"tprek:1", "tprek:2", "tprek:3", "tprek:4", "tprek:5", "helsinki:internet"}),
    ("place", {"show_all_places": "false"}, {"tprek:1", "tprek:2", "tprek:3", "tprek:5", "helsinki:internet"}),
    ("place", {"has_upcoming_events": "true"}, {"tprek:1", "tprek:2", "tprek:3", "helsinki:internet"}),
    ("place", {"has_upcoming_events": "false"}, {"tprek:1", "tprek:2", "tprek:3", "tprek:5", "helsinki:internet"}),
    ("place", {"text": "KISSA"}, {"tprek:1"}),
    ("place", {"division": "helsinki"}, {"tprek:1"}),
    ("place", {"text": "mannerheim"}, {"tprek:1"}),
    ("place", {"division": "kamppi"}, {"tprek:1"}),
    ("place", {"division": "malmi", "show_all_places": "1"}, {"tprek:2"}),
    ("place", {"data_source": "TPREK"}, {"tprek:1", "tprek:2", "tprek:3", "tprek:5"}),
    ("place", {"bbox": "24.93,60.16,24.945,60.175"}, {"tprek:1", "tprek:2"}),
    ("place", {"dwithin_origin": "24.94,60.17", "dwithin_metres": "300"}, {"tprek:1"}),
    ("keyword", {}, {"yso:k1", "yso:k2", "yso:k3"}),
    ("keyword", {"show_all_keywords": "true"}, {"yso:k1", "yso:k2", "yso:k3", "yso:unused", "test:c1", "test:c2", "test:c3"}),
    ("keyword", {"show_deprecated": "true"}, {"yso:k1", "yso:k2", "yso:k3", "yso:old"}),
    ("keyword", {"show_deprecated": "true", "show_all_keywords": "true"},
     {"yso:k1", "yso:k2", "yso:k3", "yso:old", "yso:unused", "test:c1", "test:c2", "test:c3"}),
    ("keyword", {"free_text": "CHEE", "show_all_keywords": "true"}, {"test:c1", "test:c2"}),  # no store: substring
    ("keyword", {"has_upcoming_events": "true"}, {"yso:k1", "yso:k2", "yso:k3", "yso:old"}),
    ("keyword", {"text": "SOITTO"}, {"yso:k1"}),
    ("keyword", {"text": "musiikki"}, {"yso:k1"}),
    ("keyword", {"text": "musiikki", "show_deprecated": "true"}, {"yso:k1", "yso:old"}),
    ("keyword", {"data_source": "YSO"}, {"yso:k1", "yso:k2", "yso:k3"}),
    ("keyword_set", {"text": "musiikki"}, {"test:s1"}),
    ("keyword_set", {"text": "yleis,MUSIIKKI"}, {"test:s1", "test:s2"}),
    ("keyword_set", {"text": "test:s2"}, {"test:s2"}),
    ("organization", {"child": "ahjo:00002"}, {"ahjo:00001"}),
    ("organization", {"parent": "ahjo:00001"}, {"ahjo:00002"}),
    ("organization", {"child": "invalid"}, set()),
    ("organization", {"dissolved": "true"}, {"ahjo:oldorg"}),
    ("organization", {"dissolved": "false"}, {"ahjo:00001", "ahjo:00002", "ahjo:00003"}),
    ("image", {"text": "BÄNDI"}, {"1"}),
    ("image", {"text": "logo"}, {"2"}),
    ("image", {"publisher": "AHJO:00003"}, {"2"}),
    ("image", {"data_source": "DS1"}, {"1"}),
    ("language", {"service_language": "true"}, {"fi", "sv"}),
    ("language", {"service_language": "false"}, {"ru"}),
]


@pytest.mark.parametrize("resource,params,expected", OTHER_CASES, ids=[f"{r}-{p}" for r, p, _ in OTHER_CASES])
def test_other_endpoints(resource: str, params: dict[str, str], expected: set[str]) -> None:
    assert set(run("main", params, resource=resource)) == expected


# -- errors: a 400 naming the parameter -------------------------------------------------------------
ERROR_CASES: list[tuple[str, dict[str, str], str]] = [
    ("event", {"start": "foo"}, "start"),
    ("event", {"end": "2020-13-45"}, "end"),
    ("event", {"start": "2020-01-01T00:00:00+16:00"}, "start"),
    ("event", {"last_modified_since": "garbage"}, "last_modified_since"),
    ("event", {"days": "abc"}, "days"),
    ("event", {"days": "0"}, "days"),
    ("event", {"days": "1", "start": "today"}, "days"),
    ("event", {"days": "1", "end": "today"}, "days"),
    ("event", {"starts_after": "27:30"}, "starts_after"),
    ("event", {"starts_after": "18:70"}, "starts_after"),
    ("event", {"starts_after": ":70"}, "starts_after"),
    ("event", {"starts_after": "18:70:"}, "starts_after"),
    ("event", {"starts_before": "ab"}, "starts_before"),
    ("event", {"ends_after": "1:2:3"}, "ends_after"),
    ("event", {"ends_before": "24"}, "ends_before"),
    ("event", {"max_duration": "abc"}, "max_duration"),
    ("event", {"min_duration": "3w"}, "min_duration"),
    ("event", {"bbox": "1,2,3"}, "bbox"),
    ("event", {"bbox": "a,b,c,d"}, "bbox"),
    ("event", {"bbox": "25,60,24,61"}, "bbox"),
    ("event", {"bbox": "24,60,25,61", "srid": "777"}, "srid"),
    ("event", {"dwithin_origin": "24.93", "dwithin_metres": "1000"}, "dwithin_origin"),
    ("event", {"dwithin_origin": "24.93,60.17", "dwithin_metres": "x"}, "dwithin_metres"),
    ("event", {"internet_based": "maybe"}, "internet_based"),
    ("event", {"is_free": "maybe"}, "is_free"),
    ("event", {"show_deleted": "yes"}, "show_deleted"),
    ("event", {"deleted": "maybe"}, "deleted"),
    ("event", {"event_type": "x"}, "event_type"),
    ("event", {"audience_min_age": "abc"}, "audience_min_age"),
    ("event", {"audience_min_age_lt": "abc"}, "audience_min_age_lt"),
    ("event", {"audience_min_age_gt": "1.5"}, "audience_min_age_gt"),
    ("event", {"audience_max_age_lt": "x"}, "audience_max_age_lt"),
    ("event", {"audience_max_age_gt": "x"}, "audience_max_age_gt"),
    ("event", {"audience_max_age": "x"}, "audience_max_age"),
    ("event", {"suitable_for": "x"}, "suitable_for"),
    ("event", {"suitable_for": "12,13,14"}, "suitable_for"),
    ("event", {"recurring": "maybe"}, "recurring"),
    ("event", {"hide_super_event": "1x"}, "hide_super_event"),
    ("event", {"hide_recurring_children": "maybe"}, "hide_recurring_children"),
    ("event", {"weekday": "8"}, "weekday"),
    ("event", {"hide_recurring_children_sub_events": "maybe"}, "hide_recurring_children_sub_events"),
    ("event", {"hide_recurring_children_sub_events": "true", "hide_recurring_children": "true", "weekday": "9"},
     "weekday"),
    ("event", {"weekday": "mon"}, "weekday"),
    ("event", {"registration": "maybe"}, "registration"),
    ("event", {"enrolment_open_on": "foo"}, "enrolment_open_on"),
    ("event", {"enrolment_open": "maybe"}, "enrolment_open"),
    ("event", {"enrolment_open_waitlist": "maybe"}, "enrolment_open_waitlist"),
    ("event", {"registration__remaining_attendee_capacity__gte": "x"}, "registration__remaining_attendee_capacity__gte"),
    ("event", {"registration__remaining_attendee_capacity__isnull": "x"}, "registration__remaining_attendee_capacity__isnull"),
    ("event", {"registration__remaining_waiting_list_capacity__gte": "x"}, "registration__remaining_waiting_list_capacity__gte"),
    ("event", {"registration__remaining_waiting_list_capacity__isnull": "x"},
     "registration__remaining_waiting_list_capacity__isnull"),
    ("event", {"maximum_attendee_capacity_gte": "abc"}, "maximum_attendee_capacity_gte"),
    ("event", {"maximum_attendee_capacity_lte": "abc"}, "maximum_attendee_capacity_lte"),
    ("event", {"minimum_attendee_capacity_gte": "abc"}, "minimum_attendee_capacity_gte"),
    ("event", {"minimum_attendee_capacity_lte": "abc"}, "minimum_attendee_capacity_lte"),
    ("event", {"show_all": "maybe"}, "show_all"),
    ("event", {"admin_user": "maybe"}, "admin_user"),
    ("event", {"admin_user": "true", "registration_admin_user": "true"}, "admin_user"),
    ("event", {"created_by": "maybe"}, "created_by"),
    ("event", {"registration_admin_user": "maybe"}, "registration_admin_user"),
    ("event", {"ongoing": "maybe"}, "ongoing"),
    ("event", {"all_ongoing": "maybe"}, "all_ongoing"),
    ("event", {"local_ongoing_OR": ","}, "local_ongoing_OR"),
    ("event", {"keyword_OR_set2": ""}, "keyword_OR_set2"),
    ("place", {"sort": "nonsense"}, "sort"),
    ("keyword_set", {"sort": "n_events"}, "sort"),
    ("event", {"publication_status": "foo"}, "publication_status"),
    ("event", {"sort": "nonsense"}, "sort"),
    ("event", {"text": "a\x00b"}, "text"),
    ("event", {"keyword": ","}, "keyword"),
    ("place", {"has_upcoming_events": "maybe"}, "has_upcoming_events"),
    ("place", {"show_all_places": "maybe"}, "show_all_places"),
    ("keyword", {"show_all_keywords": "maybe"}, "show_all_keywords"),
    ("keyword", {"show_deprecated": "maybe"}, "show_deprecated"),
    ("keyword", {"has_upcoming_events": "maybe"}, "has_upcoming_events"),
    ("organization", {"dissolved": "maybe"}, "dissolved"),
    ("language", {"service_language": "maybe"}, "service_language"),
]


@pytest.mark.parametrize("resource,params,param", ERROR_CASES, ids=[f"{r}-{p}" for r, p, _ in ERROR_CASES])
def test_bad_values_are_400_naming_the_parameter(resource: str, params: dict[str, str], param: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        build(RESOURCES[resource], params, iris=IRIS, now=FIXED_NOW)
    assert param in exc.value.problems
    assert "e.g." in exc.value.problems[param] or "Example" in exc.value.problems[param]


def test_all_bad_parameters_are_reported_at_once() -> None:
    with pytest.raises(InvalidParameter) as exc:
        build(RESOURCES["event"], {"start": "x", "weekday": "9", "is_free": "maybe"}, iris=IRIS, now=FIXED_NOW)
    assert set(exc.value.problems) == {"start", "weekday", "is_free"}


def test_unknown_keyword_set_is_an_error_naming_it() -> None:
    """Needs the store to know which sets exist: the builder passes ``ctx.store`` when it has one."""
    ctx = replace(_context(), store=store_of("main"))
    for name in ("keyword_set_AND", "keyword_set_OR"):
        entry = catalog.FILTERS_BY_RESOURCE[("event", name)]
        with pytest.raises(ValueError, match="test:nope"):
            entry.apply(entry.parse("test:s1,test:nope"), ctx, name)
        assert entry.apply(entry.parse("test:s1,test:s2"), ctx, name).pattern


STORE_CASES: list[tuple[str, dict[str, str], list[str] | set[str]]] = [
    ("event", {"combined_text": "lapppset"}, E("EF")),  # K2 "lapset" as a keyword; A and B have it as audience
    ("event", {"combined_text": "lasten"}, E("B")),
    ("event", {"combined_text": "lapppset,jooga"}, E("EF")),
    ("event", {"combined_text": "lapppset,sarja"}, E("E")),
    ("event", {"keyword_set_AND": "test:s1,test:s2"}, E("A")),
    ("keyword", {"free_text": "cheeese", "show_all_keywords": "1"}, ["test:c1", "test:c2", "test:c3"]),
    ("keyword", {"free_text": "cheeese"}, []),  # none of them has events
    ("keyword", {"free_text": "musiiki", "show_deprecated": "1"}, ["yso:k1"]),
    # text led by the labels that contain it (a per-generation table): the same as without the store
    ("keyword", {"text": "SOITTO"}, {"yso:k1"}),
    ("keyword", {"text": "musiikki", "show_deprecated": "true"}, {"yso:k1", "yso:old"}),
    ("keyword", {"text": "no such label"}, set()),
    ("place", {"text": "KISSA"}, {"tprek:1"}),
    ("place", {"text": "mannerheim"}, {"tprek:1"}),
]


@pytest.mark.parametrize("resource,params,expected", STORE_CASES, ids=[f"{r}-{p}" for r, p, _ in STORE_CASES])
def test_filters_that_consult_the_store(resource: str, params: dict[str, str], expected) -> None:
    got = run("main", params, resource=resource, store_in_context=True)
    assert (got if isinstance(expected, list) else set(got)) == expected


def test_unknown_keyword_set_is_a_400_through_the_builder() -> None:
    with pytest.raises(InvalidParameter) as exc:
        build(RESOURCES["event"], {"keyword_set_OR": "test:nope,test:s1"}, iris=IRIS, now=FIXED_NOW,
              store=store_of("main"))
    assert "test:nope" in exc.value.problems["keyword_set_OR"]


def _context() -> Context:
    return Context(RESOURCES["event"], {}, ANONYMOUS, FIXED_NOW, "General", IRIS)


# -- the catalog itself -----------------------------------------------------------------------
def test_every_entry_is_documented_and_exercised() -> None:
    exercised = {name for params, _ in EVENT_CASES for name in params}
    exercised |= {name for _, params, _ in AUTH_CASES + OTHER_CASES for name in params}
    exercised |= {name for _, params, _ in ERROR_CASES + STORE_CASES for name in params}
    entries = list(catalog.FILTERS) + [entry for _, entry in catalog.PATTERN_FILTERS]
    for entry in entries:
        assert entry.doc and entry.example.split("/?")[0] in RESOURCES, entry.name
        name = entry.name
        if name.endswith("_setN"):
            name = next(n for n in exercised if n.startswith(name[:-1]))
        assert name in exercised, f"{entry.name} has no test case"
    names = [f.name for f in catalog.FILTERS]
    assert len(names) == len(set(names))
