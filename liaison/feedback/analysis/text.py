"""Turning comments into TF-IDF vectors with numpy only, the same way at training and at prediction time.

Blocks of features, each L2-normalised on its own and then scaled: words and word pairs; character n-grams
taken inside each word (with a space on either side, so "wait" gives " wa", "ait ", …), which carry
misspellings ("apointment", "helpfull") and word stems; and the answer's context — which kind of question
the comment answers and the FFT score given with it — alone and joined to each word. Context matters:
"Nothing." is praise under "What could we do better?" and a complaint under "What was good?".
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np
import numpy.typing as npt

_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CACHE_LIMIT = 100_000

# The kinds of question a free-text answer follows, told apart by words in the prompt (first match wins).
# FFT follow-ups ask for the good, for improvements, for the reason behind the rating, or for both sides.
_QUESTION_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("better", re.compile(r"\b(improve|improvements?|better|change|differently)\b")),
    ("good", re.compile(r"\b(good|well|best|like|liked|satisfied with)\b")),
    ("why", re.compile(r"\bwhy\b|\breasons?\b|\bexplain\b")),
)


@dataclass(frozen=True)
class Context:
    """What came with a comment: the question it answers (its prompt) and the FFT score (1–6) if any."""

    question: str = ""
    fft_score: int | None = None


NO_CONTEXT = Context()


@functools.lru_cache(maxsize=512)  # a file has a handful of prompts, asked once per row and block
def question_kind(prompt: str) -> str:
    """ "good", "better", "why", "other" for a prompt that is none of these, or "" when there is no prompt."""
    prompt = normalise(prompt)
    if not prompt:
        return ""
    if "dissatisf" in prompt:  # "… satisfied and/or dissatisfied with": both sides at once
        return "both"
    for kind, pattern in _QUESTION_KINDS:
        if pattern.search(prompt):
            return kind
    return "other"


def _context_tokens(context: Context) -> list[str]:
    tokens = []
    kind = question_kind(context.question)
    if kind:
        tokens.append(f"q={kind}")
    if context.fft_score is not None and 1 <= context.fft_score <= 6:
        tokens.append(f"fft={context.fft_score}")
    return tokens


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


def context_grams(text: str, context: Context) -> list[str]:
    return _context_tokens(context)


def question_words(text: str, context: Context) -> list[str]:
    """Each word joined to the kind of question it answers ("better|nothing"); none without a question."""
    kind = question_kind(context.question)
    if not kind:
        return []
    return [f"{kind}|{token}" for token in _WORD.findall(normalise(text))]


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
    """One vocabulary with its inverse document frequencies (sublinear tf, smooth idf, L2 norm, then scale)."""

    def __init__(self, kind: str, vocabulary: Sequence[str], idf: npt.NDArray[np.float32], scale: float = 1.0) -> None:
        if kind not in ANALYSERS:
            raise ValueError(f"Unknown feature kind {kind!r}.")
        if len(vocabulary) != len(idf):
            raise ValueError("Vocabulary and idf lengths differ.")
        self.kind = kind
        self.vocabulary = list(vocabulary)
        self.index = {gram: i for i, gram in enumerate(self.vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.scale = float(scale)
        self._word_cache: dict[str, list[int]] = {}

    @classmethod
    def fit(
        cls, kind: str, texts: Sequence[str], contexts: Sequence[Context], min_df: int, scale: float = 1.0
    ) -> Block:
        analyse = ANALYSERS[kind]
        document_frequency: Counter[str] = Counter()
        for text, context in zip(texts, contexts, strict=True):
            document_frequency.update(set(analyse(text, context)))
        n = len(texts)
        vocabulary = sorted(gram for gram, df in document_frequency.items() if df >= min_df)
        df = np.array([document_frequency[g] for g in vocabulary], dtype=np.float64)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        return cls(kind, vocabulary, idf.astype(np.float32), scale)

    def _feature_ids(self, text: str, context: Context) -> list[int]:
        index = self.index
        if self.kind != "chars":
            return [index[g] for g in ANALYSERS[self.kind](text, context) if g in index]
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

    def transform(self, texts: Sequence[str], contexts: Sequence[Context]) -> SparseRows:
        n, width = len(texts), len(self.vocabulary)
        per_text = [self._feature_ids(text, context) for text, context in zip(texts, contexts, strict=True)]
        lengths = np.fromiter((len(ids) for ids in per_text), dtype=np.int64, count=n)
        flat = np.fromiter(chain.from_iterable(per_text), dtype=np.int64, count=int(lengths.sum()))
        keys, tf = np.unique(np.repeat(np.arange(n, dtype=np.int64), lengths) * width + flat, return_counts=True)
        rows, indices = np.divmod(keys, width) if width else (keys, keys)
        indptr = np.searchsorted(rows, np.arange(n + 1, dtype=np.int64)).astype(np.int64)
        values = (1.0 + np.log(tf.astype(np.float32))) * self.idf[indices]
        row_of_value = np.repeat(np.arange(n), np.diff(indptr))
        norms = np.sqrt(np.bincount(row_of_value, weights=values.astype(np.float64) ** 2, minlength=n))
        norms[norms == 0] = 1.0
        values = values * (self.scale / norms[row_of_value])
        return SparseRows(indptr, indices.astype(np.int64), values.astype(np.float32), width)


ANALYSERS: dict[str, Callable[[str, Context], list[str]]] = {
    "words": lambda text, context: word_grams(text),
    "chars": lambda text, context: char_grams(text),
    "context": context_grams,
    "question_words": question_words,
}

# The blocks of the default model, with their weights against the text blocks (chosen by cross-validation).
DEFAULT_BLOCKS: tuple[tuple[str, float], ...] = (
    ("words", 1.0),
    ("chars", 1.0),
    ("context", 0.85),
    ("question_words", 0.5),
)


class Vectoriser:
    """Several blocks side by side; column offsets follow the order of the blocks."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.blocks = list(blocks)

    @property
    def width(self) -> int:
        return sum(len(b.vocabulary) for b in self.blocks)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        contexts: Sequence[Context] | None = None,
        blocks: Sequence[tuple[str, float]] = DEFAULT_BLOCKS,
        min_df: int = 2,
    ) -> Vectoriser:
        contexts = _contexts(texts, contexts)
        return cls([Block.fit(kind, texts, contexts, min_df, scale) for kind, scale in blocks])

    def transform(self, texts: Sequence[str], contexts: Sequence[Context] | None = None) -> SparseRows:
        contexts = _contexts(texts, contexts)
        parts = [b.transform(texts, contexts) for b in self.blocks]
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


def _contexts(texts: Sequence[str], contexts: Sequence[Context] | None) -> Sequence[Context]:
    if contexts is None:
        return [NO_CONTEXT] * len(texts)
    if len(contexts) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(contexts)} contexts.")
    return contexts
