"""Reading labelled feedback in the shared CSV layout (NHS "Patient Experience Qualitative Data
Categorisation" export): the text in ``FFT answer``, sentiment in ``Comment sentiment`` (1 very positive …
5 very negative, blank when not labelled), then one column per theme holding 1 when it applies.
The context, where the file has it: the prompt in ``FFT question`` and the score in ``FFT categorical answer``
(1 very good … 6 don't know; other values are read as no score).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from liaison.feedback.analysis.text import NO_CONTEXT, Context

TEXT_COLUMN = "FFT answer"
SENTIMENT_COLUMN = "Comment sentiment"
QUESTION_COLUMN = "FFT question"
SCORE_COLUMN = "FFT categorical answer"
GROUP_COLUMN = "Trust"


@dataclass
class LabelledData:
    texts: list[str]
    themes: npt.NDArray[np.int8]  # (rows, labels), 1 where the theme applies
    sentiments: npt.NDArray[np.int64]  # 1..5, 0 where not labelled
    labels: list[str]
    contexts: list[Context] = field(default_factory=list)
    # Where each row came from (the shared file's ``Trust``), for train-on-one, test-on-the-other checks.
    groups: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.contexts:
            self.contexts = [NO_CONTEXT] * len(self.texts)
        if not self.groups:
            self.groups = [""] * len(self.texts)
        if len(self.contexts) != len(self.texts) or len(self.groups) != len(self.texts):
            raise ValueError("Each text needs one context and one group.")

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, rows: npt.NDArray[np.int64]) -> LabelledData:
        return LabelledData(
            [self.texts[i] for i in rows],
            self.themes[rows],
            self.sentiments[rows],
            self.labels,
            [self.contexts[i] for i in rows],
            [self.groups[i] for i in rows],
        )


def _sentiment(value: str, row_number: int) -> int:
    value = value.strip()
    if not value:
        return 0
    try:
        sentiment = int(float(value))
    except ValueError:
        raise ValueError(f"Row {row_number}: sentiment {value!r} is not a number.") from None
    if not 1 <= sentiment <= 5:
        raise ValueError(f"Row {row_number}: sentiment {sentiment} is outside 1..5.")
    return sentiment


def _score(value: str | None) -> int | None:
    try:
        score = int(float((value or "").strip()))
    except ValueError:
        return None
    return score if 1 <= score <= 6 else None


def read_labelled_csv(path: str | Path, labels: Sequence[str]) -> LabelledData:
    """Rows with an empty text are skipped; a blank sentiment is kept as 0 (not labelled)."""
    with Path(path).open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = set(reader.fieldnames or ())
        missing = [c for c in (TEXT_COLUMN, SENTIMENT_COLUMN, *labels) if c not in columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(repr(c) for c in missing)}.")
        texts: list[str] = []
        themes: list[list[int]] = []
        sentiments: list[int] = []
        contexts: list[Context] = []
        groups: list[str] = []
        for row_number, row in enumerate(reader, start=2):
            text = (row[TEXT_COLUMN] or "").strip()
            if not text:
                continue
            texts.append(text)
            themes.append([1 if (row[label] or "").strip() not in ("", "0") else 0 for label in labels])
            sentiments.append(_sentiment(row[SENTIMENT_COLUMN] or "", row_number))
            contexts.append(Context(question=row.get(QUESTION_COLUMN) or "", fft_score=_score(row.get(SCORE_COLUMN))))
            groups.append((row.get(GROUP_COLUMN) or "").strip())
    return LabelledData(
        texts=texts,
        themes=np.array(themes, dtype=np.int8).reshape(len(texts), len(labels)),
        sentiments=np.array(sentiments, dtype=np.int64),
        labels=list(labels),
        contexts=contexts,
        groups=groups,
    )
