"""The feedback classifier at prediction time: numpy only, weights in ``.npz`` + ``.json`` (never pickle).

Each comment may come with its context (the question it answers and the FFT score); the model reads it where
given and does without it where not.

Themes: one linear scorer per label over TF-IDF features, turned into a probability by a per-label
logistic calibration, and kept when the probability passes that label's threshold (tuned on held-out
folds at training time). Sentiment: a multinomial linear model over the same features.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from liaison.feedback.analysis.labels import SENTIMENTS
from liaison.feedback.analysis.text import (
    Block,
    Context,
    FeatureBlock,
    MeaningBlock,
    PolarityBlock,
    TopicBlock,
    Vectoriser,
    WordVectors,
)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
# 2: feature blocks carry a scale; context blocks. 3: the meaning block (word vectors). 4: the polarity block
# keeps its own words (the vector table's and the lexicon's). 5: the topics block (themes' listed words).
FORMAT_VERSION = 5
_READABLE_FORMATS = (3, 4, 5)  # a hospital's model retrained under format 3 still loads
_ARRAYS = "model.npz"
_CONFIG = "model.json"
# Small batches keep the gathered weight rows in cache: about twice as fast as one big batch.
_BATCH = 128

Array = npt.NDArray[np.float32]


# Below this confidence an answer is marked for an officer to check.
LOW_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Prediction:
    themes: list[str]
    sentiment: int
    theme_scores: dict[str, float] = field(repr=False)
    # 0..1: how sure the model is of the whole answer (its least certain part: polarity or a theme decision).
    confidence: float = 1.0

    @property
    def needs_review(self) -> bool:
        return self.confidence < LOW_CONFIDENCE


def _sigmoid(x: Array) -> Array:
    return (1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0)))).astype(np.float32)


def _softmax(logits: Array) -> Array:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


# Each sentiment's polarity: positive (1–2), mixed (3), negative (4–5).
_POLARITY_OF = np.array([0 if s <= 2 else 1 if s == 3 else 2 for s in SENTIMENTS])


def _sentiment_and_polarity(logits: Array) -> tuple[npt.NDArray[np.int64], Array]:
    """The sentiment given, and each answer's probability of each polarity (positive, mixed, negative).

    The sentiment is the likeliest within the likeliest polarity, which is what a manager reads first. Plain
    argmax can pick "mixed" at 0.43 over "negative" at 0.40 + 0.05: the answer is more likely negative than
    not, and should say so. On held-out rows this costs 0.001 of five-way accuracy and gains 0.004 of polarity
    accuracy with context, 0.006 without.
    """
    p = _softmax(logits)
    by_polarity = np.stack([p[:, k == _POLARITY_OF].sum(axis=1) for k in range(3)], axis=1)
    chosen = by_polarity.argmax(axis=1)
    within = np.where(_POLARITY_OF[None, :] == chosen[:, None], p, -1.0)
    return np.asarray(SENTIMENTS, dtype=np.int64)[within.argmax(axis=1)], by_polarity


def _confidence(p: Array, thresholds: Array, by_polarity: Array) -> Array:
    """How sure the model is of each answer: the least certain of its polarity and its theme decisions.

    Polarity: the probability of the polarity it gave (positive 1–2, mixed 3, negative 4–5). A theme decision
    is as sure as its probability is far from that label's threshold, on a 0.5 (on the threshold) to 1 scale.
    """
    above = (p - thresholds) / np.maximum(1.0 - thresholds, 1e-6)
    below = (thresholds - p) / np.maximum(thresholds, 1e-6)
    themes = 0.5 + 0.5 * np.where(p >= thresholds, above, below)
    return np.minimum(by_polarity.max(axis=1), themes.min(axis=1)).astype(np.float32)


def _pack_strings(strings: Sequence[str]) -> npt.NDArray[np.uint8]:
    # A vocabulary as UTF-8 bytes joined by newlines: compact, and loadable with allow_pickle=False.
    if any("\n" in s for s in strings):
        raise ValueError("Vocabulary entries may not contain newlines.")
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def _unpack_strings(packed: npt.NDArray[np.uint8]) -> list[str]:
    text = packed.tobytes().decode("utf-8")
    return text.split("\n") if text else []


class FeedbackModel:
    def __init__(
        self,
        *,
        vectoriser: Vectoriser,
        labels: Sequence[str],
        theme_weights: Array,
        theme_bias: Array,
        calibration: Array,
        thresholds: Array,
        sentiment_weights: Array,
        sentiment_bias: Array,
        info: dict[str, Any] | None = None,
    ) -> None:
        k = len(labels)
        width = vectoriser.width
        if theme_weights.shape != (width, k) or theme_bias.shape != (k,):
            raise ValueError("Theme weights do not match the vocabulary and labels.")
        if calibration.shape != (k, 2) or thresholds.shape != (k,):
            raise ValueError("Calibration or thresholds do not match the labels.")
        if sentiment_weights.shape != (width, len(SENTIMENTS)) or sentiment_bias.shape != (len(SENTIMENTS),):
            raise ValueError("Sentiment weights do not match the vocabulary.")
        self.vectoriser = vectoriser
        self.labels = list(labels)
        self.theme_weights = theme_weights.astype(np.float32)
        self.theme_bias = theme_bias.astype(np.float32)
        self.calibration = calibration.astype(np.float32)
        self.thresholds = thresholds.astype(np.float32)
        self.sentiment_weights = sentiment_weights.astype(np.float32)
        self.sentiment_bias = sentiment_bias.astype(np.float32)
        self.info = dict(info or {})
        # One gather serves both heads.
        self._weights = np.hstack([self.theme_weights, self.sentiment_weights])
        self._bias = np.concatenate([self.theme_bias, self.sentiment_bias])

    # Prediction

    def theme_probabilities(self, texts: Sequence[str], contexts: Sequence[Context] | None = None) -> Array:
        raw = self._scores(texts, contexts, self.theme_weights, self.theme_bias)
        return _sigmoid(raw * self.calibration[:, 0] + self.calibration[:, 1])

    def sentiment_probabilities(self, texts: Sequence[str], contexts: Sequence[Context] | None = None) -> Array:
        return _softmax(self._scores(texts, contexts, self.sentiment_weights, self.sentiment_bias))

    def predict_arrays(
        self, texts: Sequence[str], contexts: Sequence[Context] | None = None
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64], Array]:
        """Themes as a boolean matrix, sentiments (1..5) and theme probabilities, for a whole batch."""
        themes, sentiments, probabilities, _ = self.predict_with_confidence(texts, contexts)
        return themes, sentiments, probabilities

    def predict_with_confidence(
        self, texts: Sequence[str], contexts: Sequence[Context] | None = None
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64], Array, Array]:
        """As ``predict_arrays``, with each answer's confidence (0..1) as a fourth array."""
        if contexts is not None and len(contexts) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(contexts)} contexts.")
        n, k = len(texts), len(self.labels)
        themes = np.zeros((n, k), dtype=bool)
        sentiments = np.zeros(n, dtype=np.int64)
        probabilities = np.zeros((n, k), dtype=np.float32)
        confidence = np.zeros(n, dtype=np.float32)
        for start in range(0, n, _BATCH):
            batch = list(texts[start : start + _BATCH])
            batch_contexts = None if contexts is None else list(contexts[start : start + _BATCH])
            scores = self.vectoriser.dot(batch, batch_contexts, self._weights) + self._bias
            p = _sigmoid(scores[:, :k] * self.calibration[:, 0] + self.calibration[:, 1])
            logits = scores[:, k:]
            rows = slice(start, start + len(batch))
            probabilities[rows] = p
            themes[rows] = p >= self.thresholds
            sentiments[rows], by_polarity = _sentiment_and_polarity(logits)
            confidence[rows] = _confidence(p, self.thresholds, by_polarity)
        return themes, sentiments, probabilities, confidence

    def predict(self, texts: Sequence[str], contexts: Sequence[Context] | None = None) -> list[Prediction]:
        """One prediction per text; ``contexts`` (one per text) adds each answer's question and FFT score."""
        themes, sentiments, probabilities, confidence = self.predict_with_confidence(texts, contexts)
        labels = self.labels
        scores = np.round(probabilities.astype(np.float64), 4).tolist()
        chosen = themes.tolist()
        sure = np.round(confidence.astype(np.float64), 3).tolist()
        return [
            Prediction(
                themes=[label for label, on in zip(labels, chosen[i], strict=True) if on],
                sentiment=int(sentiments[i]),
                theme_scores=dict(zip(labels, scores[i], strict=True)),
                confidence=sure[i],
            )
            for i in range(len(texts))
        ]

    def _scores(self, texts: Sequence[str], contexts: Sequence[Context] | None, weights: Array, bias: Array) -> Array:
        return self.vectoriser.dot(list(texts), None if contexts is None else list(contexts), weights) + bias

    # Storage

    def save(self, path: str | Path) -> None:
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {
            "theme_weights": self.theme_weights,
            "theme_bias": self.theme_bias,
            "calibration": self.calibration,
            "sentiment_weights": self.sentiment_weights,
            "sentiment_bias": self.sentiment_bias,
        }
        features = []
        for i, block in enumerate(self.vectoriser.blocks):
            arrays[f"idf_{i}"] = block.idf
            spec: dict[str, Any] = {"kind": block.kind, "size": block.width, "scale": block.scale}
            if isinstance(block, PolarityBlock):
                arrays[f"words_{i}"] = _pack_strings(block.words)
            elif isinstance(block, MeaningBlock):
                # The table is the same for every model trained from it: one file beside the weights.
                table = directory / WordVectors.FILE
                if not table.exists():
                    block.vectors.save(table)
                spec["vectors"] = WordVectors.FILE
            else:
                arrays[f"vocabulary_{i}"] = _pack_strings(block.vocabulary)
            features.append(spec)
        np.savez_compressed(directory / _ARRAYS, allow_pickle=False, **arrays)
        config = {
            "format": FORMAT_VERSION,
            "labels": self.labels,
            "thresholds": [float(t) for t in self.thresholds],
            "sentiments": list(SENTIMENTS),
            "features": features,
            "info": self.info,
        }
        (directory / _CONFIG).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path | None = None) -> FeedbackModel:
        directory = Path(path) if path is not None else WEIGHTS_DIR
        config = json.loads((directory / _CONFIG).read_text(encoding="utf-8"))
        if config.get("format") not in _READABLE_FORMATS:
            raise ValueError(f"Unsupported model format {config.get('format')!r} in {directory}.")
        with np.load(directory / _ARRAYS, allow_pickle=False) as arrays:
            blocks: list[FeatureBlock] = []
            for i, spec in enumerate(config["features"]):
                values, scale = arrays[f"idf_{i}"], spec["scale"]
                if spec["kind"] == MeaningBlock.kind:
                    blocks.append(MeaningBlock(WordVectors.load(directory / spec["vectors"]), values, scale))
                elif spec["kind"] == PolarityBlock.kind:
                    # Format 3 kept one score per word of the vector table and no words of its own.
                    words = (
                        _unpack_strings(arrays[f"words_{i}"])
                        if f"words_{i}" in arrays
                        else WordVectors.load(directory / spec["vectors"]).words
                    )
                    blocks.append(PolarityBlock(words, values, scale))
                elif spec["kind"] == TopicBlock.kind:
                    blocks.append(TopicBlock(_unpack_strings(arrays[f"vocabulary_{i}"]), scale))
                else:
                    blocks.append(Block(spec["kind"], _unpack_strings(arrays[f"vocabulary_{i}"]), values, scale))
            return cls(
                vectoriser=Vectoriser(blocks),
                labels=config["labels"],
                theme_weights=arrays["theme_weights"],
                theme_bias=arrays["theme_bias"],
                calibration=arrays["calibration"],
                thresholds=np.asarray(config["thresholds"], dtype=np.float32),
                sentiment_weights=arrays["sentiment_weights"],
                sentiment_bias=arrays["sentiment_bias"],
                info=config.get("info", {}),
            )
