"""Officers' corrections, for the next training run (`liaison feedback train --with-corrections`), and the
before/after measure of what they change."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.utils import timezone

from liaison.feedback.models import FeedbackResponse


def load_corrections(*, with_context: bool = False) -> Iterator[tuple[Any, ...]]:
    """(text, themes, sentiment) for each corrected answer, oldest first; ``with_context`` adds the
    ``Context`` (question and FFT score) the model reads beside the text, so training and measuring see the
    answer as the model saw it."""
    rows = (
        FeedbackResponse.objects.filter(corrected_at__isnull=False)
        .exclude(comment="")
        .order_by("pk")
        .values_list("comment", "themes", "sentiment", "comment_question", "fft_score")
    )
    if with_context:
        from liaison.feedback.analysis.text import Context  # numpy: only where the model runs

    for text, themes, sentiment, question, fft_score in rows.iterator():
        if with_context:
            yield text, list(themes or []), sentiment, Context(question=question, fft_score=fft_score)
        else:
            yield text, list(themes or []), sentiment


def corrections_before_after(
    before: Any,
    data: str | Path,
    corrections: Sequence[tuple[Any, ...]],
    *,
    folds: int = 5,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """How far the model agrees with the officers' corrections before and after retraining with them.

    Before: ``before`` (the model in use) on every corrected answer. After: for each of ``folds`` parts of the
    corrections, a model trained on ``data`` plus the other parts scores the part it did not see, so no answer
    is judged by a model that learnt it. Themes as micro F1, sentiment as the share the same (on corrections
    with a sentiment). Each fold is one training run.
    """
    from liaison.feedback.analysis.evaluate import sentiment_metrics, theme_metrics
    from liaison.feedback.analysis.text import Context
    from liaison.feedback.analysis.train import train

    n = len(corrections)
    folds = max(2, min(folds, n))
    texts = [str(c[0]) for c in corrections]
    contexts = [c[3] if len(c) > 3 else Context() for c in corrections]
    labels = list(before.labels)
    truth_themes = _theme_matrix([c[1] for c in corrections], labels)
    truth_sentiment = [int(c[2]) if c[2] else 0 for c in corrections]

    order = list(range(n))
    random.Random(seed).shuffle(order)  # noqa: S311  (which fold an answer falls in, not a secret)
    fold_of = {row: i % folds for i, row in enumerate(order)}
    predicted_after: list[Any] = [None] * n
    for fold in range(folds):
        held_out = [i for i in range(n) if fold_of[i] == fold]
        model = train(data, [corrections[i] for i in range(n) if fold_of[i] != fold])
        for i, prediction in zip(
            held_out, model.predict([texts[i] for i in held_out], [contexts[i] for i in held_out]), strict=True
        ):
            predicted_after[i] = prediction
        if progress is not None:
            progress(fold + 1)
    predicted_before = before.predict(texts, contexts)

    def scores(predictions: Sequence[Any]) -> dict[str, Any]:
        import numpy as np

        themes = theme_metrics(
            np.asarray(truth_themes, dtype=np.int8),
            np.asarray(_theme_matrix([p.themes for p in predictions], labels), dtype=bool),
            labels,
        )
        sentiment = sentiment_metrics(
            np.asarray(truth_sentiment, dtype=np.int64), np.asarray([p.sentiment for p in predictions], dtype=np.int64)
        )
        return {
            "theme_micro_f1": round(float(themes["theme_micro_f1"]), 4),
            "sentiment_accuracy": round(float(sentiment["sentiment_accuracy"]), 4),
            "sentiment_rows": int(sentiment["sentiment_rows"]),
        }

    return {
        "corrections": n,
        "folds": folds,
        "data": Path(data).name,
        "measured_on": timezone.localdate().isoformat(),
        "before": scores(predicted_before),
        "after": scores(predicted_after),
        "before_model_had_corrections": int(before.info.get("corrections", 0) or 0),
        "method": (
            "Before: the model in use, on every corrected answer. After: retrained on the data with all but one "
            f"fold of the corrections ({folds} folds), each fold scored by the model that did not see it."
        ),
    }


def _theme_matrix(rows: Sequence[Sequence[str]], labels: list[str]) -> list[list[int]]:
    position = {label: j for j, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in rows]
    for i, themes in enumerate(rows):
        for theme in themes:
            if theme in position:
                matrix[i][position[theme]] = 1
    return matrix
