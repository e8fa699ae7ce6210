"""The feedback dashboard counts from running tallies: every way an answer arrives or changes keeps them equal
to a recount from the answers themselves, and the dashboard shows what a recount would."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Cast
from liaison.feedback import services, tallies
from liaison.feedback.imports import feedback_import_file, guess_mapping, import_source_save
from liaison.feedback.models import FeedbackResponse, FeedbackTally
from liaison.feedback.selectors import DashboardScope, dashboard
from liaison.feedback.tests.test_imports import HEADINGS, fft_file


@pytest.fixture
def survey(cast: Cast):  # type: ignore[no-untyped-def]
    survey = services.survey_create(acting_user=cast.officer, site=cast.rgh, title="Your visit", department=cast.ed)
    services.survey_add_question(acting_user=cast.officer, survey=survey, kind="fft", text="Overall?")
    services.survey_add_question(acting_user=cast.officer, survey=survey, kind="likelihood", text="Recommend us?")
    services.survey_add_question(acting_user=cast.officer, survey=survey, kind="text", text="Tell us more")
    return survey


def _answer(survey, fft: str, likelihood: str, comment: str) -> None:  # type: ignore[no-untyped-def]
    questions = {q.kind: q for q in survey.questions.all()}
    posted = Client().post(
        reverse("feedback:answer", args=[survey.public_key]),
        {
            str(questions["fft"].pk): fft,
            str(questions["likelihood"].pk): likelihood,
            str(questions["text"].pk): comment,
        },
    )
    assert posted.status_code == 302


def test_every_path_keeps_the_tallies_equal_to_a_recount(cast: Cast, survey, tmp_path: Path) -> None:
    # Answers from the public form: counted as they arrive, before any analysis.
    _answer(survey, "1", "10", "The nurses were wonderful and explained everything.")
    _answer(survey, "5", "2", "I waited six hours and nobody told me why.")
    assert tallies.verify() == []
    scope = DashboardScope(site_ids=(cast.rgh.pk,))
    first = dashboard(scope=scope)
    assert (first.total, first.fft_total, first.likelihood_total, first.likelihood_score) == (2, 2, 2, 0.0)

    # The model reads them: themes and sentiment join the counts.
    for response in FeedbackResponse.objects.all():
        services.response_analyse(response=response)
    assert tallies.verify() == []
    analysed = dashboard(scope=scope)
    assert sum(count for _, count in analysed.themes) >= 2
    assert analysed.sentiment_by_month  # each answer's sentiment in its month

    # An officer corrects one: its old themes leave the counts, the new ones arrive.
    waited = FeedbackResponse.objects.get(fft_score=5)
    services.response_correct(acting_user=cast.officer, response=waited, themes=["Waiting times"], sentiment=5)
    assert tallies.verify() == []
    assert ("Waiting times", 1) in dashboard(scope=scope).themes

    # An import adds rows in batches, then the pending ones are analysed in batches of their own.
    source = import_source_save(acting_user=cast.officer, site=cast.rgh, name="FFT", mapping=guess_mapping(HEADINGS))
    job = feedback_import_file(acting_user=cast.officer, source=source, path=fft_file(tmp_path / "f.csv", 120))
    assert job.rows_added == 120
    assert tallies.verify() == []
    assert dashboard(scope=scope).total == 122
    assert services.analyse_pending_responses(batch_size=50) == 120
    assert FeedbackResponse.objects.filter(analysed_at__isnull=True).exclude(comment="").count() == 0
    assert tallies.verify() == []

    # Re-importing the same file adds nothing, and counts nothing twice.
    feedback_import_file(acting_user=cast.officer, source=source, path=fft_file(tmp_path / "f.csv", 120))
    assert tallies.verify() == []
    assert dashboard(scope=scope).total == 122


def test_the_dashboard_filters_by_department_and_days(cast: Cast) -> None:
    def answer(day: date, department, fft: int) -> None:  # type: ignore[no-untyped-def]
        FeedbackResponse.objects.create(
            site=cast.rgh, department=department, received_on=day, fft_score=fft, themes=["Food"], sentiment=3
        )

    answer(date(2026, 1, 5), cast.ed, 1)
    answer(date(2026, 1, 25), cast.ed, 5)
    answer(date(2026, 1, 25), cast.cardiology, 2)
    answer(date(2026, 2, 2), cast.ed, 1)
    assert tallies.rebuild() > 0  # written directly: counted from the rows
    january_ed = DashboardScope(
        site_ids=(cast.rgh.pk,), department_id=cast.ed.pk, date_from=date(2026, 1, 1), date_to=date(2026, 1, 31)
    )
    data = dashboard(scope=january_ed)
    assert (data.total, data.fft_total, data.fft_positive, data.fft_negative) == (2, 2, 50.0, 50.0)
    assert data.themes == [("Food", 2)]
    assert data.sentiment_by_month == [("2026-01", {3: 2})]
    whole = dashboard(scope=DashboardScope(site_ids=(cast.rgh.pk,)))
    assert whole.total == 4
    assert {name: sum(counts.values()) for name, counts in whole.themes_by_department.items()} == {
        cast.ed.name: 3,
        cast.cardiology.name: 1,
    }
    # Another site's reader counts none of them.
    assert dashboard(scope=DashboardScope(site_ids=(cast.hpm.pk,))).total == 0


def test_a_rebuild_puts_right_tallies_that_went_wrong(cast: Cast, survey) -> None:
    _answer(survey, "2", "9", "Good care.")
    FeedbackTally.objects.filter(kind="total").update(count=99)
    assert tallies.verify()  # the difference is reported
    tallies.rebuild()
    assert tallies.verify() == []
    assert dashboard(scope=DashboardScope(site_ids=(cast.rgh.pk,))).total == 1


def test_the_command_reports_tallies_that_went_wrong_and_rebuilds_them(cast: Cast, survey) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    _answer(survey, "1", "10", "Lovely staff.")
    out = StringIO()
    call_command("feedback", "tallies", stdout=out)
    assert "agree" in out.getvalue()
    FeedbackTally.objects.filter(kind="fft").update(count=7)
    with pytest.raises(CommandError, match="differ from a recount"):
        call_command("feedback", "tallies", stdout=StringIO())
    call_command("feedback", "tallies", "--rebuild", stdout=StringIO())
    assert tallies.verify() == []
