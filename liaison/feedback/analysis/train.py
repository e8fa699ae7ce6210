"""Training the feedback classifier (scikit-learn is used here only; the result is plain arrays).

Both heads read one set of features (``text.Vectoriser``): word and character TF-IDF, the meaning of the words
(distilled word vectors), their polarity, the words a negation turns around, the answer's context (question
kind and FFT score), its tone (sentiment only) and the words listed for each theme (themes only). Each head may
weigh a block more than its base scale (``TrainConfig.theme_factors``, ``sentiment_factors``); the factor is
folded into that head's weights, so prediction needs no change.

Themes: ridge regression on ±1 targets, all 41 labels at once, on each comment as it came.
Out-of-fold scores from an inner cross-validation give, per label, a logistic calibration and a threshold
that balances the label's own F1 against its share of the micro F1.
Sentiment: multinomial logistic regression on rows that have a sentiment, each seen twice (context dropout):
as it came and bare, so that a comment with no question or score still reads by its words."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from liaison.feedback.analysis.data import LabelledData, read_labelled_csv
from liaison.feedback.analysis.folds import stratified_folds
from liaison.feedback.analysis.labels import SENTIMENTS, THEME_LABELS
from liaison.feedback.analysis.lexicon import POLARITY
from liaison.feedback.analysis.model import WEIGHTS_DIR, FeedbackModel
from liaison.feedback.analysis.text import (
    DEFAULT_BLOCKS,
    NO_CONTEXT,
    Context,
    SparseRows,
    Vectoriser,
    WordVectors,
    normalise,
    question_kind,
)

# (text, theme names, sentiment 1..5 or None[, context]): what an officer said the answer is about.
Correction = tuple[str, Iterable[str], int | None] | tuple[str, Iterable[str], int | None, Context]


@dataclass(frozen=True)
class TrainConfig:
    min_df: int = 2
    ridge_alpha: float = 1.0
    # Regularisation of the sentiment head (inverse strength): 0.5 beat 1 and 2 by cross-validation.
    sentiment_c: float = 0.5
    inner_folds: int = 5
    # 0 tunes each threshold for that label's F1 alone (macro F1); 1 for the pooled, micro F1.
    micro_weight: float = 0.5
    seed: int = 0
    # Each comment is also learned without its question and score (by the sentiment head; themes too with
    # theme_dropout), so that the words carry their own meaning when a comment arrives bare (a card, an email).
    context_dropout: bool = True
    # With context dropout, also one other form of each context (question alone, score alone, combined question).
    # For themes it was 0.006 lower on macro F1; for sentiment alone the hand-written comments read better but
    # five-way accuracy fell 0.003 (docs/feedback-model.md).
    other_form: bool = False
    # The distilled word vectors (the "meaning" block); False trains on n-grams and context alone.
    word_vectors: bool = True
    # Feature blocks and their weights (see text.DEFAULT_BLOCKS).
    blocks: tuple[tuple[str, float], ...] = DEFAULT_BLOCKS
    # How much more some blocks weigh for themes, and for sentiment, than their scale in ``blocks``: the heads
    # share one set of features, and a block's weight for one head is folded into that head's weights.
    # Themes leave the tone block out: read by them it raised cross-validated macro F1 0.557 → 0.562 but lowered
    # theme micro F1 on the other trust 0.445 → 0.417 (docs/feedback-model.md).
    theme_factors: tuple[tuple[str, float], ...] = (("context", 2.0), ("question_words", 2.0), ("tone", 0.0))
    # Sentiment leaves the topics block out: it says what a comment is about, not how it feels.
    sentiment_factors: tuple[tuple[str, float], ...] = (("context", 1.5), ("question_words", 1.5), ("topics", 0.0))
    # Whether themes also learn from the bare forms (sentiment always does, with context dropout on). Off: the
    # themes of a bare comment were as good either way (micro F1 within 0.01), and on, the themes of comments
    # with context were worse than before issue #16.
    theme_dropout: bool = False
    # Each word and phrase of the lexicon also taught to the sentiment head as a comment of its own (praise as
    # 1, complaint as 4), with this weight against a training comment (0: not at all). The training comments
    # have few one-word complaints, and without these "Awful." read as mixed or even as praise (its character
    # n-grams are those of "wonderful" and "helpful").
    lexicon_examples: float = 1.0


LEXICON_PRAISE, LEXICON_COMPLAINT = 1, 4  # the commonest positive and negative sentiment in the training data
# Another way a survey may ask: the demo survey's one question for both sides.
COMBINED_QUESTION = "What was good, and what could we do better?"


def with_context_dropout(
    data: LabelledData, seed: int = 0, other_form: bool = True
) -> tuple[LabelledData, npt.NDArray[np.int64]]:
    """Each row as it came, bare (no question, no score), and with one other form of its context.

    The other form is picked at random: the question without the score, the score without the question, or the
    combined good-and-better question with the score. Returns the longer data and, for each of its rows, the
    row it came from (so folds keep a comment's forms together).
    """
    rng = np.random.default_rng(seed)
    source: list[int] = []
    contexts: list[Context] = []
    for i, context in enumerate(data.contexts):
        source.append(i)
        contexts.append(context)
        if context == NO_CONTEXT:
            continue
        source.append(i)
        contexts.append(NO_CONTEXT)
        if not other_form:
            continue
        options = [Context(question=COMBINED_QUESTION, fft_score=context.fft_score)]
        if context.question and context.fft_score is not None:
            options += [Context(question=context.question), Context(fft_score=context.fft_score)]
        source.append(i)
        contexts.append(options[int(rng.integers(len(options)))])
    rows = np.asarray(source, dtype=np.int64)
    longer = data.subset(rows)
    longer.contexts = contexts
    return longer, rows


def shipped_word_vectors() -> WordVectors | None:
    path = WEIGHTS_DIR / WordVectors.FILE
    return WordVectors.load(path) if path.exists() else None


def _csr(rows: SparseRows) -> sp.csr_matrix:
    return sp.csr_matrix((rows.data, rows.indices, rows.indptr), shape=(rows.rows, rows.width))


def apply_corrections(data: LabelledData, corrections: Iterable[Correction]) -> tuple[LabelledData, dict[str, int]]:
    """Officers' corrections win: a correction replaces every row with the same text, else it is added.

    A correction made on an answer to a known kind of question replaces only rows answering that kind of
    question ("Nothing." under "What was good?" is not "Nothing." under "What could we do better?").
    """
    position = {label: j for j, label in enumerate(data.labels)}
    latest: dict[tuple[str, str], tuple[str, npt.NDArray[np.int8], int, Context]] = {}
    unknown = 0
    for correction in corrections:
        text, themes, sentiment = correction[0], correction[1], correction[2]
        context = correction[3] if len(correction) > 3 else NO_CONTEXT
        text = (text or "").strip()
        if not text:
            continue
        row = np.zeros(len(data.labels), dtype=np.int8)
        for theme in themes:
            if theme in position:
                row[position[theme]] = 1
            else:
                unknown += 1
        key = (normalise(text), question_kind(context.question))
        latest[key] = (text, row, int(sentiment) if sentiment in SENTIMENTS else 0, context)
    texts = list(data.texts)
    contexts = list(data.contexts)
    themes_matrix = data.themes.copy()
    sentiments = data.sentiments.copy()
    replaced_rows = 0
    used: set[tuple[str, str]] = set()
    for i, text in enumerate(texts):
        normalised = normalise(text)
        for key in ((normalised, question_kind(contexts[i].question)), (normalised, "")):
            if key in latest:
                _, row, sentiment, _ = latest[key]
                themes_matrix[i] = row
                sentiments[i] = sentiment
                replaced_rows += 1
                used.add(key)
                break
    added = [value for key, value in latest.items() if key not in used]
    if added:
        texts += [text for text, _, _, _ in added]
        contexts += [context for _, _, _, context in added]
        themes_matrix = np.vstack([themes_matrix, np.array([row for _, row, _, _ in added], dtype=np.int8)])
        sentiments = np.concatenate([sentiments, np.array([s for _, _, s, _ in added], dtype=np.int64)])
    stats = {
        "corrections": len(latest),
        "corrections_replacing_rows": len(used),
        "rows_replaced": replaced_rows,
        "corrections_added": len(added),
        "unknown_theme_names": unknown,
    }
    return LabelledData(texts, themes_matrix, sentiments, data.labels, contexts), stats


@dataclass(frozen=True)
class _Linear:
    coef: npt.NDArray[np.float64]  # (features, targets)
    intercept: npt.NDArray[np.float64]

    def predict(self, x: sp.csr_matrix) -> npt.NDArray[np.float64]:
        return np.asarray(x @ self.coef) + self.intercept


def ridge(x: sp.csr_matrix, y: npt.NDArray[Any], alpha: float, tol: float = 1e-4, max_iter: int = 500) -> _Linear:
    """Ridge regression for every target at once, by conjugate gradients on the normal equations.

    The same solution as scikit-learn's ``Ridge`` (unpenalised intercept, columns centred implicitly so X stays
    sparse), but each iteration multiplies X by all targets together rather than once per target: about four
    times faster with 41 labels.
    """
    y = np.asarray(y, dtype=np.float64)
    mean_x = np.asarray(x.mean(axis=0)).ravel()
    mean_y = y.mean(axis=0)
    centred = y - mean_y
    xt = x.T.tocsr()

    def normal(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        xp = x @ p - (mean_x @ p)[None, :]
        return np.asarray(xt @ xp - np.outer(mean_x, xp.sum(axis=0)) + alpha * p)

    b = np.asarray(xt @ centred - np.outer(mean_x, centred.sum(axis=0)))
    w = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rs = (r * r).sum(axis=0)
    scale = np.sqrt(rs)
    scale[scale == 0] = 1.0
    for _ in range(max_iter):
        ap = normal(p)
        step = rs / np.maximum((p * ap).sum(axis=0), 1e-30)
        w += p * step
        r -= ap * step
        new = (r * r).sum(axis=0)
        if np.all(np.sqrt(new) / scale < tol):
            break
        p = r + p * (new / np.maximum(rs, 1e-30))
        rs = new
    return _Linear(w, mean_y - mean_x @ w)


def _best_threshold(
    y: npt.NDArray[np.int8], s: npt.NDArray[np.float64], f_star: float, pooled: float, k: int, w: float
) -> float:
    """The score cut that maximises (1-w)·F1/k + w·(micro gain)/pooled for one label.

    Micro F1 rises when 2·TP·(1-F*) - F*·(FP+FN) rises (F* the current micro F1), so that is the label's
    share of it; ``pooled`` (2TP+FP+FN over all labels) puts both terms on the macro/micro scale.
    """
    order = np.argsort(-s, kind="stable")
    ys, ss = y[order].astype(np.float64), s[order]
    positives = ys.sum()
    tp = np.cumsum(ys)
    taken = np.arange(1, len(ys) + 1)
    fp, fn = taken - tp, positives - tp
    f1 = 2 * tp / (taken + positives)
    gain = 2 * tp * (1 - f_star) - f_star * (fp + fn)
    objective = (1 - w) * f1 / k + w * gain / pooled
    # Only cut between distinct scores.
    distinct = np.append(ss[:-1] > ss[1:], True)
    objective = np.where(distinct, objective, -np.inf)
    none = w * (-f_star * positives) / pooled
    i = int(np.argmax(objective))
    if none >= objective[i]:
        return float(ss[0] + 1.0)
    return float((ss[i] + ss[i + 1]) / 2) if i + 1 < len(ss) else float(ss[i] - 1e-6)


def tune_thresholds(
    targets: npt.NDArray[np.int8], scores: npt.NDArray[np.float64], micro_weight: float
) -> npt.NDArray[np.float64]:
    k = targets.shape[1]
    # First pass: each label for its own F1; that fixes the micro F1 the second pass weighs against.
    first = np.array([_best_threshold(targets[:, j], scores[:, j], 0.0, 1.0, k, 0.0) for j in range(k)])
    predicted = scores > first
    truth = targets.astype(bool)
    tp = (predicted & truth).sum()
    pooled = float(2 * tp + (predicted & ~truth).sum() + (~predicted & truth).sum()) or 1.0
    f_star = 2 * tp / pooled
    return np.array([_best_threshold(targets[:, j], scores[:, j], f_star, pooled, k, micro_weight) for j in range(k)])


def _calibrate(y: npt.NDArray[np.int8], s: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Platt scaling of out-of-fold scores into probabilities; slope kept positive so ranks survive."""
    if y.min() == y.max():
        return 1.0, 0.0
    fit = LogisticRegression(C=100.0).fit(s.reshape(-1, 1), y)
    slope = max(float(fit.coef_[0, 0]), 1e-3)
    return slope, float(fit.intercept_[0])


