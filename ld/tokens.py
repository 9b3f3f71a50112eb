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
from typing import Iterable

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
        numbers: dict[str, int] = {}  # distinct value -> its number
        value_of_row: list[int] = []
        row_of: list[int] = []
        for row, value in values:
            value_of_row.append(numbers.setdefault(value, len(numbers)))
            row_of.append(row)
        ids: dict[str, int] = {}
        token_ids: list[int] = []
        tokens_per_value: list[int] = []
        for value in numbers:  # each distinct value is split once, however many rows have it
            found = [ids.setdefault(token, len(ids)) for token in set(value.lower().split())]
            token_ids.extend(found)
            tokens_per_value.append(len(found))
        tokens = list(ids)
        # Every (token, row): each token of a value paired with each row having that value.
        order = np.argsort(np.array(value_of_row, dtype=np.int64), kind="stable")
        rows_by_value = np.array(row_of, dtype=np.int64)[order]
        row_counts = np.bincount(np.array(value_of_row, dtype=np.int64), minlength=len(numbers))
        row_starts = np.concatenate(([0], np.cumsum(row_counts)[:-1]))
        value_of_token = np.repeat(np.arange(len(numbers)), tokens_per_value)
        counts = row_counts[value_of_token]
        firsts = np.repeat(row_starts[value_of_token] - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        paired_rows = rows_by_value[firsts + np.arange(counts.sum())]
        paired_tokens = np.repeat(np.array(token_ids, dtype=np.int64), counts)
        # One sorted, distinct int64 per (token, row): token-major, so each token's rows are a run.
        pairs = distinct(paired_tokens * (rows + 1) + paired_rows)
        offsets = np.searchsorted(pairs // (rows + 1), np.arange(len(tokens) + 1))
        return cls(tokens, offsets, (pairs % (rows + 1)).astype(np.int32))

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
