"""A response cache keyed on the store's write generation: any write invalidates every entry.

Entries also expire after ``ttl`` seconds, because answers that depend on the clock (``start=now``,
``has_upcoming_events``) change without a write. Only anonymous GET/HEAD answers with status 200
are kept; a request carrying an API key always goes to the store.

One computation per key at a time: a request that misses while another request is computing the
same answer waits for that answer instead of computing it again. Without this, an expensive list
(seconds) whose entry expired was computed by every client that asked for it meanwhile, each
slowing the others down: that stampede was why a warm benchmark run fell from 889 to 237 req/s.

A request with ``Cache-Control: no-cache`` (or ``Pragma: no-cache``) is answered from the store,
and its answer replaces the cached one (RFC 9111 5.2.1.4: a stored answer may not be used without
going to the origin).
"""
from __future__ import annotations

import time
from collections import OrderedDict
from threading import Event, Lock
from typing import Callable

import falcon

WAIT_LIMIT = 120.0  # seconds a request waits for the same answer being computed (gunicorn's timeout)


class ResponseCache:
    def __init__(self, generation: Callable[[], int], *, size: int = 2048, ttl: float = 60.0) -> None:
        self.generation = generation
        self.size = size
        self.ttl = ttl
        self._entries: OrderedDict[tuple, tuple[float, str, dict[str, str], bytes]] = OrderedDict()
        self._computing: dict[tuple, Event] = {}
        self._lock = Lock()

    def _key(self, env: dict) -> tuple | None:
        # Read from the WSGI environ: falcon's header accessors cost more than the rest of a hit.
        if env["REQUEST_METHOD"] not in ("GET", "HEAD") or env.get("HTTP_APIKEY"):
            return None
        return (self.generation(), env.get("PATH_INFO"), env.get("QUERY_STRING", ""), env.get("HTTP_ACCEPT", ""),
                env.get("HTTP_IF_NONE_MATCH"), env.get("HTTP_IF_MODIFIED_SINCE"))

    def _fresh(self, key: tuple) -> tuple | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry[0] > self.ttl:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        env = req.env
        key = self._key(env)
        req.context.cache_slot = None
        if key is None:
            return
        refresh = "no-cache" in env.get("HTTP_CACHE_CONTROL", "") or "no-cache" in env.get("HTTP_PRAGMA", "")
        entry = None if refresh else self._fresh(key)
        while entry is None:
            with self._lock:
                computing = self._computing.get(key)
                if computing is None:  # ours to compute; process_response stores it and wakes the waiters
                    req.context.cache_slot = (key, self._computing.setdefault(key, Event()))
                    return
            if refresh:
                return  # answered from the store, not stored: the other computation will be
            if not computing.wait(WAIT_LIMIT):
                with self._lock:  # that computation never ended (a lost request): take it over
                    if self._computing.get(key) is computing:
                        del self._computing[key]
                continue
            entry = self._fresh(key)  # None if that computation failed: then compute it here
        _, status, headers, body = entry
        resp.status = status
        for name, value in headers.items():
            resp.set_header(name, value)
        resp.data = body
        resp.complete = True  # skip routing and the resource: the answer is known

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool) -> None:
        computing = getattr(req.context, "cache_slot", None)
        if computing is None:
            return
        key, done = computing
        keep = ok and resp.status in (falcon.HTTP_200, 200) and resp.data is not None
        headers = {name: value for name, value in resp.headers.items() if name.lower() != "set-cookie"} if keep else {}
        with self._lock:
            if keep:
                self._entries[key] = (time.monotonic(), resp.status, headers, resp.data)
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            if self._computing.get(key) is done:
                del self._computing[key]
        done.set()
