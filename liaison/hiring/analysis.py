"""Practice and drill feedback for interview answers and complaint replies.

Everything here reports what can be observed in a text, each observation with the sentences that triggered
it, and leaves judgement to people: there is deliberately no overall score.

- ``tag_star``: which sentences describe the situation, the task, the action, the result (or none of them),
  by a softmax regression over word and character n-grams and a few hand-made cues, trained from
  ``data/star_sentences.csv``.
- ``detect_competencies``: which competencies of ``data/framework.json`` an answer gives evidence of, by
  one-vs-rest logistic regression over words plus counts of each competency's cue phrases, trained from
  ``data/competency_answers.jsonl``.
- ``practice_feedback`` and ``drill_feedback``: the observations a candidate or trainee sees.
- Word lists a trainer may edit (hedges, fillers, outcome words, jargon) are in ``data/lexicons.json``.
- ``train`` rebuilds the shipped weights (``data/*_model.npz`` and ``.json``); ``evaluate`` cross-validates.

Pure Python and numpy, no network, no pickle; a prediction takes about a millisecond per answer.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from liaison.hiring.data import (
    DATA_DIR,
    HiringDataError,
    LabelledAnswer,
    LabelledSentence,
    competency_names,
    load_competency_answers,
    load_framework,
    load_lexicons,
    load_star_sentences,
    read_star_csv,
)
from liaison.hiring.linear import (
    Features,
    FloatArray,
    LinearModel,
    Vectoriser,
    precision_recall_f1,
    sigmoid,
    softmax,
    train_one_vs_rest,
    train_softmax,
)

STAR_PARTS = ("situation", "task", "action", "result")
STAR_LABELS = (*STAR_PARTS, "none")
STAR_MODEL = DATA_DIR / "star_model"
COMPETENCY_MODEL = DATA_DIR / "competency_model"

# Chosen by cross-validation on the shipped sets while developing (see docs/hiring.md).
STAR_L2 = 3e-4
COMPETENCY_L2 = 1e-3
COMPETENCY_THRESHOLD = 0.4
CV_SEED = 20250611
MACRO_F1_TARGET = 0.80

SHORT_ANSWER_WORDS = 80
LONG_ANSWER_WORDS = 400


# --- Sentences and tokens ---------------------------------------------------------------------------------


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ABBREVIATIONS = _word_set(
    "dr mr mrs ms mx prof st no vs etc approx dept rev jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e"
)
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+")
_OPENS_SENTENCE = re.compile(r"[\"'“‘(\[]?[A-Z0-9£$]")


def _split_paragraph(paragraph: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end()
        before = paragraph[start : match.start()].split()
        last_word = before[-1].lower().rstrip(".") if before else ""
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha() and last_word != "i"):
            continue
        if not _OPENS_SENTENCE.match(paragraph, end):
            continue
        sentences.append(paragraph[start:end].strip())
        start = end
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def split_sentences(text: str) -> list[str]:
    """Split text into sentences. Blank lines always end a sentence; a single line break ends one after
    punctuation or a short line (a greeting, a signature), and is otherwise a wrapped line."""
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        paragraph = ""
        for line in lines:
            paragraph = f"{paragraph} {line}".strip()
            if line[-1] in ".!?:,;" or len(line) < 50:
                sentences += _split_paragraph(paragraph)
                paragraph = ""
        if paragraph:
            sentences += _split_paragraph(paragraph)
    return [s for s in sentences if any(ch.isalnum() for ch in s)]


_TOKEN = re.compile(r"[a-z0]+(?:'[a-z]+)?|[%£$]")


def _tokens(text: str) -> list[str]:
    text = text.lower().replace("’", "'").replace("‘", "'")
    return _TOKEN.findall(re.sub(r"\d+", "0", text))


def _phrase_pattern(phrases: Iterable[str] | str) -> re.Pattern[str]:
    """Whole-word, case-insensitive match of any of the phrases (a "|"-separated string or a list)."""
    if isinstance(phrases, str):
        phrases = phrases.split("|")
    alternatives = sorted({re.escape(p.lower()).replace(r"\ ", r"\s+") for p in phrases if p.strip()}, key=len)
    return re.compile(r"(?<![\w'])(?:" + "|".join(reversed(alternatives)) + r")(?![\w'])", re.IGNORECASE)


# --- STAR features ----------------------------------------------------------------------------------------

# Cue phrases per part, as features the model weighs (it learns how much each matters). Kept short on purpose:
# the word and character n-grams carry most of the signal.
_STAR_CUES: dict[str, re.Pattern[str]] = {
    "situation": _phrase_pattern(
        "when i was|i was working|i worked|at the time|in my last|in my previous|in my current|there was|"
        "there were|we had|had been|a patient|a family|a woman|a man|came in|last year|once|it was my first"
    ),
    "task": _phrase_pattern(
        "my role|my job|my aim|my responsibility|my task|i needed to|i had to|i was asked|i was responsible|"
        "it was my|i wanted to|the goal|i knew i|needed to|part of my job|i was expected|up to me|i volunteered|"
        "i was supposed to|i had to decide|i was given"
    ),
    "action": _phrase_pattern(
        "so i|i then|then i|first i|i called|i rang|i phoned|i arranged|i asked|i explained|i spoke|i set up|"
        "i went|i contacted|i made sure|we held|i offered|i wrote|i checked|i told|i booked|i met"
    ),
    "result": _phrase_pattern(
        "as a result|in the end|the outcome|eventually|since then|afterwards|later|which meant|went down|fell|"
        "dropped|reduced|improved|thanked|learned|learnt|taught me|reminded me|was upheld|were upheld|"
        "went out|no further|she said|he said|they said|now"
    ),
    "none": _phrase_pattern(
        "question|example|i'd say|let me|um|hmm|yeah|honestly|i hope|okay|sure|i always|i try|i think|"
        "i'd|would|i'm|really important|comes to mind"
    ),
}
_PAST_TENSE = re.compile(r"\b(?:was|were|had|did|went|said|told|took|got|made|came|found|felt|\w{3,}ed)\b", re.I)
_PASSIVE = re.compile(r"\b(?:was|were|been|being|is|are)\s+(?:\w+ly\s+)?\w+(?:ed|en|t)\b", re.I)
_FIRST_SINGULAR = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself)\b", re.I)
_FIRST_PLURAL = re.compile(r"\b(?:we|we've|we'd|we'll|us|our|ourselves)\b", re.I)
_HABITUAL = re.compile(r"\b(?:i|we)\s+(?:always|usually|often|try|find|think|believe|would|'d|tend)\b", re.I)
_NUMBER = re.compile(r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|half)\b", re.I)


def _ngram_features(tokens: Sequence[str], *, chars: bool) -> Features:
    features: Counter[str] = Counter()
    padded = ["<s>", *tokens]
    for i, token in enumerate(tokens):
        features["w:" + token] += 1
        features[f"w:{padded[i]} {token}"] += 1
        if chars:
            word = f" {token} "
            for n in (3, 4, 5):
                for j in range(len(word) - n + 1):
                    features["c:" + word[j : j + n]] += 1
    return dict(features)


def star_features(sentence: str) -> Features:
    return dict(_star_features(sentence))


@lru_cache(maxsize=8192)
def _star_features(sentence: str) -> tuple[tuple[str, float], ...]:
    tokens = _tokens(sentence)
    features = _ngram_features(tokens, chars=True)
    for part, pattern in _STAR_CUES.items():
        hits = len(pattern.findall(sentence))
        if hits:
            features[f"f:cue_{part}"] = min(hits, 3) / 2
    flags = {
        "past": bool(_PAST_TENSE.search(sentence)),
        "passive": bool(_PASSIVE.search(sentence)),
        "i": bool(_FIRST_SINGULAR.search(sentence)),
        "we": bool(_FIRST_PLURAL.search(sentence)),
        "starts_i": bool(tokens) and tokens[0] in {"i", "i'm", "i'd", "i've"},
        "habitual": bool(_HABITUAL.search(sentence)),
        "number": bool(_NUMBER.search(sentence)),
        "question": sentence.rstrip().endswith("?"),
        "short": len(tokens) < 7,
        "long": len(tokens) > 25,
    }
    features.update({f"f:{name}": 1.0 for name, on in flags.items() if on})
    return tuple(features.items())


# --- Competency features ----------------------------------------------------------------------------------


@cache
def _competency_cues(data_dir: Path = DATA_DIR) -> dict[str, re.Pattern[str]]:
    return {c.key: _phrase_pattern(c.cues) for c in load_framework(data_dir) if c.cues}


def competency_features(text: str) -> Features:
    return dict(_competency_features(text))


@lru_cache(maxsize=8192)
def _competency_features(text: str) -> tuple[tuple[str, float], ...]:
    features = _ngram_features(_tokens(text), chars=False)
    for key, pattern in _competency_cues().items():
        hits = len(pattern.findall(text))
        if hits:
            features["k:" + key] = math.log1p(hits)
    return tuple(features.items())


# --- Models -----------------------------------------------------------------------------------------------


def _answers(rows: Sequence[LabelledSentence]) -> list[list[LabelledSentence]]:
    """Rows grouped into answers, keeping their order; rows without an answer id stand alone."""
    grouped: dict[str, list[LabelledSentence]] = {}
    for i, row in enumerate(rows):
        grouped.setdefault(row.answer or f"\0{i}", []).append(row)
    return list(grouped.values())


def _transitions(rows: Sequence[LabelledSentence]) -> dict[str, FloatArray]:
    """How answers move between parts: P(first part), P(next part | part), P(last part), add-one smoothed."""
    k = len(STAR_LABELS)
    start, end, transition = np.ones(k), np.ones(k), np.ones((k, k))
    for answer in _answers(rows):
        parts = [STAR_LABELS.index(row.part) for row in answer]
        start[parts[0]] += 1
        end[parts[-1]] += 1
        for a, b in itertools.pairwise(parts):
            transition[a, b] += 1
    return {
        "start": start / start.sum(),
        "end": end / end.sum(),
        "transition": transition / transition.sum(axis=1, keepdims=True),
    }


def fit_star_model(rows: Sequence[LabelledSentence]) -> LinearModel:
    docs = [star_features(row.sentence) for row in rows]
    vectoriser = Vectoriser.fit(docs, min_df=2)
    y = np.array([STAR_LABELS.index(row.part) for row in rows], dtype=np.int64)
    weights, bias = train_softmax(vectoriser.dense(docs), y, len(STAR_LABELS), l2=STAR_L2)
    meta = {"trained_on": f"{len(rows)} sentences", "l2": STAR_L2}
    return LinearModel(
        vectoriser=vectoriser,
        weights=weights,
        bias=bias,
        labels=list(STAR_LABELS),
        meta=meta,
        extras=_transitions(rows),
    )


def fit_competency_model(answers: Sequence[LabelledAnswer]) -> LinearModel:
    keys = [c.key for c in load_framework()]
    docs = [competency_features(a.text) for a in answers]
    vectoriser = Vectoriser.fit(docs, min_df=2)
    y = np.array([[key in a.competencies for key in keys] for a in answers], dtype=np.float64)
    weights, bias = train_one_vs_rest(vectoriser.dense(docs), y, l2=COMPETENCY_L2)
    meta = {"trained_on": f"{len(answers)} answers", "l2": COMPETENCY_L2, "threshold": COMPETENCY_THRESHOLD}
    return LinearModel(vectoriser=vectoriser, weights=weights, bias=bias, labels=keys, meta=meta)


@cache
def _load(stem: Path) -> LinearModel:
    try:
        return LinearModel.load(stem)
    except FileNotFoundError as exc:
        raise HiringDataError(f"{stem.name} weights are missing; run 'liaison hiring train'.") from exc


def star_model() -> LinearModel:
    return _load(STAR_MODEL)


def competency_model() -> LinearModel:
    model = _load(COMPETENCY_MODEL)
    if model.labels != [c.key for c in load_framework()]:
        raise HiringDataError(
            "framework.json changed since the competency model was trained; run 'liaison hiring train'."
        )
    return model


def train() -> dict[str, str]:
    """Rebuild the shipped weights from the data files; returns what was written."""
    star = fit_star_model(load_star_sentences())
    star.save(STAR_MODEL)
    competencies = fit_competency_model(load_competency_answers())
    competencies.save(COMPETENCY_MODEL)
    _load.cache_clear()
    return {
        "star": f"{STAR_MODEL.name}.npz/.json from {star.meta['trained_on']}",
        "competencies": f"{COMPETENCY_MODEL.name}.npz/.json from {competencies.meta['trained_on']}",
    }


# --- STAR tagging and competency detection ----------------------------------------------------------------


class TaggedSentence(NamedTuple):
    sentence: str
    part: str
    confidence: float


class CompetencyEvidence(NamedTuple):
    key: str
    sentences: list[str]


def _in_context(probabilities: FloatArray, extras: dict[str, FloatArray]) -> FloatArray:
    """Each sentence's part probabilities given the whole answer (forward-backward over the learned
    transitions, treating the sentence model's class-balanced probabilities as emission scores)."""
    start, end, transition = extras["start"], extras["end"], extras["transition"]
    n, k = probabilities.shape
    forward, backward = np.zeros((n, k)), np.ones((n, k))
    forward[0] = start * probabilities[0]
    forward[0] /= forward[0].sum()
    for i in range(1, n):
        forward[i] = (forward[i - 1] @ transition) * probabilities[i]
        forward[i] /= forward[i].sum()
    backward[-1] = end / end.sum()
    for i in range(n - 2, -1, -1):
        backward[i] = transition @ (probabilities[i + 1] * backward[i + 1])
        backward[i] /= backward[i].sum()
    posterior = forward * backward
    return np.asarray(posterior / posterior.sum(axis=1, keepdims=True), dtype=np.float64)


