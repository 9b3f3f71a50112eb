"""A response cache keyed on the store's write generation: any write invalidates every entry.

Entries also expire after ``ttl`` seconds, because answers that depend on the clock (``start=now``,
``has_upcoming_events``) change without a write. Only anonymous GET/HEAD answers with status 200
are kept; a request carrying an API key always goes to the store.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from threading import Lock
from typing import Callable

import falcon


class ResponseCache:
    def __init__(self, generation: Callable[[], int], *, size: int = 2048, ttl: float = 60.0) -> None:
        self.generation = generation
        self.size = size
        self.ttl = ttl
        self._entries: OrderedDict[tuple, tuple[float, str, dict[str, str], bytes]] = OrderedDict()
        self._lock = Lock()

    def _key(self, req: falcon.Request) -> tuple | None:
        if req.method not in ("GET", "HEAD") or req.get_header("apikey"):
            return None
        accept = req.get_header("Accept") or ""
        conditional = (req.get_header("If-None-Match"), req.get_header("If-Modified-Since"))
        return (self.generation(), req.path, req.query_string, accept, conditional)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        key = self._key(req)
        req.context.cache_key = key
        if key is None:
            return
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return
        _, status, headers, body = entry
        resp.status = status
        for name, value in headers.items():
            resp.set_header(name, value)
        resp.data = body
        req.context.cache_key = None  # nothing to store on the way out
        resp.complete = True  # skip routing and the resource: the answer is known

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool) -> None:
        key = getattr(req.context, "cache_key", None)
        if key is None or not ok or resp.status not in (falcon.HTTP_200, 200) or resp.data is None:
            return
        headers = {name: value for name, value in resp.headers.items() if name.lower() != "set-cookie"}
        with self._lock:
            self._entries[key] = (time.monotonic(), resp.status, headers, resp.data)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
