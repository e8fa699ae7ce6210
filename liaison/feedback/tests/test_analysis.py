"""The feedback text model: shipped weights, predictions, storage, training with corrections, the command."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from liaison.feedback.analysis import FeedbackModel
from liaison.feedback.analysis.data import SENTIMENT_COLUMN, TEXT_COLUMN
from liaison.feedback.analysis.labels import THEME_LABELS
from liaison.feedback.analysis.model import WEIGHTS_DIR
from liaison.feedback.analysis.text import Context, question_kind
from liaison.feedback.analysis.train import train

SHARED_CSV = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "nhs_qdc_v6_labelled.csv"
needs_shared_data = pytest.mark.skipif(
    not SHARED_CSV.exists(), reason=f"needs the shared labelled NHS feedback at {SHARED_CSV} (absent here)"
)

GRATEFUL = "Thank you so much to everyone, the care I received was excellent and I am very grateful."
WAITING = "I waited over five hours for the ambulance and nobody phoned to say how long it would be. Appalling."
FOOD = "The food on the ward was cold and there was no choice for my diet."
TIMELINESS = {"Timeliness of care", "Appointment arrangements", "Contacting services"}

# The shared layout: identification columns, the text and its sentiment, then one column per theme.
LEADING_COLUMNS = ["Comment ID", "Trust", "Respondent ID", "Date", "Service type 1", "Service type 2"]
LEADING_COLUMNS += ["FFT categorical answer", "FFT question", TEXT_COLUMN, "Person identifiable info?"]
LEADING_COLUMNS += [SENTIMENT_COLUMN]

INVENTED_ROWS: list[tuple[str, int | None, list[str]]] = [
    ("Staff were kind and caring, thank you.", 1, ["Staff manner & personal attributes"]),
    ("Lovely friendly nurses, thank you all.", 1, ["Staff manner & personal attributes"]),
    ("Everything was excellent, thank you.", 1, ["Positive experience & gratitude"]),
    ("Excellent service, very grateful.", 1, ["Positive experience & gratitude"]),
    ("Waited four hours for the ambulance.", 5, ["Timeliness of care"]),
    ("The ambulance took hours to arrive.", 4, ["Timeliness of care"]),
    ("Long wait for the transport home.", 4, ["Timeliness of care", "Transport to/ from services"]),
    ("The food was cold and bland.", 4, ["Food & drink provision & facilities"]),
    ("Nice food and drinks on the ward.", 2, ["Food & drink provision & facilities"]),
    ("Could not get through on the phone.", 4, ["Contacting services"]),
    ("Did not answer", None, ["Labelling not possible"]),
    ("Did not answer", None, ["Labelling not possible"]),
    ("", 3, ["Not assigned"]),  # no text: skipped
]


def write_csv(path: Path, rows: list[tuple[str, int | None, list[str]]], question: str = "FFT Why?") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*LEADING_COLUMNS, *THEME_LABELS])
        for n, (text, sentiment, themes) in enumerate(rows):
            leading = [f"T {n} - Q1", "Test", f"T {n}", "01/01/2024", "Ward", "", "1", question, text, ""]
            writer.writerow([*leading, sentiment or "", *("1" if label in themes else "" for label in THEME_LABELS)])
    return path


@pytest.fixture(scope="module")
def shipped() -> FeedbackModel:
    return FeedbackModel.load()


def test_the_shipped_model_sees_gratitude_as_positive(shipped: FeedbackModel) -> None:
    [prediction] = shipped.predict([GRATEFUL])
    assert "Positive experience & gratitude" in prediction.themes
    assert prediction.sentiment <= 2


def test_the_shipped_model_sees_a_long_wait_as_a_negative_timeliness_complaint(shipped: FeedbackModel) -> None:
    [prediction] = shipped.predict([WAITING])
    assert TIMELINESS & set(prediction.themes)
    assert prediction.sentiment >= 4


def test_the_shipped_model_finds_food_and_unanswered_questions(shipped: FeedbackModel) -> None:
    food, unanswered = shipped.predict([FOOD, "Did not answer"])
    assert "Food & drink provision & facilities" in food.themes
    assert unanswered.themes == ["Labelling not possible"]


def test_the_shipped_model_reads_a_bare_food_complaint_as_not_positive(shipped: FeedbackModel) -> None:
    [food] = shipped.predict([FOOD])
    assert food.sentiment >= 3


def test_the_question_answered_decides_what_nothing_means(shipped: FeedbackModel) -> None:
    after_good, after_better, alone = shipped.predict(
        ["Nothing.", "Nothing.", "Nothing."],
        [Context("What was good?", fft_score=5), Context("What could we do better?", fft_score=1), Context()],
    )
    assert after_good.sentiment >= 4
    assert "Negative experience & dissatisfaction" in after_good.themes
    assert after_better.sentiment <= 2
    assert "Positive experience & gratitude" in after_better.themes
    assert 1 <= alone.sentiment <= 5  # without a question the model still answers


def test_the_fft_score_moves_the_sentiment_of_a_neutral_comment(shipped: FeedbackModel) -> None:
    text = "The ambulance arrived late"
    very_good, very_poor = shipped.predict([text, text], [Context("FFT Why?", 1), Context("FFT Why?", 5)])
    assert very_good.sentiment < very_poor.sentiment
    assert "Timeliness of care" in very_good.themes and "Timeliness of care" in very_poor.themes


def test_a_context_per_text_is_required_when_contexts_are_given(shipped: FeedbackModel) -> None:
    with pytest.raises(ValueError, match="2 texts but 1 contexts"):
        shipped.predict([GRATEFUL, WAITING], [Context()])


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("What was good?", "good"),
        ("What could we do better?", "better"),
        ("How could we improve?", "better"),
        ("Is there anything we could have done differently?", "better"),
        ("FFT Why?", "why"),
        ("Please tell us the main reason for your answer", "why"),
        (
            "Please describe any things about the 111 service that you were particularly satisfied and/or "
            "dissatisfied with",
            "both",
        ),
        ("Any other comments", "other"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_questions_are_sorted_into_the_kinds_the_model_knows(prompt: str, kind: str) -> None:
    assert question_kind(prompt) == kind


def test_predictions_carry_a_probability_per_theme(shipped: FeedbackModel) -> None:
    predictions = shipped.predict([GRATEFUL, "", "   "])
    assert len(predictions) == 3
    for prediction in predictions:
        assert list(prediction.theme_scores) == list(THEME_LABELS)
        assert all(0.0 <= p <= 1.0 for p in prediction.theme_scores.values())
        assert 1 <= prediction.sentiment <= 5
    assert shipped.predict([]) == []


def test_save_and_load_give_identical_predictions(shipped: FeedbackModel, tmp_path: Path) -> None:
    texts = [GRATEFUL, WAITING, FOOD, "Did not answer", "Parking was a nightmare!!", ""]
    shipped.save(tmp_path)
    assert shipped.predict(texts) == FeedbackModel.load(tmp_path).predict(texts)


def test_the_weights_are_plain_arrays_and_json_not_pickle() -> None:
    assert sorted(p.name for p in WEIGHTS_DIR.iterdir()) == ["model.json", "model.npz", "word_vectors.npz"]
    assert sum(p.stat().st_size for p in WEIGHTS_DIR.iterdir()) < 15 * 1024 * 1024
    config = json.loads((WEIGHTS_DIR / "model.json").read_text(encoding="utf-8"))
    assert config["labels"] == list(THEME_LABELS)
    assert len(config["thresholds"]) == len(THEME_LABELS)
    with zipfile.ZipFile(WEIGHTS_DIR / "model.npz") as archive:
        for name in archive.namelist():
            assert name.endswith(".npy")
            header = archive.read(name)[:256]
            assert header.startswith(b"\x93NUMPY")
            assert b"'descr': '|O'" not in header  # object arrays would need pickle
    with np.load(WEIGHTS_DIR / "model.npz", allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)


def test_training_lets_officers_corrections_win(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "invented.csv", INVENTED_ROWS)
    corrections = [
        ("Did not answer", ["Not assigned"], 3),  # replaces both rows with this text
        ("The parking was impossible.", ["Service location"], 4),  # new example
        ("A theme we do not use.", ["Not a real theme"], None),
    ]
    model = train(data, corrections)
    assert model.info["rows"] == 14  # 12 with text, plus two new texts
    assert model.info["rows_replaced"] == 2
    assert model.info["corrections_added"] == 2
    assert model.info["unknown_theme_names"] == 1
    assert model.info["sentiment_rows"] == 13  # blank sentiments stay out of the sentiment head
    [prediction] = model.predict(["Did not answer"])
    assert prediction.themes != ["Labelling not possible"]


def test_a_correction_made_under_one_kind_of_question_leaves_other_answers_alone(tmp_path: Path) -> None:
    rows = [("Nothing", 1, ["Positive experience & gratitude"])] * 3 + INVENTED_ROWS
    data = write_csv(tmp_path / "nothing.csv", rows, question="What could we do better?")
    under_good = ("Nothing", ["Negative experience & dissatisfaction"], 5, Context("What was good?", 5))
    under_better = ("nothing", ["Not assigned"], 3, Context("How could we improve?"))
    model = train(data, [under_good])
    assert model.info["rows_replaced"] == 0  # the file's "Nothing" rows answer "What could we do better?"
    assert model.info["corrections_added"] == 1
    model = train(data, [under_better])
    assert model.info["rows_replaced"] == 3


def test_evaluate_prints_json_with_every_metric(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "small.csv", INVENTED_ROWS)
    out = io.StringIO()
    call_command("feedback", "evaluate", "--data", str(data), "--json", stdout=out)
    result = json.loads(out.getvalue())
    for key in ("theme_macro_f1", "theme_micro_f1", "sentiment_accuracy", "sentiment_macro_f1"):
        assert 0.0 <= result[key] <= 1.0
    assert result["comments_per_second"] > 0
    assert result["rows"] == 12
    assert "fit, not" in result["note"]
    assert [row["label"] for row in result["per_label"]] == list(THEME_LABELS)
    assert set(result["per_label"][0]) == {"label", "precision", "recall", "f1", "support"}


@pytest.mark.django_db
def test_the_train_command_writes_weights_with_corrections(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "small.csv", INVENTED_ROWS)
    out = io.StringIO()
    call_command(
        "feedback", "train", "--data", str(data), "--out", str(tmp_path / "w"), "--with-corrections", stdout=out
    )
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["model.json", "model.npz", "word_vectors.npz"]
    assert "Trained on 12 comments" in out.getvalue()
    # No corrections in an empty database (or, before liaison.feedback.corrections exists, a skip message).
    assert "Including 0 officers' corrections" in out.getvalue() or "skipped" in out.getvalue()


@needs_shared_data
def test_it_trains_and_evaluates_on_a_slice_of_the_shared_data(tmp_path: Path) -> None:
    with SHARED_CSV.open(encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    rows = list(csv.reader(io.StringIO("".join(lines))))
    header, body = rows[0], rows[1:]
    sample = tmp_path / "sample.csv"
    with sample.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(body[::20])  # about 320 rows from both trusts
    model = train(sample)
    from liaison.feedback.analysis.evaluate import evaluate

    result = evaluate(model, sample)
    assert result["rows"] > 250
    assert result["theme_micro_f1"] > 0.5  # its own training rows: a sanity check, not a quality measure


@needs_shared_data
def test_the_shipped_model_fits_the_shared_data_it_was_trained_on(shipped: FeedbackModel) -> None:
    from liaison.feedback.analysis.evaluate import evaluate

    result = evaluate(shipped, SHARED_CSV)
    assert result["rows"] == 5922
    assert result["theme_micro_f1"] > 0.85
    assert result["sentiment_accuracy"] > 0.85


def test_labels_one_trust_never_uses_are_counted_against_what_the_other_could_reach() -> None:
    from liaison.feedback.analysis.data import LabelledData
    from liaison.feedback.analysis.evaluate import unseen_in_other_groups

    labels = ["Transport", "Food", "Staff"]
    themes = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 1], [0, 1, 0], [0, 0, 1]], dtype=np.int8)
    data = LabelledData(
        ["a", "b", "c", "d", "e", "f"],
        themes,
        np.zeros(6, dtype=np.int64),
        labels,
        groups=["ambulance"] * 3 + ["community"] * 3,
    )
    # Cross-validated answers that are right everywhere except one missed "Staff" on the community rows.
    predicted = themes.astype(bool)
    predicted[5, 2] = False
    result = unseen_in_other_groups(data, predicted)

    ambulance, community = result["ambulance"], result["community"]
    assert ambulance["labels_unseen_in_other_groups"] == ["Transport"]
    assert ambulance["share_of_its_labels_unseen"] == pytest.approx(2 / 4)
    assert ambulance["theme_micro_f1"] == pytest.approx(1.0)
    # Without the two "Transport" answers: 2 right, 2 missed.
    assert ambulance["theme_micro_f1_without_unseen"] == pytest.approx(2 * 2 / (2 * 2 + 2))
    assert community["labels_unseen_in_other_groups"] == ["Food"]
    assert community["theme_micro_f1"] == pytest.approx(2 * 3 / (2 * 3 + 1))
    assert community["theme_micro_f1_without_unseen"] == pytest.approx(2 * 1 / (2 * 1 + 3))