def _tag(model: LinearModel, sentences: Sequence[str], *, in_context: bool = True) -> list[TaggedSentence]:
    if not sentences:
        return []
    probabilities = np.array([softmax(model.scores(star_features(s))) for s in sentences])
    if in_context and "transition" in model.extras:
        probabilities = _in_context(probabilities, model.extras)
    best = probabilities.argmax(axis=1)
    return [
        TaggedSentence(sentence, model.labels[int(j)], round(float(probabilities[i, j]), 3))
        for i, (sentence, j) in enumerate(zip(sentences, best, strict=True))
    ]


def tag_star(text: str) -> list[TaggedSentence]:
    """Each sentence of an answer with its STAR part (or "none") and the tagger's probability for it.

    Each sentence is first scored on its own, then read in the context of the answer: a sentence that could
    be situation or result is more likely situation near the start of an answer than after the actions."""
    return _tag(star_model(), split_sentences(text))


def _detect(model: LinearModel, text: str, sentences: Sequence[str]) -> list[CompetencyEvidence]:
    probabilities = sigmoid(model.scores(competency_features(text)))
    threshold = float(model.meta.get("threshold", COMPETENCY_THRESHOLD))
    found = [i for i in np.argsort(-probabilities) if probabilities[i] >= threshold]
    if not found:
        return []
    cues = _competency_cues()
    sentence_scores = [model.scores(competency_features(s)) for s in sentences]
    evidence = []
    for i in found:
        key = model.labels[i]
        pattern = cues.get(key)
        cued = [j for j, s in enumerate(sentences) if pattern is not None and pattern.search(s)]
        ranked = sorted(cued or range(len(sentences)), key=lambda j: -sentence_scores[j][i])
        chosen = sorted(ranked[: 3 if cued else 1])
        evidence.append(CompetencyEvidence(key, [sentences[j] for j in chosen]))
    return evidence


