"""Measuring the feedback classifier: theme F1 (macro and micro over the labels), sentiment, polarity and speed.

Besides fit on held-out rows of the same data, two checks of how it generalises: each comment scored again
without its context and with a differently worded question ("views"), and a model trained on one group of
rows (one trust) scored on the other (``train_on_each_group``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from liaison.feedback.analysis.data import LabelledData, read_labelled_csv
from liaison.feedback.analysis.folds import stratified_folds
from liaison.feedback.analysis.labels import SENTIMENTS, THEME_LABELS
from liaison.feedback.analysis.model import FeedbackModel
from liaison.feedback.analysis.text import NO_CONTEXT, Context
from liaison.feedback.analysis.train import COMBINED_QUESTION, TrainConfig, fit_data


def _ratio(a: float, b: float) -> float:
    # As scikit-learn's zero_division=0: a label never predicted and never present scores 0.
    return float(a / b) if b else 0.0


def theme_metrics(truth: npt.NDArray[np.int8], predicted: npt.NDArray[np.bool_], labels: list[str]) -> dict[str, Any]:
    t = truth.astype(bool)
    tp = (t & predicted).sum(axis=0)
    fp = (~t & predicted).sum(axis=0)
    fn = (t & ~predicted).sum(axis=0)
    per_label = [
        {
            "label": label,
            "precision": _ratio(tp[j], tp[j] + fp[j]),
            "recall": _ratio(tp[j], tp[j] + fn[j]),
            "f1": _ratio(2 * tp[j], 2 * tp[j] + fp[j] + fn[j]),
            "support": int(t[:, j].sum()),
        }
        for j, label in enumerate(labels)
    ]
    return {
        "theme_macro_f1": float(np.mean([row["f1"] for row in per_label])) if per_label else 0.0,
        "theme_micro_f1": _ratio(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum()),
        "per_label": per_label,
    }


def polarity(sentiments: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """1–2 positive (0), 3 mixed (1), 4–5 negative (2): what a manager reads first."""
    return np.select([sentiments <= 2, sentiments == 3], [0, 1], 2)


def sentiment_metrics(truth: npt.NDArray[np.int64], predicted: npt.NDArray[np.int64]) -> dict[str, Any]:
    labelled = truth > 0
    t, p = truth[labelled], predicted[labelled]
    present = [c for c in SENTIMENTS if (t == c).any() or (p == c).any()]
    f1 = [_ratio(2 * ((t == c) & (p == c)).sum(), (t == c).sum() + (p == c).sum()) for c in present]
    return {
        "sentiment_accuracy": _ratio((t == p).sum(), len(t)),
        "sentiment_macro_f1": float(np.mean(f1)) if f1 else 0.0,
        "polarity_accuracy": _ratio((polarity(t) == polarity(p)).sum(), len(t)),
        "sentiment_rows": int(labelled.sum()),
    }


# Each test row is also scored as it would arrive elsewhere: bare, and under the demo survey's one question.
VIEWS: dict[str, Callable[[Context], Context]] = {
    "with_context": lambda context: context,
    "without_context": lambda context: NO_CONTEXT,
    "combined_question": lambda context: Context(question=COMBINED_QUESTION, fft_score=context.fft_score),
}
SUMMARY_KEYS = ("theme_macro_f1", "theme_micro_f1", "sentiment_accuracy", "sentiment_macro_f1", "polarity_accuracy")


def evaluate_views(
    model: FeedbackModel, data: LabelledData, *, keep_predictions: bool = False
) -> dict[str, dict[str, Any]]:
    """``evaluate_data`` once per view of the rows' contexts."""
    results = {}
    for name, view in VIEWS.items():
        viewed = LabelledData(
            data.texts, data.themes, data.sentiments, data.labels, [view(c) for c in data.contexts], data.groups
        )
        results[name] = evaluate_data(model, viewed, keep_predictions=keep_predictions)
    return results


def evaluate_data(model: FeedbackModel, data: LabelledData, *, keep_predictions: bool = False) -> dict[str, Any]:
    """Theme and sentiment figures of ``model`` on ``data``; ``keep_predictions`` adds the theme decisions
    (rows × labels, under ``predicted_themes``), which are not JSON."""
    started = time.perf_counter()
    predictions = model.predict(data.texts, data.contexts)
    seconds = time.perf_counter() - started
    position = {label: j for j, label in enumerate(data.labels)}
    predicted = np.zeros(data.themes.shape, dtype=bool)
    for i, prediction in enumerate(predictions):
        for theme in prediction.themes:
            if theme in position:
                predicted[i, position[theme]] = True
    sentiments = np.array([p.sentiment for p in predictions], dtype=np.int64)
    themes = theme_metrics(data.themes, predicted, data.labels)
    result = {
        "theme_macro_f1": themes["theme_macro_f1"],
        "theme_micro_f1": themes["theme_micro_f1"],
        **sentiment_metrics(data.sentiments, sentiments),
        "comments_per_second": len(data) / seconds if seconds > 0 else float("inf"),
        "rows": len(data),
        "per_label": themes["per_label"],
    }
    if keep_predictions:
        result["predicted_themes"] = predicted
    return result


def evaluate(model: FeedbackModel, csv_path: str | Path) -> dict[str, Any]:
    """Score ``model`` on a labelled CSV in the shared layout (its texts, themes and sentiments)."""
    return evaluate_data(model, read_labelled_csv(csv_path, model.labels))


