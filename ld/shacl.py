"""SHACL validation of records on their way in (placeholder until shapes land)."""
from __future__ import annotations

import pyoxigraph as ox

from ld.records import Record


def check(record: Record, triples: list[ox.Triple]) -> None:
    """Raise ``InvalidRecord`` naming the failing field when the record violates its shape."""
