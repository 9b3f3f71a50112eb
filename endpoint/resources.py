"""Falcon resources: parse the request, call ``ld``, render. Nothing else lives here."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Callable
from urllib.parse import urlencode

import falcon
import orjson
import pyoxigraph as ox

from endpoint import html
from endpoint.negotiate import choose
from ld.context import CONTEXT_FILE, CONTEXT_PATH
from ld.filters.build import build
from ld.formats import HTML, JSON, JSONLD, Format
from ld.geo import check_srid
from ld.identity import Identity
from ld.iris import Iris
from ld.model import PUBLIC_ENDPOINTS, Resource
from ld.rdf import document_triples
from ld.read import Reader
from ld.times import parse_instant
from ld.vocab import PREFIXES

ALLOW = "GET, HEAD, OPTIONS"


class Mount:
    """One API mount: /linkedevents/v1/ (events default to General) or /linkedcourses/v1/ (Course).

    Entity IRIs stay canonical (under /linkedevents/v1/) on both mounts: one IRI per entity."""

    def __init__(self, iris: Iris, path: str, event_type: str) -> None:
        self.iris = iris
        self.path = path
        self.event_type = event_type
        self.context_url = iris.base + CONTEXT_PATH


def _json(document: Any) -> bytes:
    """UTF-8 JSON, compact as the original's. orjson is several times faster than the standard
    encoder on list pages (9 ms -> 2.5 ms for 100 events with their places and keywords); it
    refuses integers beyond 64 bits, which custom data may hold."""
    try:
        return orjson.dumps(document)
    except TypeError:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def send(req: falcon.Request, resp: falcon.Response, document: Any, fmt: Format, *, title: str,
         context_url: str, links: dict[str, str] | None = None) -> None:
    """Write one document in the chosen format."""
    resp.vary = ("Accept",)
    resp.set_header("Allow", ALLOW)
    if fmt not in (JSON, HTML) and "data" in document and "meta" in document:
        document = {"@context": context_url, **document}  # the list's items become the graph's nodes
    if fmt in (JSON, JSONLD):
        body = _json(document)
    elif fmt is HTML:
        body = html.page(title, document, url=req.url, links=links).encode()
    else:
        triples = document_triples(document, context_url)
        body = ox.serialize(triples, format=fmt.rdf, prefixes=PREFIXES) or b""
    # Clients guess Latin-1 for text/* without a charset; our bodies are always UTF-8.
    resp.content_type = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") or fmt.name == "nt" else "")
    resp.data = body


class ApiRoot:
    def __init__(self, mount: Mount) -> None:
        self.mount = mount

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        base = self.mount.iris.base + self.mount.path
        document = {name: f"{base}{name}/" for name in PUBLIC_ENDPOINTS}
        send(req, resp, document, choose(req, (JSON, HTML)), title="Linked Events API",
             context_url=self.mount.context_url)

    on_head = on_get


class Collection:
    """List (``on_get``) and detail (``on_get_detail``) of one resource type on one mount."""

    def __init__(self, reader: Reader, resource: Resource, mount: Mount, clock: Callable[[], datetime]) -> None:
        self.reader = reader
        self.resource = resource
        self.mount = mount
        self.clock = clock

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        fmt = choose(req)
        params = _params(req)
        query = build(self.resource, params, iris=self.mount.iris, identity=req.context.identity,
                      now=self.clock(), mount_type=self.mount.event_type, store=self.reader.store)
        if query.explain:
            resp.content_type = "application/sparql-query"
            resp.text = query.select()
            resp.set_header("Allow", ALLOW)
            return
        page = self.reader.page(query, identity=req.context.identity, now=self.clock())
        items = page.items
        document = {"meta": {"count": page.count, **self._paging(req, params, query.page, query.page_size, page.count)},
                    "data": items}
        explain = self._link(req, params, explain="sparql")
        send(req, resp, document, fmt, title=f"{self.resource.name} list", context_url=self.mount.context_url,
             links={"API root": self.mount.iris.base + self.mount.path, "SPARQL of this list": explain})

    def on_get_detail(self, req: falcon.Request, resp: falcon.Response, entity_id: str) -> None:
        fmt = choose(req)
        params = _params(req)
        srid = check_srid(params["srid"]) if "srid" in params else None
        include = [i for i in params.get("include", "").split(",") if i]
        if self.resource.int_id and not entity_id.isdigit():
            raise falcon.HTTPNotFound(description=f"{self.resource.name.capitalize()} does not exist")
        document = self.reader.detail(self.resource, entity_id, identity=req.context.identity,
                                      include=include, srid=srid, now=self.clock())
        send(req, resp, document, fmt, title=html.title_of(document, entity_id), context_url=self.mount.context_url,
             links={"List": self.mount.iris.base + self.mount.path + self.resource.name + "/"})
        resp.etag = '"' + hashlib.sha256(resp.data).hexdigest()[:32] + '"'
        modified = _modified(document)
        if modified is not None:
            resp.last_modified = modified
        if _not_modified(req, resp.etag, modified):
            resp.status = falcon.HTTP_304
            resp.data = None
            resp.content_type = None

    on_head = on_get
    on_head_detail = on_get_detail

    # -- helpers --------------------------------------------------------------------------
    def _link(self, req: falcon.Request, params: dict[str, str], **changes: Any) -> str:
        merged = {**params, **{k: str(v) for k, v in changes.items()}}
        return f"{self.mount.iris.base}{self.mount.path}{self.resource.name}/?{urlencode(merged)}"

    def _paging(self, req: falcon.Request, params: dict[str, str], page: int, size: int, count: int) -> dict[str, Any]:
        last = max(1, -(-count // size))
        nxt = self._link(req, params, page=page + 1) if page < last else None
        prev = None
        if page > 1:
            prev_params = {k: v for k, v in params.items() if k != "page"}
            prev = self._link(req, prev_params, page=page - 1) if page > 2 else self._link(req, prev_params)
        return {"next": nxt, "previous": prev}


class Home:
    """The server root sends people to the API, as the original's ``/`` does."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise falcon.HTTPFound("/linkedevents/v1/")

    on_head = on_get


