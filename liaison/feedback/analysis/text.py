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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from liaison.feedback.analysis.lexicon import POLARITY
from liaison.feedback.analysis.topics import MATCHER

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
    kinds = [kind for kind, pattern in _QUESTION_KINDS if pattern.search(prompt)]
    if "good" in kinds and "better" in kinds:  # "What was good, and what could we do better?"
        return "both"
    return kinds[0] if kinds else "other"


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


@functools.lru_cache(maxsize=512)  # each block of a batch of 128 comments reads the same words
def words_of(text: str) -> tuple[str, ...]:
    """The words of ``text``, lower-cased, as every block reads them."""
    return tuple(_WORD.findall(normalise(text)))


# Words that turn the next few words around ("not cleaned", "nobody listened", "couldn't fault"), with the
# spellings people type without the apostrophe; a clause's end or a turn ("but") closes the scope.
NEGATORS = frozenset(
    (
        *("not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "without", "cannot", "hardly"),
        *("barely", "nowhere", "dont", "didnt", "doesnt", "wasnt", "werent", "isnt", "arent", "couldnt", "wouldnt"),
        *("shouldnt", "wont", "cant", "havent", "hasnt", "hadnt"),
    )
)
_SCOPE_ENDS = frozenset(("but", "however", "although", "though", "yet", "except"))
_CLAUSE = re.compile(r"[.,;:!?()\n]+")
NEGATION_SCOPE = 3


@functools.lru_cache(maxsize=512)  # two blocks read each batch of 128 comments in turn
def negated_words(text: str) -> tuple[tuple[str, bool], ...]:
    """Each word of ``text`` (as ``_WORD`` finds them) with whether a negation before it turns it around."""
    out: list[tuple[str, bool]] = []
    for clause in _CLAUSE.split(normalise(text)):
        left = 0
        for token in _WORD.findall(clause):
            if token in NEGATORS or token.endswith("n't"):
                out.append((token, False))
                left = NEGATION_SCOPE
            elif token in _SCOPE_ENDS:
                out.append((token, False))
                left = 0
            else:
                out.append((token, left > 0))
                left = max(left - 1, 0)
    return tuple(out)


def negated_grams(text: str, context: Context) -> list[str]:
    """The words a negation turns around, marked as such ("not|cleaned" in "had not been cleaned")."""
    return [f"not|{token}" for token, negated in negated_words(text) if negated]


def word_grams(text: str) -> list[str]:
    tokens = words_of(text)
    return [*tokens, *(f"{a} {b}" for a, b in pairwise(tokens))]


def _token_char_grams(token: str, low: int = 2, high: int = 5) -> list[str]:
    padded = f" {token} "
    length = len(padded)
    return [padded[i : i + n] for n in range(low, high + 1) for i in range(length - n + 1)]


def char_grams(text: str) -> list[str]:
    grams: list[str] = []
    for token in words_of(text):
        grams.extend(_token_char_grams(token))
    return grams


def context_grams(text: str, context: Context) -> list[str]:
    return _context_tokens(context)


def question_words(text: str, context: Context) -> list[str]:
    """Each word joined to the kind of question it answers ("better|nothing"); none without a question."""
    kind = question_kind(context.question)
    if not kind:
        return []
    return [f"{kind}|{token}" for token in words_of(text)]


# Capitals that are names, not shouting: services, scans and the like that patients write as acronyms.
_ACRONYMS = frozenset(
    (
        *("gp", "gps", "nhs", "ae", "icu", "camhs", "ok", "uk", "it", "tv", "mri", "ct", "ecg", "ed", "ent", "ot"),
        *("ots", "pals", "hca", "hcas", "cpn", "cpa", "opd", "ipu", "mh", "lgbt", "pip", "dna", "covid", "bp"),
    )
)
_LETTERS = re.compile(r"[A-Za-z]+")
# Comment length in words, in buckets: a short answer is mostly plain praise, a long one often tells a story.
_LENGTH_BUCKETS = (2, 5, 12, 30, 60)
# Whether a comment's listed words praise (True), complain (False), both or neither.
_SIDES = {
    frozenset(): "sides=none",
    frozenset((True,)): "sides=praise",
    frozenset((False,)): "sides=complaint",
    frozenset((True, False)): "sides=both",
}


_Entry = TypeVar("_Entry")


def _listed(words: Sequence[tuple[str, bool]], known: Mapping[str, _Entry]) -> list[tuple[_Entry, bool]]:
    """The entry of each word (with its negation) that ``known`` lists; a listed two-word phrase counts once."""
    found: list[tuple[_Entry, bool]] = []
    i, n = 0, len(words)
    while i < n:
        word, negated = words[i]
        if i + 1 < n:
            phrase = known.get(f"{word} {words[i + 1][0]}")
            if phrase is not None:
                found.append((phrase, negated))
                i += 2
                continue
        entry = known.get(word)
        if entry is not None:
            found.append((entry, negated))
        i += 1
    return found


def tone_grams(text: str, context: Context) -> list[str]:
    """How a comment is written and which sides it takes, which the other blocks do not see.

    "!", "!!", "?" and words in capitals (the word blocks see lower-cased words without punctuation, so
    "Excellent!!" and "excellent" looked the same); its length in words; and whether its listed words of
    praise and complaint (``lexicon.POLARITY``, turned around by a negation) take one side, both or neither.
    A linear model cannot tell "both sides" from the polarity block's most positive and most negative word;
    this token says it, which is what tells a mixed answer from a plain complaint.
    """
    grams = []
    exclamations = text.count("!")
    if exclamations:
        grams.append("!")
    if exclamations >= 2:
        grams.append("!!")
    if "?" in text:
        grams.append("?")
    words = _LETTERS.findall(text)
    if any(len(w) >= 2 and w.isupper() and w.lower() not in _ACRONYMS for w in words):
        grams.append("caps")
    grams.append(f"length{sum(len(words) > limit for limit in _LENGTH_BUCKETS)}")
    praise = {(score > 0) != negated for score, negated in _listed(negated_words(text), POLARITY)}
    grams.append(_SIDES[frozenset(praise)])
    return grams


def _dense_rows(dense: npt.NDArray[np.float32]) -> SparseRows:
    """A dense block's ``(n, width)`` values as rows in CSR layout (every column present)."""
    n, width = dense.shape
    indptr = np.arange(0, n * width + 1, width, dtype=np.int64)
    return SparseRows(indptr, np.tile(np.arange(width, dtype=np.int64), n), dense.reshape(-1), width)


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

    @property
    def width(self) -> int:
        return len(self.vocabulary)

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
        for token in words_of(text):
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


class WordVectors:
    """Static word vectors distilled from a sentence-embedding model (``tools/distil_word_vectors.py``).

    A word's vector carries its meaning to wording the training comments never used: "dreadful" lies near
    "awful" and "terrible", so a comment that says "dreadful" reads as one that says "awful".
    """

    FILE = "word_vectors.npz"

    def __init__(self, words: Sequence[str], vectors: npt.NDArray[np.floating[Any]]) -> None:
        if len(words) != len(vectors):
            raise ValueError("Word and vector counts differ.")
        self.words = list(words)
        self.index = {word: i for i, word in enumerate(self.words)}
        self.vectors = np.asarray(vectors, dtype=np.float32)

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    @classmethod
    def load(cls, path: str | Path) -> WordVectors:
        return _load_word_vectors(str(Path(path).resolve()))

    def save(self, path: str | Path) -> None:
        """Words as UTF-8 lines; vectors as int8 with one float16 scale per word (a quarter of float32)."""
        packed = np.frombuffer("\n".join(self.words).encode("utf-8"), dtype=np.uint8)
        scales = np.abs(self.vectors).max(axis=1) / 127.0
        scales[scales == 0] = 1.0
        quantised = np.round(self.vectors / scales[:, None]).astype(np.int8)
        np.savez_compressed(path, allow_pickle=False, words=packed, vectors=quantised, scales=scales.astype(np.float16))


@functools.lru_cache(maxsize=4)  # one table serves every model loaded from the same directory
def _load_word_vectors(path: str) -> WordVectors:
    with np.load(path, allow_pickle=False) as arrays:
        text = arrays["words"].tobytes().decode("utf-8")
        vectors = arrays["vectors"].astype(np.float32)
        if "scales" in arrays:
            vectors *= arrays["scales"].astype(np.float32)[:, None]
        return WordVectors(text.split("\n") if text else [], vectors)


class MeaningBlock:
    """A comment's meaning as the idf-weighted mean of its words' vectors, L2-normalised, then scaled.

    Dense: every row has ``dims`` values (zeros when no word is known). ``idf`` holds one weight per word of
    the table, from the training comments (words they never used get the highest weight, as the rarest).
    """

    kind = "meaning"

    def __init__(self, vectors: WordVectors, idf: npt.NDArray[np.float32], scale: float = 1.0) -> None:
        if len(idf) != len(vectors.words):
            raise ValueError("One weight per word of the table is needed.")
        self.vectors = vectors
        self.idf = np.asarray(idf, dtype=np.float32)
        self.scale = float(scale)
        self.vocabulary: list[str] = []  # nothing to look up by n-gram: the table is the vocabulary
        self._weighted = self.vectors.vectors * self.idf[:, None]

    @property
    def width(self) -> int:
        return self.vectors.dims

    @classmethod
    def fit(cls, vectors: WordVectors, texts: Sequence[str], scale: float = 1.0) -> MeaningBlock:
        document_frequency: Counter[str] = Counter()
        for text in texts:
            document_frequency.update(set(_WORD.findall(normalise(text))))
        n = len(texts)
        df = np.array([document_frequency.get(word, 0) for word in vectors.words], dtype=np.float64)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        return cls(vectors, idf.astype(np.float32), scale)

    def transform(self, texts: Sequence[str], contexts: Sequence[Context]) -> SparseRows:
        return _dense_rows(self.dense(texts))

    def dense(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The block as a dense ``(len(texts), dims)`` array: a matrix product is faster than a sparse gather."""
        n, dims = len(texts), self.width
        index = self.vectors.index
        per_text = [[index[w] for w in words_of(text) if w in index] for text in texts]
        lengths = np.fromiter((len(ids) for ids in per_text), dtype=np.int64, count=n)
        dense = np.zeros((n, dims), dtype=np.float32)
        if lengths.sum():
            flat = np.fromiter(chain.from_iterable(per_text), dtype=np.int64, count=int(lengths.sum()))
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            rows = np.vstack([self._weighted[flat], np.zeros((1, dims), dtype=np.float32)])
            sums = np.add.reduceat(rows, np.minimum(starts, len(flat)), axis=0)
            sums[lengths == 0] = 0.0
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            dense = (sums / norms * self.scale).astype(np.float32)
        return dense


# Words that plainly praise or plainly complain, chosen here: the two poles of the polarity axis in the vectors.
# Pairs, so that what a pair shares (its topic: cleanliness, manner, speed) cancels and only the praise or
# complaint is left ("clean" and "filthy" lie close together, both about cleanliness).
POLARITY_PAIRS = (
    *(("good", "bad"), ("excellent", "terrible"), ("kind", "rude"), ("clean", "dirty"), ("helpful", "unhelpful")),
    *(("caring", "uncaring"), ("quick", "slow"), ("happy", "unhappy"), ("pleased", "disappointed")),
    *(("wonderful", "awful"), ("great", "poor"), ("professional", "unprofessional"), ("best", "worst")),
    *(("satisfied", "dissatisfied"), ("calm", "chaotic"), ("organised", "disorganised"), ("punctual", "late")),
    *(("respectful", "disrespectful"), ("safe", "unsafe"), ("comfortable", "uncomfortable"), ("love", "hate")),
    *(("grateful", "angry"), ("reassuring", "worrying"), ("listened", "ignored"), ("fantastic", "appalling")),
    *(("brilliant", "shocking"), ("acceptable", "unacceptable"), ("tidy", "filthy")),
)


class PolarityBlock:
    """How positive or negative a comment's words are, with a negation turning the words after it around.

    A word's polarity is +1 or −1 where ``lexicon.POLARITY`` lists it, else its position on the praise–complaint
    axis of the word vectors (the mean difference of ``POLARITY_PAIRS``), scaled to −1..1. Neither comes from the
    training labels, so "dreadful" (never in the training comments) scores like "awful". A comment's features:
    its most negative and most positive word, the mean, and the shares of clearly negative and clearly positive
    words (5 values, scaled). ``words`` and their scores are saved with the model.
    """

    kind = "polarity"
    _FEATURES = 5
    _CLEAR = 0.25

    def __init__(self, words: Sequence[str], scores: npt.NDArray[np.float32], scale: float = 1.0) -> None:
        if len(scores) != len(words):
            raise ValueError("One score per word is needed.")
        self.words = list(words)
        self.index = {word: i for i, word in enumerate(self.words)}
        self.idf = np.asarray(scores, dtype=np.float32)  # stored where the other blocks keep their idf
        self._scores: list[float] = self.idf.tolist()  # a comment has a handful of words: Python beats numpy
        self.scale = float(scale)
        self.vocabulary: list[str] = []

    @property
    def width(self) -> int:
        return self._FEATURES

    @classmethod
    def fit(cls, vectors: WordVectors, scale: float = 1.0) -> PolarityBlock:
        table, index = vectors.vectors, vectors.index
        unit = table / np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-6)
        pairs = [(index[a], index[b]) for a, b in POLARITY_PAIRS if a in index and b in index]
        axis = np.mean([unit[a] - unit[b] for a, b in pairs], axis=0)
        scores = unit @ axis
        scores /= max(float(np.abs(scores).max()), 1e-6)
        words = list(vectors.words) + sorted(w for w in POLARITY if w not in index)
        scores = np.concatenate([scores, np.zeros(len(words) - len(scores))])
        for i, word in enumerate(words):
            if word in POLARITY:
                scores[i] = POLARITY[word]
        return cls(words, scores.astype(np.float32), scale)

    def _lookup(self, words: Sequence[tuple[str, bool]]) -> list[tuple[int, bool]]:
        """Each known word's row and negation; two words that make a listed phrase count once, as the phrase."""
        return _listed(words, self.index)

    def dense(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self._FEATURES), dtype=np.float32)
        table, clear = self._scores, self._CLEAR
        for row, text in enumerate(texts):
            found = self._lookup(negated_words(text))
            if not found:
                continue
            scores = [-table[i] if negated else table[i] for i, negated in found]
            n = len(scores)
            out[row] = (
                min(scores),
                max(scores),
                sum(scores) / n,
                sum(score <= -clear for score in scores) / n,
                sum(score >= clear for score in scores) / n,
            )
        return out * self.scale

    def transform(self, texts: Sequence[str], contexts: Sequence[Context]) -> SparseRows:
        return _dense_rows(self.dense(texts))


class TopicBlock:
    """How much a comment says about each theme, by the words listed for it (``topics.THEME_WORDS``).

    One column per theme that has words: log(1 + the number of its words and phrases in the comment), scaled.
    Words group by theme, so a theme's weight serves every word on its list, seen in training or not: the
    two training trusts never wrote "hoist" (and "commode" once), and a comment that does is about equipment.
    ``vocabulary`` holds the themes, in column order, as the model was trained on them.
    """

    kind = "topics"

    def __init__(self, themes: Sequence[str], scale: float = 1.0) -> None:
        known = {theme: i for i, theme in enumerate(MATCHER.themes)}
        self.vocabulary = list(themes)
        self.idf = np.ones(len(self.vocabulary), dtype=np.float32)  # nothing learned: kept for storage's sake
        self.scale = float(scale)
        # The matcher's theme number -> column; a theme no longer listed stays an empty column.
        self._to_column = {known[theme]: c for c, theme in enumerate(self.vocabulary) if theme in known}

    @property
    def width(self) -> int:
        return len(self.vocabulary)

    @classmethod
    def fit(cls, scale: float = 1.0) -> TopicBlock:
        return cls(MATCHER.themes, scale)

    def dense(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        counts = np.zeros((len(texts), self.width), dtype=np.float32)
        to_column = self._to_column
        for row, text in enumerate(texts):
            for theme in MATCHER.themes_of(words_of(text)):
                column = to_column.get(theme)
                if column is not None:
                    counts[row, column] += 1.0
        return (np.log1p(counts) * self.scale).astype(np.float32)

    def transform(self, texts: Sequence[str], contexts: Sequence[Context]) -> SparseRows:
        return _dense_rows(self.dense(texts))


FeatureBlock = Block | MeaningBlock | PolarityBlock | TopicBlock
DENSE_BLOCKS = (MeaningBlock, PolarityBlock, TopicBlock)


ANALYSERS: dict[str, Callable[[str, Context], list[str]]] = {
    "words": lambda text, context: word_grams(text),
    "chars": lambda text, context: char_grams(text),
    "context": context_grams,
    "question_words": question_words,
    "negated": negated_grams,
    "tone": tone_grams,
}

# The blocks of the default model, with their weights against the text blocks (chosen by cross-validation).
# The context blocks are weighted down so that the question and score nudge the reading rather than decide it.
DEFAULT_BLOCKS: tuple[tuple[str, float], ...] = (
    ("words", 1.0),
    ("chars", 1.0),
    ("meaning", 2.0),
    ("polarity", 10.0),
    ("context", 0.4),
    ("question_words", 0.25),
    ("negated", 0.5),
    ("tone", 1.0),
    ("topics", 1.0),
)


class Vectoriser:
    """Several blocks side by side; column offsets follow the order of the blocks."""

    def __init__(self, blocks: Sequence[FeatureBlock]) -> None:
        self.blocks = list(blocks)

    @property
    def width(self) -> int:
        return sum(b.width for b in self.blocks)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        contexts: Sequence[Context] | None = None,
        blocks: Sequence[tuple[str, float]] = DEFAULT_BLOCKS,
        min_df: int = 2,
        word_vectors: WordVectors | None = None,
    ) -> Vectoriser:
        contexts = _contexts(texts, contexts)
        fitted: list[FeatureBlock] = []
        for kind, scale in blocks:
            if kind == MeaningBlock.kind:
                if word_vectors is not None:
                    fitted.append(MeaningBlock.fit(word_vectors, texts, scale))
            elif kind == PolarityBlock.kind:
                if word_vectors is not None:
                    fitted.append(PolarityBlock.fit(word_vectors, scale))
            elif kind == TopicBlock.kind:
                fitted.append(TopicBlock.fit(scale))
            else:
                fitted.append(Block.fit(kind, texts, contexts, min_df, scale))
        return cls(fitted)

    def dot(
        self, texts: Sequence[str], contexts: Sequence[Context] | None, weights: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """``transform(texts, contexts)`` times ``weights``, block by block (dense blocks by matrix product)."""
        contexts = _contexts(texts, contexts)
        total = np.zeros((len(texts), weights.shape[1]), dtype=np.float32)
        offset = 0
        for block in self.blocks:
            part = weights[offset : offset + block.width]
            if isinstance(block, DENSE_BLOCKS):
                total += block.dense(texts) @ part
            else:
                total += block.transform(texts, contexts).dot(part)
            offset += block.width
        return total

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