def detect_competencies(text: str) -> list[CompetencyEvidence]:
    """The competencies an answer gives evidence of, most likely first, each with up to three sentences that
    show it (sentences containing the competency's cue phrases, else the sentence the model weighs most)."""
    sentences = split_sentences(text)
    if not sentences:
        return []
    return _detect(competency_model(), text, sentences)


# --- Practice feedback ------------------------------------------------------------------------------------

_NUMBER_WORDS = (
    "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|"
    "thousand|half|a quarter|a third|a dozen|a fortnight|double|twice"
)
_SPECIFIC_NUMBER = re.compile(
    rf"(?:[£$]\s?\d[\d,.]*|\d[\d,.:]*\s?(?:%|percent|per cent)?(?:\s?(?:am|pm))?|\b(?:{_NUMBER_WORDS})\b)"
    r"(?:\s+(?:working\s+|business\s+)?(?:minutes?|hours?|days?|weeks?|months?|years?|calls?|cases?|"
    r"complaints?|patients?|percent|per cent))?",
    re.IGNORECASE,
)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(
    rf"\b(?:(?:on|by|next|last|this|every)\s+(?:{_WEEKDAYS})|(?:{_WEEKDAYS})|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})|(?:{_MONTHS})\s+\d{{1,2}}|"
    r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|tomorrow|yesterday|the same day|the following (?:day|week|month)|"
    r"bank holiday|o'clock)\b",
    re.IGNORECASE,
)


