"""Drafts are invisible, deleted entities are gone, replaced ones redirect; nothing leaks."""
from __future__ import annotations

import copy

import falcon.testing
import pytest

from endpoint.app import Settings, create_app
from ld.identity import Identity, Keys
from ld.store import PUBLIC, OxigraphStore

from conftest import BASE, assert_canonical_error, load_records, real_records

TEMPLATE = real_records("event")[3]  # helsinki:afy6ikna3u, a complete public event


def event(event_id: str, **overrides):
    record = copy.deepcopy(TEMPLATE)
    record.update(id=event_id, **overrides)
    record["@id"] = f"https://api.hel.fi/linkedevents/v1/event/{event_id}/"
    return ("event", record)


@pytest.fixture(scope="module")
def app() -> falcon.testing.TestClient:
    store = OxigraphStore()
    report = load_records(store, [
        event("test:public"),
        event("test:draft", publication_status="draft", name={"fi": "Salainen luonnos"}),
        event("test:deleted", deleted=True),
        event("test:old", deleted=True, replaced_by="test:middle"),
        event("test:middle", deleted=True, replaced_by="test:new"),
        event("test:new"),
    ])
    assert not report.rejected, report.rejected
    keys = Keys({"editor": Identity(user="editor", admin_organizations=frozenset({"ahjo:u541000"})),
                 "stranger": Identity(user="stranger", admin_organizations=frozenset({"ahjo:other"}))})
    client = falcon.testing.TestClient(create_app(store, Settings(base_url=BASE, keys=keys)))
    client.store = store
    return client


def test_draft_is_404_to_anonymous_and_strangers(app) -> None:
    assert_canonical_error(app.simulate_get("/linkedevents/v1/event/test:draft/"), 404)
    assert_canonical_error(app.simulate_get("/linkedevents/v1/event/test:draft/", headers={"apikey": "stranger"}), 404)
    mine = app.simulate_get("/linkedevents/v1/event/test:draft/", headers={"apikey": "editor"})
    assert mine.status_code == 200 and mine.json["publication_status"] == "draft"


def test_deleted_is_410_and_replaced_redirects_to_the_end_of_the_chain(app) -> None:
    assert_canonical_error(app.simulate_get("/linkedevents/v1/event/test:deleted/"), 410, "deleted")
    moved = app.simulate_get("/linkedevents/v1/event/test:old/")
    assert moved.status_code == 301
    assert moved.headers["location"] == f"{BASE}/linkedevents/v1/event/test:new/"


def test_lists_hide_drafts_and_deleted_unless_asked(app) -> None:
    ids = {e["id"] for e in app.simulate_get("/linkedevents/v1/event/").json["data"]}
    assert ids == {"test:public", "test:new"}
    with_deleted = app.simulate_get("/linkedevents/v1/event/", params={"show_deleted": "true"}).json["data"]
    stubs = {e["id"]: e for e in with_deleted if e.get("deleted")}
    assert set(stubs) == {"test:deleted", "test:old", "test:middle"}
    assert set(stubs["test:old"]) == {"id", "last_modified_time", "deleted", "replaced_by", "name"}
    assert stubs["test:old"]["name"] == {"fi": "POISTETTU", "sv": "RADERAD", "en": "DELETED"}


def test_public_graph_holds_no_draft_or_personal_data(app) -> None:
    leaked = list(app.store.query(
        'SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?s), "test:draft") || CONTAINS(STR(?o), "Salainen") '
        '|| ?p IN (le:publicationStatus, le:createdBy, le:lastModifiedBy)) }', dataset=PUBLIC))
    assert leaked == []
    tombstone = {row["p"].value.rsplit("/", 1)[-1].rsplit("#", 1)[-1] for row in app.store.query(
        f"SELECT ?p WHERE {{ <{BASE}/linkedevents/v1/event/test:deleted/> ?p ?o }}", dataset=PUBLIC)}
    assert tombstone == {"type", "identifier", "dateModified", "deleted", "typeId", "listing", "record"}


def test_private_data_source_events_only_for_their_editors() -> None:
    store = OxigraphStore()
    secret = dict(copy.deepcopy(TEMPLATE), id="test:secret", data_source="secret")
    report = load_records(store, [("data_source", {"id": "secret", "name": "Secret", "private": True}),
                                  ("event", secret)])
    assert not report.rejected, report.rejected
    keys = Keys({"editor": Identity(user="editor", admin_organizations=frozenset({"ahjo:u541000"})),
                 "stranger": Identity(user="stranger", admin_organizations=frozenset({"ahjo:other"}))})
    client = falcon.testing.TestClient(create_app(store, Settings(base_url=BASE, keys=keys)))
    path = "/linkedevents/v1/event/test:secret/"
    assert client.simulate_get(path).status_code == 404
    assert client.simulate_get(path, headers={"apikey": "stranger"}).status_code == 404
    assert client.simulate_get(path, headers={"apikey": "editor"}).status_code == 200
    assert client.simulate_get("/linkedevents/v1/event/", params={"data_source": "secret"}).json["meta"]["count"] == 0
