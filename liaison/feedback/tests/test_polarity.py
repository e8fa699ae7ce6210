"""The shipped model gets the polarity of plain comments right, whatever question they came with (issue #16).

The comments are written here, not taken from the training data: the kind a hospital gets on a comment
card, in an email or under its own survey's wording. Each is read bare and under each kind of question,
with no FFT score, so the words alone must carry the meaning.
"""

from __future__ import annotations

import numpy as np
import pytest

from liaison.demo.feedback import COMBINED_DEMO_QUESTION, COMMENTS
from liaison.feedback.analysis.evaluate import polarity
from liaison.feedback.analysis.model import FeedbackModel
from liaison.feedback.analysis.text import Context

POSITIVE = (
    "The staff on the children's ward were so gentle with my daughter, thank you all.",
    "Staff were lovely with my dad who has dementia, nothing was too much trouble.",
    "The nurses were kind and patient and explained everything clearly.",
    "Excellent care from start to finish, I cannot fault anyone.",
    "The physio was brilliant and I am walking again thanks to her.",
    "Friendly reception, seen on time, and the doctor really listened.",
)
NEGATIVE = (
    "Dreadful service from start to finish.",
    "Nobody answered the phone for three days and I was left without my medication.",
    "The ward was filthy and the toilets had not been cleaned.",
    "The consultant was rude and dismissive and would not answer my questions.",
    "We waited nine hours in A&E with no water and nobody told us anything.",
    "My mother's discharge was a shambles, she was sent home with no care plan.",
)
QUESTIONS = {
    "bare": "",
    "good": "What was good about your visit?",
    "better": "What could we do better?",
    "why": "Please tell us why you gave that answer.",
    "both": "What was good, and what could we do better?",
    "other": "Any other comments?",
}
POSITIVE_POLARITY, NEGATIVE_POLARITY = 0, 2
DREADFUL = NEGATIVE[0]


@pytest.fixture(scope="module")
def shipped() -> FeedbackModel:
    return FeedbackModel.load()


def _polarity(model: FeedbackModel, text: str, question: str) -> int:
    [prediction] = model.predict([text], [Context(question=question)])
    return int(polarity(np.array([prediction.sentiment]))[0])


def _cases(texts: tuple[str, ...], want: int) -> list[object]:
    return [pytest.param(text, kind, want, id=f"{kind}-{text[:24]}") for text in texts for kind in QUESTIONS]


@pytest.mark.parametrize(
    ("text", "kind", "want"), _cases(POSITIVE, POSITIVE_POLARITY) + _cases(NEGATIVE, NEGATIVE_POLARITY)
)
def test_plain_comments_get_their_polarity_bare_and_under_every_kind_of_question(
    shipped: FeedbackModel, text: str, kind: str, want: int
) -> None:
    assert _polarity(shipped, text, QUESTIONS[kind]) == want


# What a comment card often holds: a word or two. Before the lexicon examples, "Awful." read as praise.
ONE_WORD = (
    ("Excellent.", POSITIVE_POLARITY),
    ("Brilliant", POSITIVE_POLARITY),
    ("Lovely staff", POSITIVE_POLARITY),
    ("Awful.", NEGATIVE_POLARITY),
    ("Terrible", NEGATIVE_POLARITY),
    ("Disgraceful!", NEGATIVE_POLARITY),
    ("Rubbish service", NEGATIVE_POLARITY),
    ("Rude staff.", NEGATIVE_POLARITY),
)


@pytest.mark.parametrize(("text", "want"), ONE_WORD, ids=[text for text, _ in ONE_WORD])
def test_a_word_or_two_on_a_comment_card_gets_its_polarity(shipped: FeedbackModel, text: str, want: int) -> None:
    assert _polarity(shipped, text, "") == want


# Praise and a complaint together read as mixed (the tone block's "sides=both" token; the model before it managed
# these through "but" and "though", and this keeps it so).
MIXED = (
    "Lovely nurses but the ward was filthy.",
    "The nurses were kind but the food was awful.",
    "Friendly staff, though the wait was far too long.",
)
MIXED_POLARITY = 1


@pytest.mark.parametrize("text", MIXED)
def test_praise_and_a_complaint_together_read_as_mixed(shipped: FeedbackModel, text: str) -> None:
    assert _polarity(shipped, text, "") == MIXED_POLARITY


@pytest.mark.xfail(strict=True, reason="issue #16: 'from start to finish' still outweighs 'dreadful' for the theme")
def test_a_plain_complaint_is_not_themed_as_gratitude(shipped: FeedbackModel) -> None:
    themes = shipped.predict([DREADFUL])[0].themes
    assert "Positive experience & gratitude" not in themes


def test_plain_praise_is_not_themed_as_dissatisfaction(shipped: FeedbackModel) -> None:
    for text in POSITIVE:
        assert "Negative experience & dissatisfaction" not in shipped.predict([text])[0].themes


def _implied(score: int) -> int:
    return 0 if score <= 2 else (1 if score == 3 else 2)


# Demo answers the shipped model still reads against their score (issue #16 stays open for these). "Okay" is the
# only praise, two plain complaints follow, and most training answers with a score of 3 are negative in content.
DEMO_STILL_WRONG = {
    "It was okay. The waiting room was cramped and the television was too loud.",  # read as negative
}


@pytest.mark.parametrize(
    ("score", "text"),
    [
        pytest.param(
            score,
            text,
            id=f"{score}-{text[:24]}",
            marks=[pytest.mark.xfail(strict=True, reason="still misread")] if text in DEMO_STILL_WRONG else [],
        )
        for score, text in COMMENTS
        if text and score <= 5
    ],
)
def test_the_demo_answers_get_the_polarity_their_score_implies(shipped: FeedbackModel, score: int, text: str) -> None:
    """The demo survey asks one question for both sides; its answers must read as their FFT score says."""
    [prediction] = shipped.predict([text], [Context(question=COMBINED_DEMO_QUESTION, fft_score=score)])
    assert int(polarity(np.array([prediction.sentiment]))[0]) == _implied(score)