def _first_forms(source: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """True for each comment's first form (as it came), False for the forms context dropout added."""
    first = np.ones(len(source), dtype=bool)
    first[1:] = source[1:] != source[:-1]
    return first


def _column_scale(vectoriser: Vectoriser, factors: Sequence[tuple[str, float]]) -> npt.NDArray[np.float64]:
    """One factor per column: the factor given for its block's kind, else 1."""
    by_kind = dict(factors)
    scale = np.ones(vectoriser.width, dtype=np.float64)
    offset = 0
    for block in vectoriser.blocks:
        scale[offset : offset + block.width] = by_kind.get(block.kind, 1.0)
        offset += block.width
    return scale


def fit_data(data: LabelledData, config: TrainConfig | None = None) -> FeedbackModel:
    config = config or TrainConfig()
    if len(data) == 0:
        raise ValueError("No rows with text to train on.")
    original = data
    # The vocabulary and idf come from the comments as given; the extra forms only change the context.
    vectoriser = Vectoriser.fit(
        original.texts,
        original.contexts,
        blocks=config.blocks,
        min_df=config.min_df,
        word_vectors=shipped_word_vectors() if config.word_vectors else None,
    )
    if vectoriser.width == 0:
        raise ValueError(f"Too little text to learn from: no word appears in {config.min_df} comments.")
    if config.context_dropout:
        data, source = with_context_dropout(original, config.seed, config.other_form)
    else:
        source = np.arange(len(original), dtype=np.int64)
    x = _csr(vectoriser.transform(data.texts, data.contexts))
    # Themes learn from every form of each comment, or (theme_dropout off) from each comment as it came.
    theme_rows = np.ones(len(source), dtype=bool) if config.theme_dropout else _first_forms(source)
    targets = data.themes[theme_rows]
    k = targets.shape[1]
    theme_scale = _column_scale(vectoriser, config.theme_factors)
    x_theme = (x @ sp.diags(theme_scale))[theme_rows]

    # Out-of-fold scores for calibration and thresholds; every form of a comment sits in the same fold.
    folds = min(config.inner_folds, len(original))
    fold = stratified_folds(original.themes, folds, seed=config.seed)[source][theme_rows]
    oof = np.zeros(targets.shape, dtype=np.float64)
    for f in range(folds):
        train, held = fold != f, fold == f
        if held.any() and train.any():
            fold_fit = ridge(x_theme[train], targets[train] * 2.0 - 1.0, config.ridge_alpha)
            oof[held] = fold_fit.predict(x_theme[held]).reshape(-1, k)
    thresholds = tune_thresholds(targets, oof, config.micro_weight)
    calibration = np.array([_calibrate(targets[:, j], oof[:, j]) for j in range(k)], dtype=np.float64)
    probability_thresholds = 1.0 / (1.0 + np.exp(-(thresholds * calibration[:, 0] + calibration[:, 1])))

    fitted = ridge(x_theme, targets * 2.0 - 1.0, config.ridge_alpha)
    theme_weights = (np.asarray(fitted.coef).reshape(-1, k) * theme_scale[:, None]).astype(np.float32)
    theme_bias = np.asarray(fitted.intercept, dtype=np.float32).reshape(k)

    sentiment_weights = np.zeros((x.shape[1], len(SENTIMENTS)), dtype=np.float32)
    sentiment_bias = np.full(len(SENTIMENTS), -1e3, dtype=np.float32)
    labelled = data.sentiments > 0
    classes = sorted(set(data.sentiments[labelled].tolist()))
    if len(classes) == 1:
        sentiment_bias[SENTIMENTS.index(classes[0])] = 0.0
    elif classes:
        column_scale = _column_scale(vectoriser, config.sentiment_factors)
        x_sentiment, y_sentiment = x[labelled], data.sentiments[labelled]
        weights = np.ones(len(y_sentiment))
        if config.lexicon_examples and set(classes) >= {LEXICON_PRAISE, LEXICON_COMPLAINT}:
            words = sorted(POLARITY)
            x_words = _csr(vectoriser.transform(words, [NO_CONTEXT] * len(words)))
            y_words = np.array([LEXICON_PRAISE if POLARITY[w] > 0 else LEXICON_COMPLAINT for w in words])
            x_sentiment = sp.vstack([x_sentiment, x_words], format="csr")
            y_sentiment = np.concatenate([y_sentiment, y_words])
            weights = np.concatenate([weights, np.full(len(words), config.lexicon_examples)])
        x_sentiment = x_sentiment @ sp.diags(column_scale)
        clf = LogisticRegression(C=config.sentiment_c, max_iter=1000)
        clf.fit(x_sentiment, y_sentiment, sample_weight=weights)
        for row, cls in enumerate(clf.classes_):
            column = SENTIMENTS.index(int(cls))
            # Scaling a column of x by c and its weight by c gives the same logits on unscaled features.
            sentiment_weights[:, column] = clf.coef_[row] * column_scale
            sentiment_bias[column] = clf.intercept_[row]
    else:
        sentiment_bias[:] = 0.0
        sentiment_bias[SENTIMENTS.index(3)] = 1.0  # nothing to learn from: say "mixed"

    return FeedbackModel(
        vectoriser=vectoriser,
        labels=data.labels,
        theme_weights=theme_weights,
        theme_bias=theme_bias,
        calibration=calibration.astype(np.float32),
        thresholds=probability_thresholds.astype(np.float32),
        sentiment_weights=sentiment_weights,
        sentiment_bias=sentiment_bias,
        info={
            "config": asdict(config),
            "rows": len(original),
            "rows_with_context_forms": len(data),
            "sentiment_rows": int((original.sentiments > 0).sum()),
        },
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def train(
    csv_path: str | Path,
    corrections: Iterable[Correction] = (),
    *,
    labels: Sequence[str] = THEME_LABELS,
    config: TrainConfig | None = None,
) -> FeedbackModel:
    """Train on a labelled CSV in the shared layout, with officers' corrections taking precedence."""
    started = time.perf_counter()
    path = Path(csv_path)
    data, stats = apply_corrections(read_labelled_csv(path, labels), corrections)
    model = fit_data(data, config)
    info: dict[str, Any] = {
        "data": {"file": path.name, "sha256": _sha256(path)},
        **stats,
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    model.info.update(info)
    return model
