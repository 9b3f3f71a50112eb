"""Keeping the store's helper triples in step with this version of the code.

Helper (``lei:``) triples are derived from the data when records are loaded. When a new
version derives more of them, or keeps the data otherwise, a store written by an older one is
brought up to date from its own data on open: each step is a SPARQL update, recorded in the
store's meta graph once done.
"""
from __future__ import annotations

from typing import Callable

from ld.store import OxigraphStore
from ld.vocab import GRAPH, LEI

# Each step: (version it brings the store to, SPARQL update, and None or a test of the store:
# the update is run again while it holds, for steps done a part at a time).
STEPS: tuple[tuple[int, str, Callable[[OxigraphStore], bool] | None], ...] = (
    (1, """
INSERT { GRAPH ?g { ?e lei:listing ?key } }
WHERE {
  GRAPH ?g { ?e le:typeId ?type }
  FILTER NOT EXISTS { GRAPH ?g { ?e lei:listing ?any } }
  OPTIONAL { GRAPH ?g { ?e le:deleted ?deleted } }
  BIND(IF(COALESCE(?deleted, false), CONCAT(STR(?type), " deleted"), STR(?type)) AS ?key)
}""", None),
    # The public data moves from a named graph to the default graph (see ld.store), some
    # thousands of subjects a transaction: one transaction for a whole store would hold every
    # quad of it in memory. An interrupted move goes on at the next open.
    (2, f"""
DELETE {{ GRAPH {GRAPH.public} {{ ?s ?p ?o }} }}
INSERT {{ ?s ?p ?o }}
WHERE {{
  {{ SELECT DISTINCT ?s WHERE {{ GRAPH {GRAPH.public} {{ ?s ?p0 ?o0 }} }} LIMIT 20000 }}
  GRAPH {GRAPH.public} {{ ?s ?p ?o }}
}}""", lambda store: store.holds(GRAPH.public)),
)
VERSION = STEPS[-1][0]


def upgrade(store: OxigraphStore) -> list[int]:
    """Run the steps this store has not had yet; returns the versions applied."""
    current = int(store.meta(LEI.indexVersion) or 0)
    applied = []
    for version, update, repeat_while in STEPS:
        if version > current:
            store.update(update)
            while repeat_while is not None and repeat_while(store):
                store.update(update)
            store.set_meta(LEI.indexVersion, str(version))
            applied.append(version)
    return applied
