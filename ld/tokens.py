"""A token index of text values: which rows have a value containing a substring, or a word
matching a regular expression, without scanning every value.

Values are lower-cased (as SPARQL's ``LCASE``) and split at whitespace. A needle without
whitespace can only occur inside one token, so "some value of the row contains the needle"
is exactly "some token of the row contains it", and the distinct tokens (a few thousand even
for hundreds of thousands of descriptions) are searched instead of the values. The same holds
for a regular expression that cannot match whitespace.
"""
from __future__ import annotations

import re
from itertools import chain
from typing import Iterable, Sequence

import numpy as np

_SEPARATOR = "\n"  # whitespace: never inside a token, and a word boundary for ``\\b``


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: like ``np.unique``, which numpy 2.4 does by hashing, 20 times
    slower on the arrays here.

    >>> distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


class TokenIndex:
    """Rows by the tokens of their values.

    >>> index = TokenIndex.build([(0, "Joulukonsertti kirkossa"), (1, "Jazz-konsertti"), (2, "Kuoro")], rows=3)
    >>> index.containing("konsertti").tolist(), index.containing("KIRKOSSA").tolist()
    ([0, 1], [0])
    >>> index.matching(re.compile(r"\\bjazz\\b")).tolist()
    [1]
    """

    def __init__(self, tokens: list[str], offsets: np.ndarray, rows: np.ndarray) -> None:
        self.tokens = tokens
        self._offsets = offsets  # postings of token i: rows[offsets[i]:offsets[i + 1]]
        self._rows = rows
        self._joined = _SEPARATOR.join(tokens)
        self._starts = np.cumsum([0] + [len(t) + 1 for t in tokens[:-1]]) if tokens else np.zeros(0, np.int64)

    @classmethod
    def build(cls, values: Iterable[tuple[int, str]], rows: int) -> TokenIndex:
        """From (row, value) pairs; ``rows`` is the number of rows."""
        builder = TokenIndexBuilder(rows)
        found_rows: list[int] = []
        found_values: list[str] = []
        for row, value in values:
            found_rows.append(row)
            found_values.append(value)
            if len(found_values) == builder.CHUNK:
                builder.add(found_rows, found_values)
                found_rows, found_values = [], []
        builder.add(found_rows, found_values)
        return builder.build()

    @staticmethod
    def searchable(needle: str) -> bool:
        """Whether a needle can be answered here: it must not span tokens."""
        return bool(needle) and not any(c.isspace() for c in needle)

    def containing(self, needle: str) -> np.ndarray:
        """Rows with a value containing ``needle`` (lower-cased here; must be searchable)."""
        needle = needle.lower()
        positions = []
        at = self._joined.find(needle)
        while at >= 0:
            positions.append(at)
            at = self._joined.find(needle, at + 1)
        return self._rows_of(positions)

    def matching(self, regex: re.Pattern[str]) -> np.ndarray:
        """Rows with a (lower-cased) value in which ``regex`` matches; it must not match whitespace."""
        return self._rows_of([m.start() for m in regex.finditer(self._joined)])

    def _rows_of(self, positions: list[int]) -> np.ndarray:
        if not positions:
            return np.zeros(0, np.int32)
        token_ids = distinct(np.searchsorted(self._starts, positions, side="right") - 1)
        return distinct(np.concatenate([self._rows[self._offsets[t]:self._offsets[t + 1]] for t in token_ids]))


