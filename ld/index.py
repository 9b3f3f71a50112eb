"""Keeping the store's helper triples in step with this version of the code.

Helper (``lei:``) triples are derived from the data when records are loaded. When a new
version derives more of them, a store written by an older one is brought up to date from its
own data on open: each step is one SPARQL update, recorded in the store's meta graph.
"""
from __future__ import annotations

from ld.store import OxigraphStore
from ld.vocab import LEI

# Each step: (version it brings the store to, SPARQL update deriving the missing triples).
_LISTING_KEY = 'BIND(IF(COALESCE(?deleted, false), CONCAT(STR(?type), " deleted"), STR(?type)) AS ?key)'
STEPS: tuple[tuple[int, str], ...] = (
    # in the default graph (the public data) and in the named graphs
    (1, f"""
INSERT {{ ?e lei:listing ?key }}
WHERE {{
  ?e le:typeId ?type
  FILTER NOT EXISTS {{ ?e lei:listing ?any }}
  OPTIONAL {{ ?e le:deleted ?deleted }}
  {_LISTING_KEY}
}};
INSERT {{ GRAPH ?g {{ ?e lei:listing ?key }} }}
WHERE {{
  GRAPH ?g {{ ?e le:typeId ?type }}
  FILTER NOT EXISTS {{ GRAPH ?g {{ ?e lei:listing ?any }} }}
  OPTIONAL {{ GRAPH ?g {{ ?e le:deleted ?deleted }} }}
  {_LISTING_KEY}
}}"""),
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
