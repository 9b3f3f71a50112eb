"""What readers derive from one write generation of the store, kept until the next write.

A page of events with ``include=location,keywords`` names a few hundred places and keywords,
mostly the same from page to page: fetching their triples again costs more than the events
themselves (~10,000 rows at ~6 µs each at 200k events), and rendering them again half as much.
The reader therefore keeps, per generation, the fetched nodes of such shared records and their
rendered JSON (see ``ld.read`` and ``ld.render``).

Correct by construction like the response cache: a write bumps the generation, and the next
reader gets a new, empty :class:`Bucket`. Only what depends on the data alone is kept (public
graph, anonymous views); the least recently used entries go past ``size``.
"""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any, Callable, Hashable, Iterable


class Bucket:
    """Entries derived from one generation. Values are shared by every reader that gets them:
    nobody may change them."""

    def __init__(self, generation: int, size: int) -> None:
        self.generation = generation
        self._size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()  # least recently used first
        self._lock = Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def get_many(self, keys: Iterable[Hashable]) -> dict[Hashable, Any]:
        with self._lock:
            found = {}
            for key in keys:
                value = self._entries.get(key)
                if value is not None:
                    self._entries.move_to_end(key)
                    found[key] = value
            return found

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)


class Memo:
    def __init__(self, generation: Callable[[], int], size: int) -> None:
        self._generation = generation
        self._size = size
        self._bucket = Bucket(-1, size)
        self._lock = Lock()

    def current(self) -> Bucket:
        """The bucket of the store's current generation."""
        generation = self._generation()
        with self._lock:
            if self._bucket.generation != generation:
                self._bucket = Bucket(generation, self._size)
            return self._bucket