class TokenIndexBuilder:
    """A :class:`TokenIndex` made from chunks of (row, value) pairs, so that the values of a
    whole extraction (a gigabyte of descriptions at a million events) are never held at once:
    each chunk is reduced to its (token, row) pairs when it is added, kept in buckets by token
    (``token % BUCKETS``) as keys ``token // BUCKETS * (rows + 1) + row``: four bytes each while
    they fit, which they do up to 256 times as many tokens as rows allow. Each bucket is sorted
    and made distinct on its own at the end: the keys of all chunks are never copied at once."""

    CHUNK = 1 << 14
    BUCKETS = 256

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self._ids: dict[str, int] = {}  # token -> its number
        self._buckets: list[list[np.ndarray]] = [[] for _ in range(self.BUCKETS)]

    def add(self, rows: Sequence[int], values: Sequence[str]) -> None:
        """Rows and their values, the i-th value of the row ``rows[i]``."""
        if not len(values):
            return
        numbers: dict[str, int] = {}  # distinct value -> its number in this chunk
        value_of_row = np.fromiter(map(numbers.setdefault, values, range(len(values))), np.int64, len(values))
        # setdefault numbered each new value by its first position: renumber them 0, 1, 2...
        firsts = np.fromiter(numbers.values(), np.int64, len(numbers))
        renumber = np.zeros(len(values), np.int64)
        renumber[firsts] = np.arange(len(firsts))
        value_of_row = renumber[value_of_row]
        # Each distinct value is split once, however many rows have it.
        split = [set(value.lower().split()) for value in numbers]
        tokens_per_value = np.fromiter(map(len, split), np.int64, len(split))
        flat = list(chain.from_iterable(split))
        ids = self._ids
        for token in set(flat).difference(ids):
            ids[token] = len(ids)
        token_ids = np.fromiter(map(ids.__getitem__, flat), np.int64, len(flat))
        # Every (token, row): each token of a value paired with each row having that value.
        order = np.argsort(value_of_row, kind="stable")
        rows_by_value = np.asarray(rows, dtype=np.int64)[order]
        row_counts = np.bincount(value_of_row, minlength=len(split))
        row_starts = np.concatenate(([0], np.cumsum(row_counts)[:-1]))
        value_of_token = np.repeat(np.arange(len(split)), tokens_per_value)
        counts = row_counts[value_of_token]
        firsts = np.repeat(row_starts[value_of_token] - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        paired_rows = rows_by_value[firsts + np.arange(counts.sum())]
        paired_tokens = np.repeat(token_ids, counts)
        bucket = (paired_tokens % self.BUCKETS).astype(np.uint8)
        keys = paired_tokens // self.BUCKETS * (self.rows + 1) + paired_rows  # made distinct in ``build``
        if len(keys) and keys.max() <= np.iinfo(np.uint32).max:
            keys = keys.astype(np.uint32)
        order = np.argsort(bucket, kind="stable")  # a radix sort, for bytes
        bounds = np.searchsorted(bucket[order], np.arange(self.BUCKETS + 1))
        keys = keys[order]
        for b in np.flatnonzero(bounds[1:] > bounds[:-1]):
            self._buckets[b].append(keys[bounds[b]:bounds[b + 1]].copy())  # freed bucket by bucket in ``build``

    def build(self) -> TokenIndex:
        """The index; the tokens numbered bucket by bucket, so that the rows of each bucket,
        sorted by (token, row), follow those of the bucket before."""
        numbered = len(self._ids)
        tokens: list[str] = []
        by_number = list(self._ids)
        counts: list[np.ndarray] = []
        found: list[np.ndarray] = []
        for b in range(self.BUCKETS):
            parts, self._buckets[b] = self._buckets[b], []
            keys = np.concatenate(parts) if parts else np.zeros(0, np.int64)  # the wider dtype if mixed
            del parts
            keys.sort()
            if len(keys):
                keep = np.empty(len(keys), bool)
                keep[0] = True
                np.not_equal(keys[1:], keys[:-1], out=keep[1:])
                keys = keys[keep]
                del keep
            numbers = range(b, numbered, self.BUCKETS)
            tokens += [by_number[t] for t in numbers]
            counts.append(np.bincount((keys // (self.rows + 1)).astype(np.int64), minlength=len(numbers)))
            found.append((keys % (self.rows + 1)).astype(np.int32))
            del keys
        offsets = np.concatenate(([0], np.cumsum(np.concatenate(counts)))).astype(np.int64)
        rows = np.concatenate(found) if found else np.zeros(0, np.int32)
        return TokenIndex(tokens, offsets, rows)
