"""Docs come from code: the README's filter reference is generated from the catalog, and every
example in the original API documentation resolves to catalog entries and parses."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import parse_qsl

import pytest

from ld.filters import docs
from ld.filters.build import build
from ld.filters.catalog import FILTERS_BY_RESOURCE, PAGING
from ld.iris import Iris
from ld.model import RESOURCES

from conftest import SHARED

SEED = (SHARED / "seeds" / "event-filters.txt").read_text(encoding="utf-8")
EXAMPLES = sorted(set(re.findall(r"^(event/\?\S+)$", SEED, re.M)))
NOW = datetime(2026, 12, 1, 10, tzinfo=timezone.utc)


def test_readme_filter_reference_is_generated_from_the_catalog() -> None:
    current = docs.README.read_text(encoding="utf-8")
    assert docs.render(current) == current, "run python -m ld.filters.docs"


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_seed_example_resolves_and_parses(example: str) -> None:
    params = dict(parse_qsl(example.split("?", 1)[1], keep_blank_values=True))
    for name in params:
        known = (("event", name) in FILTERS_BY_RESOURCE or name in PAGING or name == "include"
                 or re.fullmatch(r"(keyword|local_ongoing|internet_ongoing|all_ongoing)_OR_set\d+", name))
        assert known, f"{name} (from {example}) has no catalog entry"
    build(RESOURCES["event"], params, iris=Iris("http://127.0.0.1:8000"), now=NOW)
