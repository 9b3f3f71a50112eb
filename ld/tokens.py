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
        by_value: dict[str, list[int]] = {}
        for row, value in values:
            by_value.setdefault(value, []).append(row)
        ids: dict[str, int] = {}
        token_ids: list[int] = []
        token_rows: list[int] = []
        for value, value_rows in by_value.items():
            for token in set(value.lower().split()):
                tid = ids.setdefault(token, len(ids))
                token_ids.extend([tid] * len(value_rows))
                token_rows.extend(value_rows)
        tokens = list(ids)
        pairs = np.unique(np.array([token_ids, token_rows], dtype=np.int64).reshape(2, -1), axis=1)
        offsets = np.searchsorted(pairs[0], np.arange(len(tokens) + 1))
        return cls(tokens, offsets, pairs[1].astype(np.int32))

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
        token_ids = np.unique(np.searchsorted(self._starts, positions, side="right") - 1)
        return np.unique(np.concatenate([self._rows[self._offsets[t]:self._offsets[t + 1]] for t in token_ids]))
