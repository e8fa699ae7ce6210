"""`liaison feedback train --with-corrections` measures, held out, how far the model agrees with the officers'
corrections before and after retraining, keeps the figures with the weights, and the dashboard shows them.

Trained on 300 rows of the shared file, written to a temporary folder: the shipped weights are never touched.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from conftest import Cast
from liaison.feedback import services
from liaison.feedback.analysis.model import WEIGHTS_DIR
from liaison.feedback.management.commands.feedback import DEFAULT_DATA
from liaison.feedback.models import FeedbackResponse

# Written for these tests: what officers said six answers were about.
CORRECTED = [
    ("The porters were late and I missed my scan.", ["Timeliness of care"], 4),
    ("Lovely nurses on ward 7, nothing was too much trouble.", ["Staff manner & personal attributes"], 1),
    ("Nobody answered the phone for two days.", ["Contacting services"], 5),
    ("The sandwiches were stale.", ["Food & drink provision & facilities"], 4),
    ("Could not find a space to park.", ["Parking"], 4),
    ("The consultant explained the operation clearly.", ["Information directly from staff during care"], 2),
]


@pytest.fixture
def small_data(tmp_path: Path) -> Path:
    if not DEFAULT_DATA.exists():
        pytest.skip(f"The shared data file is not here: {DEFAULT_DATA}")
    with DEFAULT_DATA.open(encoding="utf-8-sig", newline="") as f:
        rows = [row for _, row in zip(range(301), csv.reader(f), strict=False)]
    path = tmp_path / "small.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture
def corrections(cast: Cast) -> list[FeedbackResponse]:
    survey = services.survey_create(acting_user=cast.officer, site=cast.rgh, title="Your visit")
    question = services.survey_add_question(acting_user=cast.officer, survey=survey, kind="text", text="Tell us")
    corrected = []
    for text, themes, sentiment in CORRECTED:
        response = services.response_submit(survey=survey, answers={str(question.pk): text}, consent=False)
        corrected.append(
            services.response_correct(acting_user=cast.officer, response=response, themes=themes, sentiment=sentiment)
        )
    return corrected


@pytest.fixture
def model_in_use(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Whichever folder a test points LIAISON_FEEDBACK_MODEL_DIR at is loaded afresh, then forgotten."""
    services._model_at.cache_clear()
    yield
    services._model_at.cache_clear()


def test_training_with_corrections_reports_before_and_after_and_keeps_it_with_the_model(
    cast: Cast, corrections: list[FeedbackResponse], small_data: Path, tmp_path: Path, as_user, settings, model_in_use
) -> None:
    shipped_before = (WEIGHTS_DIR / "model.json").read_bytes()
    before_model = services.shipped_model()
    out = tmp_path / "retrained"
    stdout = io.StringIO()
    call_command(
        "feedback",
        "train",
        "--with-corrections",
        "--data",
        str(small_data),
        "--out",
        str(out),
        "--folds",
        "3",
        stdout=stdout,
        stderr=io.StringIO(),
    )
    printed = stdout.getvalue()
    assert (WEIGHTS_DIR / "model.json").read_bytes() == shipped_before

    report = json.loads((out / "model.json").read_text(encoding="utf-8"))["info"]["corrections_before_after"]
    assert (report["corrections"], report["folds"], report["data"]) == (6, 3, "small.csv")
    # "Before" is the model in use, read on the same answers: its sentiment agreement can be counted here.
    predicted = before_model.predict([r.comment for r in corrections], [r.analysis_context for r in corrections])
    agreed = sum(p.sentiment == r.sentiment for p, r in zip(predicted, corrections, strict=True))
    assert report["before"]["sentiment_accuracy"] == pytest.approx(agreed / 6, abs=1e-4)
    for side in ("before", "after"):
        assert report[side]["sentiment_rows"] == 6
        assert 0.0 <= report[side]["theme_micro_f1"] <= 1.0
        assert 0.0 <= report[side]["sentiment_accuracy"] <= 1.0
    assert (
        f"themes micro F1     {report['before']['theme_micro_f1']:.3f} → {report['after']['theme_micro_f1']:.3f}"
        in printed
    )
    assert (
        f"sentiment accuracy  {report['before']['sentiment_accuracy']:.3f} → "
        f"{report['after']['sentiment_accuracy']:.3f}" in printed
    )

    # The retrained model put in use: the dashboard shows its before/after figures.
    settings.LIAISON_FEEDBACK_MODEL_DIR = str(out)
    services._model_at.cache_clear()
    page = as_user(cast.manager).get(reverse("feedback:dashboard")).content.decode()
    assert "What officers' corrections changed" in page
    assert (
        f'<th scope="row">Themes (micro F1)</th><td>{report["before"]["theme_micro_f1"]:.3f}</td>'
        f"<td>{report['after']['theme_micro_f1']:.3f}</td>" in page
    )


def test_without_corrections_the_dashboard_shows_no_report(cast: Cast, as_user, model_in_use) -> None:
    if services.corrections_report() is not None:
        pytest.skip("The shipped model was trained with corrections.")
    page = as_user(cast.manager).get(reverse("feedback:dashboard")).content.decode()
    assert "corrections changed" not in page
