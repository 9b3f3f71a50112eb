"""The token index finds what a scan of the values finds, however it was built."""
from __future__ import annotations

import random
import re

import numpy as np

from ld.tokens import TokenIndex, TokenIndexBuilder, distinct

WORDS = ["konsertti", "Kirkossa", "jazz-ilta", "LAPSI", "lapsille", "musiikki", "teatteri", "ääni", "ÄÄNI", "x"]


def _values(seed: int, rows: int) -> list[tuple[int, str]]:
    rng = random.Random(seed)
    pairs = []
    for row in rng.sample(range(rows), rows // 2) * 3:  # rows with several values, rows with none
        words = rng.choices(WORDS, k=rng.randint(0, 6))
        pairs.append((row, rng.choice(["\t", " ", "\n", "  "]).join(words)))
    return pairs


def _scan(pairs: list[tuple[int, str]], found) -> list[int]:
    return sorted({row for row, value in pairs if found(value.lower())})


def test_the_index_finds_what_a_scan_finds() -> None:
    pairs = _values(1, 500)
    index = TokenIndex.build(pairs, 500)
    for needle in ["konsertti", "KONSERTTI", "lap", "ääni", "-", "x", "zzz", "a"]:
        assert index.containing(needle).tolist() == _scan(pairs, lambda v: needle.lower() in v)
    regex = re.compile(r"\blapsi\b")
    assert index.matching(regex).tolist() == _scan(pairs, regex.search)


def test_chunks_make_the_same_index() -> None:
    pairs = _values(2, 300)
    whole = TokenIndex.build(pairs, 300)
    builder = TokenIndexBuilder(300)
    for start in range(0, len(pairs), 37):
        chunk = pairs[start:start + 37]
        builder.add([r for r, _ in chunk], [v for _, v in chunk])
    builder.add([], [])
    chunked = builder.build()

    def postings(index: TokenIndex) -> dict[str, list[int]]:
        return {t: index._rows[index._offsets[i]:index._offsets[i + 1]].tolist() for i, t in enumerate(index.tokens)}

    assert postings(chunked) == postings(whole)
    assert chunked._rows.dtype == np.int32


def test_keys_too_wide_for_four_bytes(monkeypatch) -> None:
    """Keys are kept in four bytes while they fit, else in eight; chunks of both make one index."""
    monkeypatch.setattr(TokenIndexBuilder, "BUCKETS", 3)
    rows = 10**9  # each token's keys 10**9 apart: the 13th token's no longer fit
    builder = TokenIndexBuilder(rows)
    builder.add([5, rows - 1], ["a b", "b c"])
    assert all(part.dtype == np.uint32 for bucket in builder._buckets for part in bucket)
    builder.add([7, 5, 9], [" ".join(f"t{i}" for i in range(40)), "a", "a t39"])
    assert {part.dtype for bucket in builder._buckets for part in bucket} == {np.dtype(np.uint32), np.dtype(np.int64)}
    index = builder.build()
    assert index.containing("a").tolist() == [5, 9] and index.containing("c").tolist() == [rows - 1]
    assert index.containing("t39").tolist() == [7, 9] and index.containing("t1").tolist() == [7]
    assert sorted(index.tokens) == sorted(["a", "b", "c"] + [f"t{i}" for i in range(40)])


def test_an_index_of_nothing() -> None:
    index = TokenIndex.build([], 10)
    assert index.tokens == [] and index.containing("a").tolist() == []
    assert TokenIndex.build([(3, "  ")], 10).tokens == []


def test_distinct() -> None:
    assert distinct(np.array([5, 1, 5, 3, 1])).tolist() == [1, 3, 5]
    assert distinct(np.zeros(0, np.int32)).tolist() == []
