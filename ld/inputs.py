"""Reading Linked Events records from files: list pages, arrays, single records, JSON Lines.

Everything streams (ijson for JSON, line by line for JSON Lines), so memory stays flat however
large the input. Each record comes with a resource-type hint taken from its file name
(``event.jsonl`` -> ``event``) for records that carry no ``@type``.
"""
from __future__ import annotations

import glob
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import ijson

from ld.errors import InvalidRecord, LdError
from ld.model import RESOURCES

JSON_SUFFIXES = (".json", ".jsonld")
LINES_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class Item:
    """One input record, or the InvalidRecord that stands for input that could not be parsed
    (so a bad line is reported and the lines around it still load), or, from
    ``read(path, parse=False)``, a JSON Lines line still to be parsed (bytes)."""

    record: Any
    hint: str | None
    source: str  # "file:line" or "file#index", for error reports

    def parsed(self) -> Item:
        """The item with its line parsed: parsing is a good part of loading's work, and the loader
        does it in its worker processes."""
        if not isinstance(self.record, bytes):
            return self
        return Item(_parse_line(self.record, self.source), self.hint, self.source)


def expand_paths(paths: list[str]) -> list[Path]:
    """Files named directly, found in directories (recursively, in ``LOAD_ORDER``) or matched by
    glob patterns."""
    found: list[Path] = []
    for name in paths:
        matches = sorted(glob.glob(name)) if any(c in name for c in "*?[") else [name]
        if not matches:
            raise LdError(f"{name}: no such file")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                # a generated data set's manifest.json describes the files beside it; it holds no records
                found.extend(sorted((p for p in path.rglob("*")
                                     if p.suffix in JSON_SUFFIXES + LINES_SUFFIXES and p.name != "manifest.json"),
                                    key=_load_order))
            elif path.exists():
                found.append(path)
            else:
                raise LdError(f"{name}: no such file")
    return found


# The order of a directory's files: records that others refer to come first. Data sources lead, so
# that whether one is private is known before its records come (it decides their graph). Then what
# events name or embed: an event's copy of an image is checked against the image's own record and
# skipped, instead of being written and later replaced. Other files (registrations...) come last.
LOAD_ORDER = ("data_source", "organization", "language", "keyword", "keyword_set", "place", "image", "event")


def _load_order(path: Path) -> tuple[int, Path]:
    hint = hint_for(path)
    return (LOAD_ORDER.index(hint) if hint in LOAD_ORDER else len(LOAD_ORDER), path)


def hint_for(path: Path) -> str | None:
    stem = path.name.split(".")[0]
    return stem if stem in RESOURCES else None


def read(path: Path, *, parse: bool = True) -> Iterator[Item]:
    """The items of one file; ``parse=False`` leaves JSON Lines lines unparsed (see Item.parsed)."""
    hint = hint_for(path)
    if path.suffix in LINES_SUFFIXES:
        with path.open("rb") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    item = Item(line, hint, f"{path}:{number}")
                    yield item.parsed() if parse else item
        return
    yield from _read_json(path, hint)


def _parse_line(line: bytes, source: str) -> Any:
    try:
        return json.loads(line)
    except ValueError as exc:
        return InvalidRecord(None, None, f"{source}: not valid JSON ({exc})")


def _read_json(path: Path, hint: str | None) -> Iterator[Item]:
    """A list page ({"meta", "data": [...]}), a bare array, or one record."""
    with path.open("rb") as f:
        first = _first_char(f)
    try:
        with path.open("rb") as f:
            if first == b"[":
                for i, record in enumerate(ijson.items(f, "item", use_float=True)):
                    yield Item(record, hint, f"{path}#{i}")
                return
            if first != b"{":
                yield Item(InvalidRecord(None, None, f"{path}: expected a JSON object or array"), hint, str(path))
                return
            if _is_list_page(path):
                for i, record in enumerate(ijson.items(f, "data.item", use_float=True)):
                    yield Item(record, hint, f"{path}#{i}")
                return
            yield Item(json.load(f), hint, str(path))
    except ijson.JSONError as exc:
        yield Item(InvalidRecord(None, None, f"{path}: not valid JSON ({exc})"), hint, str(path))


def _first_char(f: Any) -> bytes:
    while True:
        c = f.read(1)
        if not c or not c.isspace():
            return c


def _is_list_page(path: Path) -> bool:
    """Whether the top-level object has a "data" array (streamed, stops at the first top-level key that tells)."""
    with path.open("rb") as f:
        for prefix, event, value in ijson.parse(f):
            if prefix == "data" and event == "start_array":
                return True
            if prefix == "" and event == "end_map":
                return False
    return False
