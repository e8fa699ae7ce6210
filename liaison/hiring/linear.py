"""Small linear text models in numpy: a sparse feature vocabulary with tf-idf weights, softmax and one-vs-rest
logistic regression trained by L-BFGS, and saving them as ``.npz`` arrays plus a ``.json`` vocabulary.

Deliberately tiny and dependency-free (numpy only) so that the shipped weights load without pickle and a
prediction costs a few dictionary look-ups and one small dot product.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Features = dict[str, float]

# Feature names carry their group as a prefix ("w:" words, "c:" characters, "f:" hand-made, "k:" cue counts).
# Groups in TFIDF_GROUPS are tf-idf weighted and L2-normalised separately; the others are used as given.
TFIDF_GROUPS = ("w", "c")


def _group(name: str) -> str:
    return name.split(":", 1)[0]


class Vectoriser:
    """Maps raw feature counts to a fixed-width vector learned from training documents."""

    def __init__(self, index: dict[str, int], idf: FloatArray) -> None:
        self.index = index
        self.idf = idf
        names = self.names
        groups = sorted({_group(name) for name in names if _group(name) in TFIDF_GROUPS})
        # 0 for features used as given, 1.. for each tf-idf group (normalised separately).
        self._group_of = np.array(
            [groups.index(_group(name)) + 1 if _group(name) in TFIDF_GROUPS else 0 for name in names], dtype=np.int64
        )
        self._n_groups = len(groups)

    @classmethod
    def fit(cls, docs: Sequence[Features], *, min_df: int = 2) -> Vectoriser:
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        names = sorted(name for name, count in df.items() if count >= min_df or _group(name) not in TFIDF_GROUPS)
        n = len(docs)
        idf = np.array(
            [math.log((1 + n) / (1 + df[name])) + 1.0 if _group(name) in TFIDF_GROUPS else 1.0 for name in names],
            dtype=np.float64,
        )
        return cls(index={name: i for i, name in enumerate(names)}, idf=idf)

    @property
    def names(self) -> list[str]:
        return sorted(self.index, key=self.index.__getitem__)

    def sparse(self, doc: Features) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """The non-zero entries of one document's vector as (indices, values)."""
        get = self.index.get
        found = [(i, count) for name, count in doc.items() if count and (i := get(name)) is not None]
        indices = np.array([i for i, _ in found], dtype=np.int64)
        counts = np.array([c for _, c in found], dtype=np.float64)
        groups = self._group_of[indices]
        values = np.where(groups > 0, (1.0 + np.log(np.maximum(counts, 1e-12))) * self.idf[indices], counts)
        for group in range(1, self._n_groups + 1):
            in_group = groups == group
            norm = math.sqrt(float((values[in_group] ** 2).sum()))
            if norm:
                values[in_group] /= norm
        return indices, values

    def dense(self, docs: Sequence[Features]) -> FloatArray:
        matrix = np.zeros((len(docs), len(self.index)), dtype=np.float64)
        for row, doc in enumerate(docs):
            indices, values = self.sparse(doc)
            matrix[row, indices] = values
        return matrix


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run numpy's BLAS on one thread. These matrices are small, and on a busy machine a BLAS thread pool
    spends far longer waiting for its threads than computing (an eigendecomposition went from 0.1 s to 8 s).
    threadpoolctl comes with scikit-learn; without it, this does nothing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _lbfgs(
    fun: Callable[[FloatArray], tuple[float, FloatArray]], x0: FloatArray, *, max_iter: int = 300, memory: int = 10
) -> FloatArray:
    """Minimise a smooth convex function with limited-memory BFGS and a backtracking (Armijo) line search."""
    x = x0
    f, g = fun(x)
    history: list[tuple[FloatArray, FloatArray, float]] = []
    for _ in range(max_iter):
        q = g.copy()
        alphas: list[float] = []
        for s, y, rho in reversed(history):
            a = rho * float(s @ q)
            alphas.append(a)
            q -= a * y
        if history:
            s, y, _ = history[-1]
            q *= float(s @ y) / float(y @ y)
        else:
            q /= max(1.0, float(np.linalg.norm(g)))
        for (s, y, rho), a in zip(history, reversed(alphas), strict=True):
            b = rho * float(y @ q)
            q += (a - b) * s
        direction = -q
        slope = float(g @ direction)
        if slope >= 0:
            direction, slope = -g, -float(g @ g)
        step = 1.0
        while True:
            x_new = x + step * direction
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s, y = x_new - x, g_new - g
        sy = float(s @ y)
        if sy > 1e-12:
            history.append((s, y, 1.0 / sy))
            if len(history) > memory:
                history.pop(0)
        converged = abs(f - f_new) <= 1e-9 * max(1.0, abs(f))
        x, f, g = x_new, f_new, g_new
        if converged or float(np.max(np.abs(g))) < 1e-6:
            break
    return x


