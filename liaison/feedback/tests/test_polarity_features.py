"""The polarity features read negations, phrases and words the training comments never used (issue #16)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from liaison.feedback.analysis.lexicon import COMPLAINT_WORDS, PRAISE_WORDS
from liaison.feedback.analysis.model import FeedbackModel, _sentiment_and_polarity
from liaison.feedback.analysis.text import NO_CONTEXT, PolarityBlock, negated_grams, negated_words, tone_grams
from liaison.feedback.analysis.train import shipped_word_vectors

MIN, MAX, MEAN, NEGATIVE_SHARE, POSITIVE_SHARE = range(5)


@pytest.fixture(scope="module")
def block() -> PolarityBlock:
    vectors = shipped_word_vectors()
    assert vectors is not None, "the word vector table ships with the code"
    return PolarityBlock.fit(vectors)


@pytest.fixture(scope="module")
def shipped() -> FeedbackModel:
    return FeedbackModel.load()


def _turned(text: str) -> list[str]:
    return [word for word, negated in negated_words(text) if negated]


def test_a_negation_turns_the_next_three_words_around() -> None:
    assert _turned("The toilets had not been cleaned all weekend.") == ["been", "cleaned", "all"]
    assert _turned("I couldn't fault them") == ["fault", "them"]
    assert _turned("Nobody listened") == ["listened"]


def test_the_end_of_a_clause_or_a_turn_closes_the_scope() -> None:
    assert _turned("No water, staff were kind") == ["water"]
    assert _turned("Not much parking but lovely staff") == ["much", "parking"]


def test_negated_words_keep_every_word_in_order() -> None:
    text = "It wasn't clean; nobody came, BUT the nurse was great!"
    assert [word for word, _ in negated_words(text)] == [
        *("it", "wasn't", "clean", "nobody", "came", "but", "the", "nurse", "was", "great"),
    ]


def test_the_negated_block_marks_turned_words() -> None:
    assert negated_grams("had not been cleaned", NO_CONTEXT) == ["not|been", "not|cleaned"]


def test_listed_words_score_plainly_even_when_the_vectors_lack_them(block: PolarityBlock) -> None:
    [row] = block.dense(["Disgraceful."])
    assert row[MIN] == pytest.approx(-block.scale)
    assert row[NEGATIVE_SHARE] == pytest.approx(block.scale)
    assert "disgraceful" in COMPLAINT_WORDS
    assert "gentle" in PRAISE_WORDS


def test_a_negation_turns_praise_into_complaint(block: PolarityBlock) -> None:
    plain, negated = block.dense(["The nurse was kind.", "The nurse was not kind."])
    assert plain[MAX] == pytest.approx(1.0)
    assert negated[MIN] == pytest.approx(-1.0)
    assert negated[MEAN] < plain[MEAN]


def test_a_phrase_counts_once_as_itself(block: PolarityBlock) -> None:
    on_time, late = block.dense(["Seen on time.", "Left waiting."])
    assert on_time[MAX] == pytest.approx(1.0)
    assert late[MIN] == pytest.approx(-1.0)


def test_the_polarity_words_travel_with_a_saved_model(tmp_path: Path) -> None:
    shipped = FeedbackModel.load()
    [polarity] = [b for b in shipped.vectoriser.blocks if isinstance(b, PolarityBlock)]
    assert "disgraceful" in polarity.index and "on time" in polarity.index
    shipped.save(tmp_path)
    [again] = [b for b in FeedbackModel.load(tmp_path).vectoriser.blocks if isinstance(b, PolarityBlock)]
    assert again.words == polarity.words
    np.testing.assert_array_equal(again.idf, polarity.idf)
    texts = ["The ward was filthy and the toilets had not been cleaned.", "Thank you all."]
    np.testing.assert_allclose(again.dense(texts), polarity.dense(texts))


def test_a_model_saved_before_the_polarity_block_kept_its_words_still_loads(tmp_path: Path) -> None:
    """A hospital's model retrained under format 3 scored the vector table's words and stored no words."""
    shipped = FeedbackModel.load()
    shipped.save(tmp_path)
    config = json.loads((tmp_path / "model.json").read_text())
    position = next(i for i, spec in enumerate(config["features"]) if spec["kind"] == PolarityBlock.kind)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as saved:
        arrays = {name: saved[name] for name in saved.files if name != f"words_{position}"}
    vectors = shipped_word_vectors()
    assert vectors is not None
    arrays[f"idf_{position}"] = arrays[f"idf_{position}"][: len(vectors.words)]
    np.savez_compressed(tmp_path / "model.npz", allow_pickle=False, **arrays)
    config["format"] = 3
    config["features"][position]["vectors"] = "word_vectors.npz"
    (tmp_path / "model.json").write_text(json.dumps(config))

    old = FeedbackModel.load(tmp_path)
    [polarity] = [b for b in old.vectoriser.blocks if isinstance(b, PolarityBlock)]
    assert polarity.words == vectors.words
    [kind] = old.predict(["The nurses were kind and patient."])
    assert kind.sentiment <= 2


def test_the_sentiment_given_lies_in_the_likeliest_polarity() -> None:
    """Mixed alone at 0.43 loses to negative at 0.40 + 0.12, and 0.45 to positive at 0.30 + 0.25.

    Within the polarity, the likelier sentiment wins (4 over 5, 1 over 2).
    """
    probabilities = np.array([[0.03, 0.02, 0.43, 0.40, 0.12], [0.30, 0.25, 0.45, 0.0, 0.0]])
    sentiments, _ = _sentiment_and_polarity(np.log(probabilities + 1e-9).astype(np.float32))
    assert sentiments.tolist() == [4, 1]


def test_tone_reads_punctuation_shouting_and_length_that_the_word_blocks_drop() -> None:
    assert tone_grams("Excellent!!", NO_CONTEXT) == ["!", "!!", "length0", "sides=praise"]
    assert tone_grams("Why did NOBODY ring me back?", NO_CONTEXT) == ["?", "caps", "length2", "sides=none"]
    # Acronyms are names, not shouting.
    assert "caps" not in tone_grams("The GP and the NHS 111 and CAMHS team were fine.", NO_CONTEXT)
    assert tone_grams(" ".join(["word"] * 61), NO_CONTEXT) == ["length5", "sides=none"]


@pytest.mark.parametrize(
    ("text", "sides"),
    [
        ("The nurses were kind.", "sides=praise"),
        ("The ward was filthy.", "sides=complaint"),
        ("Nice staff, but the car park was a nightmare.", "sides=both"),
        ("I could not fault them.", "sides=praise"),  # a negation turns the complaint around
        ("The nurse was not kind.", "sides=complaint"),
        ("Transport arrived and took me home.", "sides=none"),
    ],
)
def test_tone_says_which_sides_the_listed_words_take(text: str, sides: str) -> None:
    assert tone_grams(text, NO_CONTEXT)[-1] == sides


def test_themes_leave_the_tone_out_and_sentiment_reads_it(shipped: FeedbackModel) -> None:
    offset = 0
    for block in shipped.vectoriser.blocks:
        if block.kind == "tone":
            break
        offset += block.width
    else:
        pytest.fail("the shipped model has a tone block")
    rows = slice(offset, offset + block.width)
    assert not shipped.theme_weights[rows].any()
    assert shipped.sentiment_weights[rows].any()
