"""Parse every parameter of a list request against the catalog, then join the SPARQL fragments.

All bad parameters are reported at once (one ``InvalidParameter`` listing each problem). Values
reach SPARQL only as terms built by pyoxigraph (which validates them) inside ``VALUES`` blocks
or as N-Triples literals; never as pasted request text.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import reduce
from datetime import datetime
from string import Template
from typing import Any, Callable, Iterable, Mapping

from ld.errors import InvalidParameter
from ld.identity import ANONYMOUS, Identity
from ld.iris import Iris
from ld.model import Resource
from ld.store import ADMIN, PUBLIC, Dataset, Store, term
from ld.vocab import PREFIXES, sparql_prologue

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
IMAGE_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Order:
    """One ORDER BY key: the variable, the pattern that binds it (inside OPTIONAL) and direction."""

    var: str
    pattern: str
    descending: bool = False
    nulls_last: bool = False  # put unbound values last in both directions


@dataclass(frozen=True)
class Clause:
    """What one parameter contributes to the query."""

    pattern: str = ""
    cancels: frozenset[str] = frozenset()   # default clauses this parameter replaces
    admin: bool = False                     # needs the restricted graph (drafts, own events)
    order: tuple[Order, ...] = ()
    # The same condition over the side index (ld.sideindex): a row mask of the events it keeps.
    # None: the pattern has no twin there, and a query using it is answered with SPARQL alone.
    fast: Callable[[Any], Any] | None = None


def all_of(*clauses: Clause) -> Clause:
    """One clause requiring every one of ``clauses`` (fast when all of them are)."""
    fasts = [c.fast for c in clauses]
    return Clause(
        "\n  ".join(c.pattern for c in clauses if c.pattern),
        fast=None if None in fasts else lambda ix: _and(f(ix) for f in fasts),
    )


def _and(masks: Iterable[Any]) -> Any:
    return reduce(operator.and_, masks)


@dataclass(frozen=True)
class Context:
    """What a filter may consult besides its own value."""

    resource: Resource
    params: Mapping[str, str]
    identity: Identity
    now: datetime
    mount_type: str
    iris: Iris
    store: Store | None = None  # for filters that must know what exists (keyword sets, keyword names)


@dataclass
class ListQuery:
    resource: Resource
    patterns: list[str]
    order: list[Order]
    dataset: Dataset
    page: int
    page_size: int
    include: frozenset[str] = frozenset()
    srid: int | None = None
    explain: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    fast: tuple[Callable[[Any], Any], ...] | None = None  # every clause's side-index twin, if all have one

    @property
    def offset(self) -> int:
        """How many matches come before this page."""
        return (self.page - 1) * self.page_size

    def fast_mask(self, index: Any) -> Any:
        """The rows of ``index`` (an ld.sideindex.EventIndex) this query keeps."""
        return _and([index.everything(), *(f(index) for f in self.fast)])

    def where(self) -> str:
        # Event lists start from their listing key (an event-only predicate): joining the large
        # `?e a schema:Event` set on top only slows Oxigraph down.
        root = "" if self.resource.name == "event" else f"?e a {term(self.resource.rdf_class)} ."
        body = "\n  ".join(p for p in (root, *self.patterns) if p)
        return f"{{\n  {body}\n}}"

    def select(self) -> str:
        """The page of entity IRIs, in order; runnable as-is on the public SPARQL endpoint."""
        # A pattern that is already optional (a registration's value, else the event's own) is
        # placed as is: nested inside another OPTIONAL it would be evaluated without ?e bound.
        optionals = "".join(
            f"\n  {o.pattern}" if o.pattern.startswith("OPTIONAL") else f"\n  OPTIONAL {{ {o.pattern} }}"
            for o in self.order
        )
        keys = []
        for o in self.order:
            if o.nulls_last:
                keys.append(f"(!BOUND({o.var}))")
            keys.append(f"DESC({o.var})" if o.descending else f"ASC({o.var})")
        keys.append("?e")
        where = self.where()[:-1] + optionals + "\n}"
        return (
            f"{sparql_prologue(PREFIXES)}SELECT DISTINCT ?e WHERE {where}\n"
            f"ORDER BY {' '.join(keys)}\nLIMIT {self.page_size} OFFSET {self.offset}\n"
        )

    def matches(self) -> str:
        """Every matching entity, unordered (the reader orders event lists itself, see ld.sortkeys)."""
        return f"SELECT DISTINCT ?e WHERE {self.where()}"

    def count(self) -> str:
        return f"{sparql_prologue(PREFIXES)}SELECT (COUNT(DISTINCT ?e) AS ?count) WHERE {self.where()}\n"


def bind(template: str, **values: Any) -> str:
    """Fill ``$name`` slots of a SPARQL template with terms; a list becomes a space-separated run.

    >>> import pyoxigraph as ox
    >>> bind("VALUES ?x { $ids }", ids=[ox.Literal("a"), ox.Literal("b")])
    'VALUES ?x { "a" "b" }'
    """
    filled = {
        k: " ".join(term(t) for t in v) if isinstance(v, (list, tuple)) else term(v) for k, v in values.items()
    }
    return Template(template).substitute(filled)


def build(
    resource: Resource,
    params: Mapping[str, str],
    *,
    iris: Iris,
    identity: Identity = ANONYMOUS,
    now: datetime,
    mount_type: str = "General",
    store: Store | None = None,
) -> ListQuery:
    """The list query for one request; raises InvalidParameter listing every bad parameter."""
    from ld.filters.catalog import DEFAULTS, FILTERS_BY_RESOURCE, PAGING

    ctx = Context(resource, params, identity, now, mount_type, iris, store)
    errors: list[InvalidParameter] = []
    clauses: list[Clause] = []
    for name, value in params.items():
        entry = FILTERS_BY_RESOURCE.get((resource.name, name)) or _pattern_entry(resource, name)
        if entry is None:
            continue  # unknown parameters are ignored, as the original does
        try:
            parsed = entry.parse(value)
            if "\x00" in value:
                raise ValueError("must not contain NUL (0x00) characters")
            clauses.append(entry.apply(parsed, ctx, name))
        except (ValueError, OverflowError) as exc:  # OverflowError: a number too large for dates
            errors.append(InvalidParameter(name, f"{_message(exc)}. Example: {entry.example}"))
        except InvalidParameter as exc:
            errors.append(exc)
    paging = {}
    for name, entry in PAGING.items():
        if name in params:
            try:
                paging[name] = entry.parse(params[name])
            except ValueError as exc:
                errors.append(InvalidParameter(name, f"{exc}. Example: {entry.example}"))
    if errors:
        raise InvalidParameter.combine(errors)
    cancelled = frozenset().union(*(c.cancels for c in clauses))
    defaults = [d(ctx) for name, d in DEFAULTS.get(resource.name, {}).items() if name not in cancelled]
    order = [o for c in clauses for o in c.order] or list(_default_order(resource))
    dataset = ADMIN if any(c.admin for c in clauses) else PUBLIC
    constraints = [c for c in (*defaults, *clauses) if c.pattern]
    max_size = IMAGE_PAGE_SIZE if resource.name == "image" else MAX_PAGE_SIZE
    default_size = IMAGE_PAGE_SIZE if resource.name == "image" else DEFAULT_PAGE_SIZE
    return ListQuery(
        resource=resource,
        patterns=[c.pattern for c in (*defaults, *clauses)],
        order=order,
        dataset=dataset,
        page=paging.get("page", 1),
        page_size=min(paging.get("page_size", default_size), max_size),
        include=frozenset(_csv(params.get("include", ""))),
        explain=params.get("explain") == "sparql",
        srid=paging.get("srid"),
        fast=tuple(c.fast for c in constraints)
        if resource.name == "event" and dataset == PUBLIC and all(c.fast for c in constraints) else None,
    )


def _message(exc: Exception) -> str:
    return str(exc) if isinstance(exc, ValueError) else "the value is out of range"


def _pattern_entry(resource: Resource, name: str):
    from ld.filters.catalog import PATTERN_FILTERS

    for prefix, entry in PATTERN_FILTERS:
        if entry.applies_to(resource.name) and name.startswith(prefix) and name[len(prefix):].isdigit():
            return entry
    return None


def _default_order(resource: Resource) -> Iterable[Order]:
    from ld.filters.catalog import DEFAULT_ORDER

    return DEFAULT_ORDER.get(resource.name, ())


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]
