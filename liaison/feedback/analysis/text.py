"""Turning comments into TF-IDF vectors with numpy only, the same way at training and at prediction time.

Two blocks of features, each L2-normalised on its own: words and word pairs, and character n-grams taken
inside each word (with a space on either side, so "wait" gives " wa", "ait ", …). Character n-grams carry
misspellings ("apointment", "helpfull") and word stems, which matter in short, hand-typed comments.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np
import numpy.typing as npt

_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CACHE_LIMIT = 100_000


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WHITESPACE.sub(" ", text).strip()


def word_grams(text: str) -> list[str]:
    tokens = _WORD.findall(normalise(text))
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


def _token_char_grams(token: str, low: int = 2, high: int = 5) -> list[str]:
    padded = f" {token} "
    length = len(padded)
    return [padded[i : i + n] for n in range(low, high + 1) for i in range(length - n + 1)]


def char_grams(text: str) -> list[str]:
    grams: list[str] = []
    for token in _WORD.findall(normalise(text)):
        grams.extend(_token_char_grams(token))
    return grams


@dataclass(frozen=True)
class SparseRows:
    """A batch of vectors in CSR layout: row i is ``indices/data[indptr[i]:indptr[i + 1]]``."""

    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int64]
    data: npt.NDArray[np.float32]
    width: int

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def dot(self, weights: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Multiply by a dense ``(width, k)`` matrix without scipy."""
        k = weights.shape[1]
        starts, ends = self.indptr[:-1], self.indptr[1:]
        if self.rows == 0:
            return np.zeros((0, k), dtype=np.float32)
        contributions = weights[self.indices] * self.data[:, None]
        # A trailing zero row keeps reduceat in range when the last rows are empty.
        contributions = np.vstack([contributions, np.zeros((1, k), dtype=np.float32)])
        sums = np.add.reduceat(contributions, starts, axis=0)
        sums[starts == ends] = 0.0
        return sums.astype(np.float32, copy=False)


class Block:
    """One vocabulary with its inverse document frequencies (sublinear tf, smooth idf, L2 norm)."""

    def __init__(self, kind: str, vocabulary: Sequence[str], idf: npt.NDArray[np.float32]) -> None:
        if kind not in ANALYSERS:
            raise ValueError(f"Unknown feature kind {kind!r}.")
        if len(vocabulary) != len(idf):
            raise ValueError("Vocabulary and idf lengths differ.")
        self.kind = kind
        self.vocabulary = list(vocabulary)
        self.index = {gram: i for i, gram in enumerate(self.vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self._word_cache: dict[str, list[int]] = {}

    @classmethod
    def fit(cls, kind: str, texts: Iterable[str], min_df: int) -> Block:
        analyse = ANALYSERS[kind]
        document_frequency: Counter[str] = Counter()
        n = 0
        for text in texts:
            document_frequency.update(set(analyse(text)))
            n += 1
        vocabulary = sorted(gram for gram, df in document_frequency.items() if df >= min_df)
        df = np.array([document_frequency[g] for g in vocabulary], dtype=np.float64)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        return cls(kind, vocabulary, idf.astype(np.float32))

    def _feature_ids(self, text: str) -> list[int]:
        index = self.index
        if self.kind != "chars":
            return [index[g] for g in ANALYSERS[self.kind](text) if g in index]
        # A word's character n-grams never change: look each word up once, not each n-gram each time.
        cache = self._word_cache
        ids: list[int] = []
        for token in _WORD.findall(normalise(text)):
            found = cache.get(token)
            if found is None:
                found = [index[g] for g in _token_char_grams(token) if g in index]
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[token] = found
            ids.extend(found)
        return ids

    def transform(self, texts: Sequence[str]) -> SparseRows:
        n, width = len(texts), len(self.vocabulary)
        per_text = [self._feature_ids(text) for text in texts]
        lengths = np.fromiter((len(ids) for ids in per_text), dtype=np.int64, count=n)
        flat = np.fromiter(chain.from_iterable(per_text), dtype=np.int64, count=int(lengths.sum()))
        keys, tf = np.unique(np.repeat(np.arange(n, dtype=np.int64), lengths) * width + flat, return_counts=True)
        rows, indices = np.divmod(keys, width) if width else (keys, keys)
        indptr = np.searchsorted(rows, np.arange(n + 1, dtype=np.int64)).astype(np.int64)
        values = (1.0 + np.log(tf.astype(np.float32))) * self.idf[indices]
        row_of_value = np.repeat(np.arange(n), np.diff(indptr))
        norms = np.sqrt(np.bincount(row_of_value, weights=values.astype(np.float64) ** 2, minlength=n))
        norms[norms == 0] = 1.0
        values = values / norms[row_of_value]
        return SparseRows(indptr, indices.astype(np.int64), values.astype(np.float32), width)


ANALYSERS = {"words": word_grams, "chars": char_grams}


class Vectoriser:
    """Several blocks side by side; column offsets follow the order of the blocks."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.blocks = list(blocks)

    @property
    def width(self) -> int:
        return sum(len(b.vocabulary) for b in self.blocks)

    @classmethod
    def fit(cls, texts: Sequence[str], kinds: Sequence[str] = ("words", "chars"), min_df: int = 2) -> Vectoriser:
        return cls([Block.fit(kind, texts, min_df) for kind in kinds])

    def transform(self, texts: Sequence[str]) -> SparseRows:
        parts = [b.transform(texts) for b in self.blocks]
        n = len(texts)
        counts = np.zeros(n, dtype=np.int64)
        for p in parts:
            counts += np.diff(p.indptr)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        indices = np.empty(indptr[-1], dtype=np.int64)
        data = np.empty(indptr[-1], dtype=np.float32)
        # Interleave block by block: rows keep their blocks in order, which CSR does not require but is tidy.
        cursor = indptr[:-1].copy()
        offset = 0
        for p in parts:
            lengths = np.diff(p.indptr)
            rows = np.repeat(np.arange(n), lengths)
            within = np.arange(len(p.indices)) - np.repeat(p.indptr[:-1], lengths)
            target = cursor[rows] + within
            indices[target] = p.indices + offset
            data[target] = p.data
            cursor += lengths
            offset += p.width
        return SparseRows(indptr, indices, data, self.width)