@cache
def _lexicon_patterns() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """The editable word lists of data/lexicons.json, compiled once."""
    lexicons = load_lexicons()
    return {
        "hedge": [(p, _phrase_pattern([p])) for p in lexicons.hedges],
        "filler": [(p, _phrase_pattern([p])) for p in lexicons.fillers],
        "outcome": [("", _phrase_pattern(lexicons.outcomes))],
        "jargon": [(term, _jargon_pattern(term)) for term in lexicons.jargon],
    }


_I_SUBJECT = re.compile(r"\b(?:i|i've|i'd|i'll|i'm)\b", re.IGNORECASE)
_WE_SUBJECT = re.compile(r"\b(?:we|we've|we'd|we'll|we're)\b|\bour team\b", re.IGNORECASE)


def _word_count(text: str) -> int:
    return len(re.findall(r"\b[\w'’-]+\b", text))


def _specifics(sentences: Sequence[str]) -> list[dict[str, str]]:
    items = []
    outcome = _lexicon_patterns()["outcome"][0][1]
    for sentence in sentences:
        for kind, pattern in (("number", _SPECIFIC_NUMBER), ("date or time", _DATE), ("outcome", outcome)):
            for match in pattern.finditer(sentence):
                value = match.group(0).strip(" ,.")
                if value:
                    items.append({"kind": kind, "text": value, "sentence": sentence})
    return items


