"""The committed context is what the model generates, and nothing is fetched at run time."""
from __future__ import annotations

import json
import socket

import pytest
from pyld import jsonld

from ld.context import CONTEXT_FILE, build_context, document_loader
from ld.errors import LdError
from ld.model import RESOURCES, COMPUTED
from ld.vocab import LE


def test_committed_context_is_generated_from_the_model() -> None:
    assert json.loads(CONTEXT_FILE.read_text(encoding="utf-8")) == build_context()


def test_every_vocabulary_term_used_by_the_model_is_in_the_context() -> None:
    text = CONTEXT_FILE.read_text(encoding="utf-8")
    for resource in RESOURCES.values():
        for field in resource.all_fields:
            if field.kind != COMPUTED and field.iri.value.startswith(LE.iri):
                assert "le:" + field.iri.value[len(LE.iri):] in text, field.key


def test_expansion_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", no_network)
    loader = document_loader(("http://127.0.0.1:8000/context/linkedevents.jsonld",))
    doc = {"@context": "http://127.0.0.1:8000/context/linkedevents.jsonld", "@id": "http://x/e/", "@type": "Event",
           "start_time": "2020-06-01T13:45:00Z"}
    expanded = jsonld.expand(doc, {"documentLoader": loader})
    assert expanded[0]["http://schema.org/startDate"][0]["@value"] == "2020-06-01T13:45:00Z"
    schema_doc = {"@context": "http://schema.org", "name": "x", "@id": "http://x/"}
    assert jsonld.expand(schema_doc, {"documentLoader": loader})[0]["http://schema.org/name"][0]["@value"] == "x"
    with pytest.raises(jsonld.JsonLdError, match="loading remote context failed"):
        jsonld.expand({"@context": "http://example.org/ctx", "a": 1}, {"documentLoader": loader})
    with pytest.raises(LdError, match="refusing to fetch http://example.org/ctx"):
        loader("http://example.org/ctx")