class ContextDocument:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "application/ld+json"
        resp.data = CONTEXT_FILE.read_bytes()
        resp.cache_control = ("public", "max-age=86400")

    on_head = on_get


def redirect_to_slash(req: falcon.Request, resp: falcon.Response) -> None:
    """The original answers a URL without its trailing slash with 301 to the slashed one."""
    target = req.path + "/" + (f"?{req.query_string}" if req.query_string else "")
    raise falcon.HTTPMovedPermanently(target)


def _params(req: falcon.Request) -> dict[str, str]:
    """Query parameters as single strings; a repeated parameter keeps its last value."""
    params: dict[str, str] = {}
    for name, value in req.params.items():
        params[name] = value[-1] if isinstance(value, list) else value
    params.pop("format", None)
    return params


def _modified(document: Any) -> datetime | None:
    value = document.get("last_modified_time") if isinstance(document, dict) else None
    if not value:
        return None
    try:
        return parse_instant(value).replace(microsecond=0)
    except ValueError:
        return None


def _not_modified(req: falcon.Request, etag: str, modified: datetime | None) -> bool:
    if req.if_none_match is not None:
        return any(tag == "*" or tag == etag.strip('"') or f'"{tag}"' == etag for tag in req.if_none_match)
    since = req.if_modified_since
    return modified is not None and since is not None and modified <= since.replace(tzinfo=modified.tzinfo)


def identify(keys: Callable[[str | None], Identity | None]) -> Callable[..., None]:
    """Middleware factory: put the caller's identity on ``req.context``; 401 for an unknown key."""

    class Authenticate:
        def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
            key = req.get_header("apikey")
            identity = keys(key)
            if identity is None:
                raise falcon.HTTPUnauthorized(
                    title="Unknown API key",
                    description="Provided API key does not match any organization on record.",
                )
            req.context.identity = identity

    return Authenticate()