def _hedging(sentences: Sequence[str]) -> list[dict[str, Any]]:
    found = []
    patterns = _lexicon_patterns()
    for kind in ("hedge", "filler"):
        for phrase, pattern in patterns[kind]:
            hits = [s for s in sentences if pattern.search(s)]
            if hits:
                found.append({"phrase": phrase, "kind": kind, "count": len(hits), "sentences": hits})
    return sorted(found, key=lambda item: (-item["count"], item["phrase"]))


def _length_note(words: int) -> str:
    if words < SHORT_ANSWER_WORDS:
        return f"Short: under {SHORT_ANSWER_WORDS} words is rarely enough to describe a situation, action and result."
    if words > LONG_ANSWER_WORDS:
        return f"Long: over {LONG_ANSWER_WORDS} words; panels may lose the thread (about two to three minutes spoken)."
    return f"Within the usual range ({SHORT_ANSWER_WORDS}-{LONG_ANSWER_WORDS} words)."


def practice_feedback(text: str) -> dict[str, Any]:
    """Observations about a practice answer, each with the sentences that triggered it. No overall score:
    whether the answer is good is for the candidate and their coach to judge."""
    tagged = tag_star(text)
    sentences = [t.sentence for t in tagged]
    star = {
        part: {
            "present": any(t.part == part for t in tagged),
            "sentences": [t.sentence for t in tagged if t.part == part],
        }
        for part in STAR_PARTS
    }
    names = competency_names()
    competencies = [
        {"key": key, "name": names.get(key, key), "sentences": evidence}
        for key, evidence in (_detect(competency_model(), text, sentences) if sentences else [])
    ]
    actions = [t.sentence for t in tagged if t.part == "action"]
    i_sentences = [s for s in actions if _I_SUBJECT.search(s)]
    we_sentences = [s for s in actions if _WE_SUBJECT.search(s)]
    neither = [s for s in actions if s not in i_sentences and s not in we_sentences]
    if not actions:
        ownership_note = "No sentence was recognised as an action, so there is nothing to say about ownership."
    elif len(we_sentences) > len(i_sentences):
        ownership_note = "More action sentences say 'we' than 'I'; panels usually ask what you did yourself."
    else:
        ownership_note = "Most action sentences say what you did yourself ('I')."
    words = _word_count(text)
    return {
        "sentences": [{"text": t.sentence, "part": t.part, "confidence": t.confidence} for t in tagged],
        "star": {**star, "missing": [part for part in STAR_PARTS if not star[part]["present"]]},
        "competencies": competencies,
        "specifics": _specifics(sentences),
        "ownership": {
            "i": {"count": len(i_sentences), "sentences": i_sentences},
            "we": {"count": len(we_sentences), "sentences": we_sentences},
            "neither": {"count": len(neither), "sentences": neither},
            "note": ownership_note,
        },
        "length": {"words": words, "note": _length_note(words)},
        "hedging": _hedging(sentences),
    }


# --- Drill feedback (a written reply to a complainant) ----------------------------------------------------

