"""The Linked Events envelope, paging and list defaults, on a generated data set."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import falcon.testing

from endpoint.app import Settings, create_app
from ld.times import event_span

from conftest import BASE, assert_canonical_error

ENDPOINTS = ("event", "place", "keyword", "keyword_set", "organization", "language", "image")


def test_root_lists_the_endpoints(client) -> None:
    body = client.simulate_get("/linkedevents/v1/").json
    assert set(ENDPOINTS) <= set(body)
    assert body["event"] == f"{BASE}/linkedevents/v1/event/"


def test_server_root_redirects_to_the_api(client) -> None:
    result = client.simulate_get("/")
    assert result.status_code == 302 and result.headers["location"] == "/linkedevents/v1/"


def test_every_endpoint_has_the_envelope(generated_client) -> None:
    for name in ENDPOINTS:
        body = generated_client.simulate_get(f"/linkedevents/v1/{name}/").json
        assert set(body) == {"meta", "data"}, name
        assert set(body["meta"]) == {"count", "next", "previous"}
        assert body["meta"]["count"] >= len(body["data"]) > 0, name


def test_paging_links_keep_the_other_parameters(generated_client) -> None:
    first = generated_client.simulate_get("/linkedevents/v1/event/", params={"page_size": "7", "event_type": "general"}).json
    assert len(first["data"]) == 7 and first["meta"]["previous"] is None
    nxt = first["meta"]["next"]
    assert nxt.startswith(f"{BASE}/linkedevents/v1/event/?") and "page=2" in nxt and "event_type=general" in nxt
    second = generated_client.simulate_get(nxt.replace(BASE, "").split("?")[0], query_string=nxt.split("?")[1]).json
    assert second["meta"]["previous"] is not None
    ids = [e["id"] for e in first["data"] + second["data"]]
    assert len(ids) == len(set(ids)) == 14


def test_page_size_default_and_cap(generated_client) -> None:
    assert len(generated_client.simulate_get("/linkedevents/v1/event/").json["data"]) == 20
    assert len(generated_client.simulate_get("/linkedevents/v1/event/", params={"page_size": "1000"}).json["data"]) == 100
    assert len(generated_client.simulate_get("/linkedevents/v1/image/").json["data"]) > 100  # images: 1000 per page


def test_bad_paging_values(generated_client) -> None:
    assert_canonical_error(generated_client.simulate_get("/linkedevents/v1/event/", params={"page": "999"}), 404, "Invalid page")
    assert_canonical_error(generated_client.simulate_get("/linkedevents/v1/event/", params={"page": "abc"}), 400, "page")
    assert_canonical_error(generated_client.simulate_get("/linkedevents/v1/event/", params={"page_size": "0"}), 400, "page_size")


def test_default_event_list_is_public_general_not_deleted(generated_client, generated_dir) -> None:
    events = [json.loads(line) for line in (generated_dir / "event.jsonl").open()]
    expected = {e["id"] for e in events
                if e.get("publication_status", "public") == "public" and not e["deleted"] and e["type_id"] == "General"}
    listed = generated_client.simulate_get("/linkedevents/v1/event/", params={"page_size": "100"}).json
    assert listed["meta"]["count"] == len(expected)
    assert {e["id"] for e in listed["data"]} <= expected
    modified = [e["last_modified_time"] for e in listed["data"]]
    assert modified == sorted(modified, reverse=True)  # default order -last_modified_time


def test_linked_courses_mount_defaults_to_courses(generated_client, generated_dir) -> None:
    events = [json.loads(line) for line in (generated_dir / "event.jsonl").open()]
    courses = {e["id"] for e in events
               if e.get("publication_status") == "public" and not e["deleted"] and e["type_id"] == "Course"}
    body = generated_client.simulate_get("/linkedcourses/v1/event/", params={"page_size": "100"}).json
    assert body["meta"]["count"] == len(courses)
    assert body["meta"]["next"] is None or body["meta"]["next"].startswith(f"{BASE}/linkedcourses/v1/event/")
    assert {e["id"] for e in body["data"]} <= courses


def test_include_expands_references(client) -> None:
    plain = client.simulate_get("/linkedevents/v1/event/helsinki:afxp6tv4xa/").json
    assert set(plain["location"]) == {"@id"}
    expanded = client.simulate_get("/linkedevents/v1/event/helsinki:afxp6tv4xa/", params={"include": "location,keywords"}).json
    assert expanded["location"]["name"]["fi"] == "Entressen kirjasto"
    assert expanded["keywords"][0]["id"] == "helfi:12"      # in the store: expanded
    assert set(expanded["keywords"][1]) == {"@id"}          # not in the store: stays a reference
    assert expanded["images"][0]["@type"] == "ImageObject"  # images are always expanded


def test_keyword_set_include_keywords(client) -> None:
    body = client.simulate_get("/linkedevents/v1/keyword_set/helfi:audiences/", params={"include": "keywords"}).json
    assert [k["id"] for k in body["keywords"]] == ["helfi:5", "helfi:1", "helfi:3", "helfi:7", "helfi:4", "helfi:2", "helfi:6"]


def test_unknown_id_and_missing_slash(client) -> None:
    assert_canonical_error(client.simulate_get("/linkedevents/v1/event/nope:1/"), 404)
    redirect = client.simulate_get("/linkedevents/v1/event")
    assert redirect.status_code == 301 and redirect.headers["location"] == "/linkedevents/v1/event/"


def test_filters_work_on_the_linked_courses_mount(generated_client, generated_dir) -> None:
    events = {e["id"]: e for e in (json.loads(line) for line in (generated_dir / "event.jsonl").open())}
    for params in ({"start": "2026-12-01"}, {"is_free": "true"}, {"keyword": "yso:p1808,yso:p4354"},
                   {"text": "kurssi"}, {"sort": "start_time"}, {"event_type": "general"}):
        body = generated_client.simulate_get("/linkedcourses/v1/event/", params={**params, "page_size": "100"}).json
        explained = generated_client.simulate_get("/linkedcourses/v1/event/", params={**params, "explain": "sparql"})
        assert explained.status_code == 200 and "lei:listing" in explained.text
        wanted = "General" if "event_type" in params else "Course"
        assert body["data"] and all(events[e["id"]]["type_id"] == wanted for e in body["data"]), params


def test_n_events_and_upcoming_are_exact_at_request_time(generated_store, generated_dir) -> None:
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    client = falcon.testing.TestClient(create_app(generated_store, Settings(base_url=BASE, clock=lambda: now)))
    events = [json.loads(line) for line in (generated_dir / "event.jsonl").open()]
    public = [e for e in events if e.get("publication_status", "public") == "public" and not e["deleted"]]
    at: dict[str, list[dict]] = {}
    for e in public:
        if e["location"]:
            at.setdefault(e["location"]["@id"].rstrip("/").rsplit("/", 1)[-1], []).append(e)
    place_id, here = max(at.items(), key=lambda item: len(item[1]))
    body = client.simulate_get(f"/linkedevents/v1/place/{place_id}/").json
    assert body["n_events"] == len(here)
    assert body["has_upcoming_events"] == any(event_span(e["start_time"], e["end_time"])[1] > now for e in here)


def test_json_bodies_are_compact_utf8_and_take_any_integer() -> None:
    from endpoint.resources import _json

    assert _json({"name": {"fi": "Kesä"}, "n": [1, 2.5]}) == '{"name":{"fi":"Kesä"},"n":[1,2.5]}'.encode()
    assert json.loads(_json({"big": 2**70})) == {"big": 2**70}  # beyond orjson's 64 bits
