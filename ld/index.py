"""Keeping the store's helper triples in step with this version of the code.

Helper (``lei:``) triples are derived from the data when records are loaded. When a new
version derives more of them, a store written by an older one is brought up to date from its
own data on open: each step is one SPARQL update, recorded in the store's meta graph.
"""
from __future__ import annotations

from ld.store import OxigraphStore
from ld.vocab import LEI


def _listing_keys(graph: str | None) -> str:
    """The update adding the listing keys events lack, in the default graph (None: the public
    data) or in the named graphs ``graph`` ranges over."""

    def within(pattern: str) -> str:
        return pattern if graph is None else f"GRAPH {graph} {{ {pattern} }}"

    return f"""
INSERT {{ {within("?e lei:listing ?key")} }}
WHERE {{
  {within("?e le:typeId ?type")}
  FILTER NOT EXISTS {{ {within("?e lei:listing ?any")} }}
  OPTIONAL {{ {within("?e le:deleted ?deleted")} }}
  BIND(IF(COALESCE(?deleted, false), CONCAT(STR(?type), " deleted"), STR(?type)) AS ?key)
}}"""


# Each step: (version it brings the store to, SPARQL update deriving the missing triples).
STEPS: tuple[tuple[int, str], ...] = (
    (1, _listing_keys(None) + ";\n" + _listing_keys("?g")),
)
VERSION = STEPS[-1][0]


def upgrade(store: OxigraphStore) -> list[int]:
    """Run the steps this store has not had yet; returns the versions applied."""
    current = int(store.meta(LEI.indexVersion) or 0)
    applied = []
    for version, update in STEPS:
        if version > current:
            store.update(update)
            applied.append(version)
    if applied or store.meta(LEI.indexVersion) is None:
        store.set_meta(LEI.indexVersion, str(VERSION))
    return applied