def _mean_of(results: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, float]:
    return {key: float(np.mean([r[key] for r in results])) for key in keys}


def cross_validate(
    csv_path: str | Path,
    folds: int = 5,
    seed: int = 0,
    *,
    config: TrainConfig | None = None,
    labels: list[str] | None = None,
) -> dict[str, Any]:
    """Train on all folds but one, score on that one, and average; folds balance themes and sentiments.

    The top-level figures score the test rows with their context; ``views`` has the same figures for each view.
    """
    data = read_labelled_csv(csv_path, labels or list(THEME_LABELS))
    sentiment_columns = (data.sentiments[:, None] == np.array(SENTIMENTS)).astype(np.int8)
    fold = stratified_folds(np.hstack([data.themes, sentiment_columns]), folds, seed=seed)
    results = []
    views: dict[str, list[dict[str, Any]]] = {name: [] for name in VIEWS}
    predicted = np.zeros(data.themes.shape, dtype=bool)
    for f in range(folds):
        train_rows, test_rows = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        started = time.perf_counter()
        model = fit_data(data.subset(train_rows), config)
        train_seconds = time.perf_counter() - started
        viewed = evaluate_views(model, data.subset(test_rows), keep_predictions=True)
        for name, result in viewed.items():
            views[name].append(result)
        result = viewed["with_context"]
        predicted[test_rows] = result["predicted_themes"]
        result["train_seconds"] = train_seconds
        results.append(result)
    keys = (*SUMMARY_KEYS, "comments_per_second", "train_seconds")
    summary: dict[str, Any] = _mean_of(results, keys)
    summary.update({f"{key}_std": float(np.std([r[key] for r in results])) for key in SUMMARY_KEYS})
    summary["views"] = {name: _mean_of(rows, SUMMARY_KEYS) for name, rows in views.items()}
    summary["folds"] = folds
    summary["seed"] = seed
    summary["rows"] = len(data)
    summary["per_fold"] = [{key: r[key] for key in keys} for r in results]
    summary["per_label"] = [
        {
            "label": label,
            **{m: float(np.mean([r["per_label"][j][m] for r in results])) for m in ("precision", "recall", "f1")},
            "support": int(sum(r["per_label"][j]["support"] for r in results)),
        }
        for j, label in enumerate(data.labels)
    ]
    if len(set(data.groups) - {""}) >= 2:
        summary["unseen_in_other_groups"] = unseen_in_other_groups(data, predicted)
    return summary


def unseen_in_other_groups(data: LabelledData, predicted: npt.NDArray[np.bool_]) -> dict[str, Any]:
    """For each group (trust): how much of what it writes about no other group's rows ever do, and what that
    alone costs a model trained on the other groups.

    ``predicted`` are cross-validated theme decisions for every row. On each group's rows, ``theme_micro_f1``
    scores them as they are, and ``theme_micro_f1_without_unseen`` with the labels the other groups never use
    taken out: a model that learns only from the other groups cannot give those labels, however good it is at
    the rest. So even a model as good as the cross-validated one on every other label would score no more than
    that on the group when trained on the others.
    """
    names = np.asarray(data.groups)
    out: dict[str, Any] = {}
    for group in sorted(set(data.groups) - {""}):
        rows = names == group
        truth = data.themes[rows]
        unseen = (data.themes[(names != group) & (names != "")].sum(axis=0) == 0) & (truth.sum(axis=0) > 0)
        kept = predicted[rows] & ~unseen
        out[group] = {
            "labels_unseen_in_other_groups": [label for label, on in zip(data.labels, unseen, strict=True) if on],
            "share_of_its_labels_unseen": _ratio(truth[:, unseen].sum(), truth.sum()),
            "theme_micro_f1": theme_metrics(truth, predicted[rows], data.labels)["theme_micro_f1"],
            "theme_micro_f1_without_unseen": theme_metrics(truth, kept, data.labels)["theme_micro_f1"],
        }
    return out


def train_on_each_group(
    csv_path: str | Path, *, config: TrainConfig | None = None, labels: list[str] | None = None
) -> dict[str, Any]:
    """For each group (trust) in the file: train on every other group's rows, score on this group's rows.

    Labels a group never uses are left out of its macro F1 (a trust's services decide which themes occur).
    """
    data = read_labelled_csv(csv_path, labels or list(THEME_LABELS))
    groups = sorted(set(data.groups) - {""})
    if len(groups) < 2:
        raise ValueError("Group-wise evaluation needs at least two groups (trusts) in the file.")
    names = np.asarray(data.groups)
    out: dict[str, Any] = {}
    for group in groups:
        test_rows, train_rows = np.flatnonzero(names == group), np.flatnonzero(names != group)
        model = fit_data(data.subset(train_rows), config)
        test = data.subset(test_rows)
        present = test.themes.sum(axis=0) > 0
        viewed = evaluate_views(model, test)
        out[group] = {
            "train_rows": len(train_rows),
            "test_rows": len(test_rows),
            "labels_present": int(present.sum()),
            **{
                name: {
                    **{key: result[key] for key in SUMMARY_KEYS},
                    "theme_macro_f1_present_labels": float(
                        np.mean([row["f1"] for row, on in zip(result["per_label"], present, strict=True) if on])
                    ),
                }
                for name, result in viewed.items()
            },
        }
    return out