def _row_space(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return (phi, back) such that a model trained on phi has the weights ``x.T @ back @ w``.

    An L2-regularised linear model's weights lie in the row space of the training matrix (the representer
    theorem). With x = U S V^T, training on phi = U S (documents x rank) instead of x (documents x
    vocabulary) gives the same model, much faster when the vocabulary outnumbers the documents.
    """
    gram = (x.astype(np.float32) @ x.T.astype(np.float32)).astype(np.float64)
    eigenvalues, vectors = np.linalg.eigh(gram)
    keep = eigenvalues > 1e-9 * max(1.0, float(eigenvalues.max(initial=0.0)))
    sigma = np.sqrt(eigenvalues[keep])
    u = vectors[:, keep]
    return u * sigma, u / sigma


def train_softmax(
    x: FloatArray, y: npt.NDArray[np.int64], n_classes: int, *, l2: float, class_weight: bool = True
) -> tuple[FloatArray, FloatArray]:
    """Multinomial logistic regression; returns (weights vocabulary x classes, bias)."""
    with single_threaded_blas():
        return _train_softmax(x, y, n_classes, l2=l2, class_weight=class_weight)


def _train_softmax(
    x: FloatArray, y: npt.NDArray[np.int64], n_classes: int, *, l2: float, class_weight: bool
) -> tuple[FloatArray, FloatArray]:
    n = x.shape[0]
    phi, back = _row_space(x)
    d = phi.shape[1]
    onehot = np.zeros((n, n_classes))
    onehot[np.arange(n), y] = 1.0
    counts = onehot.sum(axis=0)
    weight = (n / (n_classes * np.maximum(counts, 1.0)))[y] if class_weight else np.ones(n)
    weight = weight / weight.sum()

    def fun(theta: FloatArray) -> tuple[float, FloatArray]:
        w = theta[: d * n_classes].reshape(d, n_classes)
        b = theta[d * n_classes :]
        z = phi @ w + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -float((weight * (logp * onehot).sum(axis=1)).sum()) + 0.5 * l2 * float((w * w).sum())
        residual = (np.exp(logp) - onehot) * weight[:, None]
        grad_w = phi.T @ residual + l2 * w
        return loss, np.concatenate([grad_w.ravel(), residual.sum(axis=0)])

    theta = _lbfgs(fun, np.zeros(d * n_classes + n_classes))
    w = theta[: d * n_classes].reshape(d, n_classes)
    return x.T @ (back @ w), theta[d * n_classes :]


def train_one_vs_rest(x: FloatArray, y: FloatArray, *, l2: float) -> tuple[FloatArray, FloatArray]:
    """Independent logistic regressions, one per column of the 0/1 label matrix y, with positives up-weighted
    to balance each label; returns (weights vocabulary x labels, bias)."""
    with single_threaded_blas():
        return _train_one_vs_rest(x, y, l2=l2)


def _train_one_vs_rest(x: FloatArray, y: FloatArray, *, l2: float) -> tuple[FloatArray, FloatArray]:
    n, k = y.shape
    phi, back = _row_space(x)
    d = phi.shape[1]
    positives = y.sum(axis=0)
    pos_weight = np.where(positives > 0, (n - positives) / np.maximum(positives, 1.0), 1.0)
    weight = np.where(y > 0, pos_weight, 1.0) / n

    def fun(theta: FloatArray) -> tuple[float, FloatArray]:
        w = theta[: d * k].reshape(d, k)
        b = theta[d * k :]
        z = phi @ w + b
        # log(1 + exp(-z)) and log(1 + exp(z)) computed without overflow.
        loss_terms = y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)
        loss = float((weight * loss_terms).sum()) + 0.5 * l2 * float((w * w).sum())
        residual = (1.0 / (1.0 + np.exp(-z)) - y) * weight
        grad_w = phi.T @ residual + l2 * w
        return loss, np.concatenate([grad_w.ravel(), residual.sum(axis=0)])

    theta = _lbfgs(fun, np.zeros(d * k + k))
    w = theta[: d * k].reshape(d, k)
    return x.T @ (back @ w), theta[d * k :]


@dataclass
class LinearModel:
    """A trained linear model over a Vectoriser: scores = x @ weights + bias."""

    vectoriser: Vectoriser
    weights: FloatArray
    bias: FloatArray
    labels: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, FloatArray] = field(default_factory=dict)  # other learned arrays (e.g. transitions)

    def scores(self, doc: Features) -> FloatArray:
        indices, values = self.vectoriser.sparse(doc)
        return np.asarray(values @ self.weights[indices] + self.bias, dtype=np.float64)

    def save(self, stem: Path) -> None:
        """Write ``stem.npz`` (weights, bias, idf) and ``stem.json`` (labels, feature names, metadata)."""
        arrays: dict[str, Any] = {
            "weights": self.weights,
            "bias": self.bias,
            "idf": self.vectoriser.idf,
            **{f"extra_{name}": array for name, array in self.extras.items()},
        }
        np.savez_compressed(stem.with_suffix(".npz"), **{name: a.astype(np.float32) for name, a in arrays.items()})
        payload = {"labels": self.labels, "features": self.vectoriser.names, "meta": self.meta}
        stem.with_suffix(".json").write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n")

    @classmethod
    def load(cls, stem: Path) -> LinearModel:
        payload = json.loads(stem.with_suffix(".json").read_text())
        with np.load(stem.with_suffix(".npz"), allow_pickle=False) as arrays:
            weights = arrays["weights"].astype(np.float64)
            bias = arrays["bias"].astype(np.float64)
            idf = arrays["idf"].astype(np.float64)
            extras = {
                name.removeprefix("extra_"): arrays[name].astype(np.float64)
                for name in arrays.files
                if name.startswith("extra_")
            }
        names: list[str] = payload["features"]
        if weights.shape != (len(names), len(payload["labels"])):
            raise ValueError(f"{stem}: weights and feature list do not match; run 'liaison hiring train'.")
        vectoriser = Vectoriser(index={name: i for i, name in enumerate(names)}, idf=idf)
        return cls(
            vectoriser=vectoriser,
            weights=weights,
            bias=bias,
            labels=payload["labels"],
            meta=payload["meta"],
            extras=extras,
        )


def softmax(scores: FloatArray) -> FloatArray:
    z = np.exp(scores - scores.max())
    return np.asarray(z / z.sum(), dtype=np.float64)


def sigmoid(scores: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-scores)), dtype=np.float64)


def precision_recall_f1(gold: Iterable[bool], predicted: Iterable[bool]) -> dict[str, float | int]:
    tp = fp = fn = 0
    for g, p in zip(gold, predicted, strict=True):
        tp += g and p
        fp += p and not g
        fn += g and not p
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "support": tp + fn}