_ACKNOWLEDGEMENT = re.compile(
    r"\bthank(?:s| you)\b[^.]{0,40}\b(?:for|to)\b|\b(?:we|i) (?:have |'ve )?received your\b|\bi am writing\b|"
    r"\bi'm writing\b|\b(?:following|in response to|in reply to|regarding) your\b|\breceipt of your\b|"
    r"\byou (?:raised|contacted|wrote|told us|have told us|described|have raised)\b|"
    r"\byour (?:letter|email|call|complaint|concerns?) (?:of|dated|about|regarding|received|that)\b|"
    r"\bsorry (?:that|to (?:hear|read|learn) that) you\b",
    re.IGNORECASE,
)
_EMPATHY = re.compile(
    r"\bsorry\b|\bapologi[sz]e|\bapology\b|\bi (?:can |do )?understand (?:how|that|why|your)\b|"
    r"\bi can (?:only )?imagine\b|\bmust (?:have )?been\b|\bmust be\b|"
    r"\b(?:distressing|upsetting|frustrating|worrying|difficult time|distress|anxious|anxiety)\b|\bregret\b|"
    r"\b(?:sad|concerned|saddened) to (?:hear|read|learn)\b|\bunderstandabl[ey]\b",
    re.IGNORECASE,
)
_EXPLANATION = re.compile(
    r"\bbecause\b|\bthe reason\b|\bdue to\b|\bcaused by\b|\b(?:we|i) (?:have )?(?:found|looked into|learned|"
    r"spoken (?:to|with))\b|\b(?:investigation|review|records?) (?:found|showed|shows?)\b|\bthis (?:means|meant)\b|"
    r"\bwhich meant\b|\bexplain\b|\bas a result of\b|\bwhat happened\b|\bthis happened\b|\bhappened when\b",
    re.IGNORECASE,
)
_NEXT_STEPS = re.compile(
    r"\b(?:i|we) will\b|\b(?:i|we)'ll\b|\bnext steps?\b|\b(?:i|we) (?:have )?(?:asked|arranged|booked|requested)\b|"
    r"\bwill (?:contact|call|write|ring|update|meet|arrange|send|review|phone|email)\b|"
    r"\bplease (?:call|contact|ring|phone|email|let me know|get in touch)\b|\b(?:would like to|can) offer\b|"
    r"\boffer (?:you )?a meeting\b",
    re.IGNORECASE,
)
_TIMESCALE = re.compile(
    rf"\bwithin (?:the next )?(?:\d+|one|two|three|four|five|six|seven|ten|fourteen|twenty|a|an)\s+"
    r"(?:working |business |calendar )?(?:hours?|days?|weeks?|months?)\b|"
    r"\bin the next (?:\d+|few|two|three|a|an)?\s*(?:hours?|days?|weeks?)\b|"
    rf"\bby (?:the end of (?:the |this |next )?(?:day|week|month)|{_WEEKDAYS}|tomorrow|next week|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})|(?:{_MONTHS})\s+\d{{1,2}}|\d{{1,2}}/\d{{1,2}})|"
    rf"\bon (?:{_WEEKDAYS}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS}))\b|"
    r"\b(?:today|tomorrow|this afternoon|this week|next week|end of the week)\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b",
    re.IGNORECASE,
)
_BLAME = re.compile(
    r"\byou should (?:have|not have|'ve)\b|\byou (?:failed|neglected) to\b|\byou did(?: not|n't) "
    r"(?:tell|inform|follow|attend|call|ask|read|mention|bring)\b|\byour (?:own )?(?:failure|fault|mistake)\b|"
    r"\bas you were (?:told|advised|informed)\b|\byou were (?:told|advised|informed|warned)\b|"
    r"\byou (?:may have )?misunderstood\b|\byou chose (?:not )?to\b|\byou refused\b|"
    r"\bnot (?:our|the hospital's|the trust's|my) fault\b|\bblame[sd]?\b|\bat fault\b|"
    r"\b(?:his|her|their) (?:fault|mistake)\b|"
    r"\b(?:the )?(?:nurse|doctor|consultant|porter|receptionist|staff member|agency (?:nurse|staff)|locum)"
    r" (?:was|were) (?:responsible|careless|negligent)\b|\bhuman error by\b|\bthe patient failed\b|"
    r"\bcontrary to what you\b|\bit is unfortunate that you\b",
    re.IGNORECASE,
)


def _jargon_pattern(term: str) -> re.Pattern[str]:
    """Jargon written with capitals is matched exactly (so "DNA" but not "dna"); lower-case jargon in any case."""
    flags = 0 if any(ch.isupper() for ch in term) else re.IGNORECASE
    return re.compile(r"(?<![\w/#])" + re.escape(term) + r"(?![\w/])", flags)


_NAME = r"(?:(?:Dr|Mr|Mrs|Ms|Miss|Mx)\.?\s+)?[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?"
_NAMED_CONTACT = re.compile(
    rf"(?i:\bmy name is|\bI am|\bI'm|\bcontact|\bcall|\bring|\bphone|\bemail|\bspeak (?:to|with)|\bask for)\s+({_NAME})"
)
_SIGN_OFF = re.compile(
    rf"(?im:^\s*(?:yours sincerely|yours faithfully|kind regards|best wishes|with best wishes|regards|"
    rf"many thanks)[,.]?\s*\n+\s*)({_NAME})"
)
_NOT_NAMES = _word_set(
    "Patient Patients Relations Advice Liaison PALS The Our This Your Me Us Team Office Complaints Customer "
    "Services Service Department Ward Hospital Trust Monday Tuesday Wednesday Thursday Friday Saturday Sunday "
    "Sorry Writing Happy Pleased Unable Aware Afraid Glad Able"
)
_CONTACT_DETAIL = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|(?<!\d)(?:\+?\d[\d ()-]{8,}\d)(?!\d)|\bext(?:ension)?\.?\s*\d{3,6}\b", re.IGNORECASE
)


def _check(sentences: Sequence[str], pattern: re.Pattern[str]) -> dict[str, Any]:
    hits = [s for s in sentences if pattern.search(s)]
    return {"present": bool(hits), "sentences": hits}


def _found(sentences: Sequence[str], pattern: re.Pattern[str]) -> dict[str, Any]:
    found = sorted({m.group(0).strip() for s in sentences for m in pattern.finditer(s)}, key=str.lower)
    return {**_check(sentences, pattern), "found": found}


