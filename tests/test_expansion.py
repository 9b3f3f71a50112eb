"""ld.expansion builds exactly the graph pyoxigraph's JSON-LD parser makes of a record's document,
or says it cannot (Unplanned) and leaves the record to the parser."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator

import pyoxigraph as ox
import pytest

from conftest import REAL
from ld import expansion
from ld.errors import InvalidRecord
from ld.inputs import expand_paths, read
from ld.iris import Iris
from ld.rdf import _parse, expand
from ld.records import Normalizer, Record

NORMALIZER = Normalizer(Iris("http://127.0.0.1:8000"))


def canonical(triples: list) -> set[ox.Quad]:
    dataset = ox.Dataset(ox.Quad(*t) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def records_in(*paths: Path | str) -> Iterator[Record]:
    for path in expand_paths([str(p) for p in paths]):
        for item in read(path):
            try:
                yield from NORMALIZER.normalize(item.record, hint=item.hint)
            except InvalidRecord:
                pass


def same_as_parser(record: Record) -> bool:
    """True when the plan covers the record (and its graph is the parser's); False when Unplanned."""
    try:
        got = expansion.triples(record)
    except expansion.Unplanned:
        return False
    expected = _parse(record.document)
    assert canonical(got) == canonical(expected), record.iri
    assert len(got) == len(expected), record.iri  # the same repeated triples too
    return True


def test_every_real_record_is_expanded_as_the_parser_does() -> None:
    records = list(records_in(REAL))
    assert len(records) > 300
    assert all(same_as_parser(r) for r in records)  # and none needed the parser


def test_every_generated_record_is_expanded_as_the_parser_does(generated_dir: Path) -> None:
    records = list(records_in(generated_dir))
    assert len({r.resource.name for r in records}) >= 7
    assert all(same_as_parser(r) for r in records)


EVENT = json.loads((REAL / "event.json").read_text(encoding="utf-8"))["data"][0]


def event_with(**changes: Any) -> Record:
    raw = copy.deepcopy(EVENT)
    raw.update(changes)
    return list(NORMALIZER.normalize(raw, hint="event"))[-1]


# Shapes the plan must leave to the parser (floats outside @json, JSON whose canonical form is more
# than sorted keys, strings where a language map belongs, unknown keys in nested objects...), and
# shapes close to them that it covers. Either way the result is the parser's.
@pytest.mark.parametrize("changes, planned", [
    ({"audience_min_age": 7}, True),
    ({"audience_min_age": 7.5}, False),
    ({"audience_min_age": 2.0}, False),
    ({"audience_min_age": 10**20}, False),
    ({"audience_min_age": "seven"}, True),
    ({"audience_min_age": True}, True),
    ({"custom_data": {"b": 1, "a": ["x", None, True, 2.5]}}, True),
    ({"custom_data": {"a": 1e-7}}, False),
    ({"custom_data": {"a": 3.0}}, False),
    ({"custom_data": {"a": "line\nbreak"}}, False),
    ({"custom_data": {"\U0001f600": 1, "\uffff": 2}}, False),
    ({"custom_data": "just text"}, True),
    ({"name": {"fi": "Nimi", "zh_hans": "名字", "sv": None}}, True),
    ({"name": {"FI": "Nimi"}}, False),
    ({"name": {"fi": ["a", "b"]}}, False),
    ({"name": "Nimi"}, False),
    ({"offers": [{"is_free": True, "price": None}, {"is_free": False, "price": {"fi": "5 €"}}]}, True),
    ({"offers": [{"is_free": True, "unknown": "x"}]}, False),
    ({"offers": ["free"]}, False),
    ({"event_status": "EventCancelled"}, True),
    ({"event_status": "Nonsense"}, False),
    ({"start_time": "2020-08-22", "end_time": "2020-08-23T10:00:00Z"}, True),
    ({"start_time": 20200822}, False),
    ({"type_id": "a\ud800b"}, False),
    ({"unknown_key": {"nested": [1, 2.5]}}, True),
    ({"external_links": [{"name": "x", "link": "https://example.org/", "language": "fi"}]}, True),
])
def test_edge_cases_are_the_parsers_or_unplanned(changes: dict, planned: bool) -> None:
    record = event_with(**changes)
    try:
        assert same_as_parser(record) is planned
    except ValueError:  # the parser refuses it (a lone surrogate): so must the loader
        assert not planned
        with pytest.raises(ValueError):
            expand(record)


def test_a_place_position_is_a_point_with_canonical_coordinates() -> None:
    place = json.loads((REAL / "place.json").read_text(encoding="utf-8"))["data"][0]
    for position, planned in (({"type": "Point", "coordinates": [24.9, 60.17]}, True),
                              ({"type": "Point", "coordinates": [25, 60.0]}, False),
                              ({"type": "Polygon", "coordinates": [24.9, 60.17]}, False)):
        record = list(NORMALIZER.normalize(dict(place, position=position), hint="place"))[-1]
        assert same_as_parser(record) is planned


def test_blank_nodes_are_unique_to_the_process() -> None:
    """Forked workers must not label blank nodes alike: their output may share one bulk load."""
    import os

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write_end, str(expansion.fresh_blank_node()).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read_end, 200).decode() != str(expansion.fresh_blank_node())