def _named_contact(text: str, sentences: Sequence[str], contact_names: Sequence[str]) -> dict[str, Any]:
    names = [n for n in contact_names if n.strip() and re.search(re.escape(n.strip()), text, re.IGNORECASE)]
    for pattern in (_NAMED_CONTACT, _SIGN_OFF):
        for match in pattern.finditer(text):
            name = match.group(1)
            if not set(name.replace(".", " ").split()) & _NOT_NAMES:
                names.append(name)
    details = sorted({m.group(0).strip() for m in _CONTACT_DETAIL.finditer(text)})
    wanted = [n.lower() for n in names] + [d.lower() for d in details]
    hits = [s for s in sentences if any(w in s.lower() for w in wanted)]
    return {"present": bool(names), "sentences": hits, "found": sorted(set(names)), "contact_details": details}


DRILL_WANTED = ("acknowledgement", "empathy", "explanation", "next_steps", "timescale", "named_contact")
DRILL_AVOID = ("blame", "jargon")


def drill_feedback(response_text: str, *, contact_names: Sequence[str] = ()) -> dict[str, Any]:
    """Observations about a trainee's written reply to a complainant: whether it acknowledges the concern,
    shows empathy, explains, sets out next steps with a timescale and names a contact, and whether it uses
    blaming language or jargon; each with the sentences concerned. ``contact_names`` are names that count as
    a named contact (for example the trainee's own). No overall score."""
    sentences = split_sentences(response_text)
    jargon_hits = [
        (term, [s for s in sentences if pattern.search(s)]) for term, pattern in _lexicon_patterns()["jargon"]
    ]
    jargon_hits = [(term, hits) for term, hits in jargon_hits if hits]
    jargon_sentences = [s for s in sentences if any(s in hits for _, hits in jargon_hits)]
    checks: dict[str, dict[str, Any]] = {
        "acknowledgement": _check(sentences, _ACKNOWLEDGEMENT),
        "empathy": _check(sentences, _EMPATHY),
        "explanation": _check(sentences, _EXPLANATION),
        "next_steps": _check(sentences, _NEXT_STEPS),
        "timescale": _found(sentences, _TIMESCALE),
        "named_contact": _named_contact(response_text, sentences, contact_names),
        "blame": _found(sentences, _BLAME),
        "jargon": {
            "present": bool(jargon_hits),
            "sentences": jargon_sentences,
            "found": [term for term, _ in jargon_hits],
        },
    }
    return {
        "sentences": sentences,
        "words": _word_count(response_text),
        "checks": checks,
        "missing": [name for name in DRILL_WANTED if not checks[name]["present"]],
        "flags": [name for name in DRILL_AVOID if checks[name]["present"]],
    }


# --- Evaluation -------------------------------------------------------------------------------------------


def _folds(groups: Sequence[str], folds: int, seed: int) -> list[int]:
    unique = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(unique))
    fold_of = {unique[j]: rank % folds for rank, j in enumerate(order)}
    return [fold_of[g] for g in groups]


def _star_report(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    per_part = {
        label: precision_recall_f1([g == label for g in gold], [p == label for p in predicted]) for label in STAR_LABELS
    }
    scored = [label for label in STAR_LABELS if per_part[label]["support"] or label in predicted]
    macro = sum(float(per_part[label]["f1"]) for label in scored) / len(scored)
    star_only = [label for label in STAR_PARTS if label in scored]
    macro_star = sum(float(per_part[label]["f1"]) for label in star_only) / len(star_only) if star_only else 0.0
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    return {
        "sentences": len(gold),
        "per_part": per_part,
        "macro_f1": round(macro, 3),
        "macro_f1_labels": scored,
        "macro_f1_star_parts_only": round(macro_star, 3),
        "accuracy": round(accuracy, 3),
        "target_macro_f1": MACRO_F1_TARGET,
        "meets_target": macro >= MACRO_F1_TARGET,
    }


def _predict(model: LinearModel, rows: Sequence[LabelledSentence]) -> tuple[list[str], list[str]]:
    """Parts for each row (sentence by sentence, and in the context of its answer), in row order."""
    alone = [t.part for t in _tag(model, [row.sentence for row in rows], in_context=False)]
    in_context: list[str] = []
    for answer in _answers(rows):
        in_context += [t.part for t in _tag(model, [row.sentence for row in answer])]
    position = {id(row): i for i, row in enumerate(row for answer in _answers(rows) for row in answer)}
    return alone, [in_context[position[id(row)]] for row in rows]


def _evaluate_star(csv_path: Path | None, folds: int, seed: int) -> dict[str, Any]:
    shipped = load_star_sentences()
    if csv_path is not None:
        test = read_star_csv(csv_path)
        alone, in_context = _predict(fit_star_model(shipped), test)
        gold = [row.part for row in test]
        validation = f"trained on the {len(shipped)} shipped sentences, tested on the {len(test)} sentences given"
        data = str(csv_path)
        grouped = all(row.answer for row in test)
    else:
        fold_of = _folds([row.answer for row in shipped], folds, seed)
        alone, in_context = [""] * len(shipped), [""] * len(shipped)
        for fold in range(folds):
            model = fit_star_model([row for row, f in zip(shipped, fold_of, strict=True) if f != fold])
            held_out = [i for i, f in enumerate(fold_of) if f == fold]
            fold_alone, fold_context = _predict(model, [shipped[i] for i in held_out])
            for i, a, c in zip(held_out, fold_alone, fold_context, strict=True):
                alone[i], in_context[i] = a, c
        gold = [row.part for row in shipped]
        answers = len({row.answer for row in shipped})
        validation = (
            f"{folds}-fold cross-validation grouped by answer (no answer in both training and test), seed {seed}"
        )
        data = f"star_sentences.csv ({len(shipped)} sentences from {answers} answers)"
        grouped = True
    if not grouped:
        return {
            "data": data,
            "validation": validation,
            "decoding": "sentence by sentence (the file has no 'answer' column to read sentences in context)",
            **_star_report(gold, alone),
        }
    return {
        "data": data,
        "validation": validation,
        "decoding": "in the context of each answer, as tag_star reads a practice answer",
        **_star_report(gold, in_context),
        "sentence_only": {
            "decoding": "each sentence on its own, as for a file without an 'answer' column",
            **_star_report(gold, alone),
        },
    }


def _evaluate_competencies(folds: int, seed: int) -> dict[str, Any]:
    answers = load_competency_answers()
    keys = [c.key for c in load_framework()]
    fold_of = _folds([a.key for a in answers], folds, seed)
    predicted: list[set[str]] = [set() for _ in answers]
    for fold in range(folds):
        model = fit_competency_model([a for a, f in zip(answers, fold_of, strict=True) if f != fold])
        for i, f in enumerate(fold_of):
            if f == fold:
                probabilities = sigmoid(model.scores(competency_features(answers[i].text)))
                predicted[i] = {keys[k] for k in range(len(keys)) if probabilities[k] >= COMPETENCY_THRESHOLD}
    per_key = {
        key: precision_recall_f1([key in a.competencies for a in answers], [key in p for p in predicted])
        for key in keys
    }
    gold_pairs = {(i, k) for i, a in enumerate(answers) for k in a.competencies}
    predicted_pairs = {(i, k) for i, p in enumerate(predicted) for k in p}
    tp = len(gold_pairs & predicted_pairs)
    micro = 2 * tp / (len(gold_pairs) + len(predicted_pairs)) if gold_pairs or predicted_pairs else 0.0
    return {
        "data": f"competency_answers.jsonl ({len(answers)} answers, {len(keys)} competencies)",
        "validation": f"{folds}-fold cross-validation by answer, seed {seed}",
        "per_competency": per_key,
        "macro_f1": round(sum(float(v["f1"]) for v in per_key.values()) / len(keys), 3),
        "micro_f1": round(micro, 3),
    }


def _timing() -> dict[str, Any]:
    texts = [a.text for a in load_competency_answers()]
    star_model()
    competency_model()
    timings = {}
    for name, function in (
        ("tag_star", tag_star),
        ("detect_competencies", detect_competencies),
        ("practice_feedback", practice_feedback),
    ):
        started = time.perf_counter()
        for text in texts:
            function(text)
        timings[name] = round((time.perf_counter() - started) * 1000 / len(texts), 2)
    return {"answers_timed": len(texts), "ms_per_answer": timings}


def evaluate(csv_path: Path | str | None = None, folds: int = 5, *, seed: int = CV_SEED) -> dict[str, Any]:
    """Measure the STAR tagger and the competency detector.

    Without ``csv_path`` the STAR tagger is cross-validated on the shipped sentences, grouped by answer. With
    one, it is trained on all shipped sentences and tested on the given ``sentence,part`` CSV. The competency
    detector is always cross-validated on the shipped answers (a sentence CSV has no competency labels).
    """
    if folds < 2:
        raise HiringDataError("Cross-validation needs at least 2 folds.")
    path = Path(csv_path) if csv_path is not None else None
    return {
        "star": {
            "method": "softmax regression over word 1-2-grams, character 3-5-grams and STAR cue features",
            **_evaluate_star(path, folds, seed),
        },
        "competencies": {
            "method": "one-vs-rest logistic regression over word 1-2-grams and framework cue counts",
            **_evaluate_competencies(folds, seed),
        },
        "speed": _timing(),
    }
