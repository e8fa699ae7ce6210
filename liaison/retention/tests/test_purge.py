"""The purge: what goes, what stays, and what is never touched (held cases, open cases, the audit trail)."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import Cast
from liaison.advocacy.models import Appeal, PayerContact
from liaison.advocacy.models import Document as AppealDocument
from liaison.audit.models import AuditEvent
from liaison.cases.models import Attachment, Case, Issue, TimelineEvent
from liaison.cases.services import case_open, case_reopen
from liaison.correspondence.models import Letter
from liaison.feedback.models import (
    FeedbackResponse,
    HandlingAnswer,
    HandlingInvitation,
    QuestionKind,
)
from liaison.feedback.services import response_submit, survey_add_question, survey_create
from liaison.inbound.models import InboundMessage
from liaison.insights.measures import Period, breakdown, values
from liaison.investigations.models import Evidence, InvestigationRequest, RequestFinding
from liaison.meetings.models import Meeting, Participant
from liaison.public.models import PublicAccess
from liaison.retention import selectors
from liaison.retention.models import PurgeRun, RecordType
from liaison.retention.services import legal_hold_place, purge_site
from liaison.retention.tests.conftest import (
    NOW,
    SECRETS,
    at,
    closed_case,
    full_case,
    london,
    new_york,
    open_old,
)

# The columns the office's measures read: none of them may change in a purge.
FIGURES = (
    "reference",
    "site_id",
    "case_type",
    "channel",
    "status",
    "priority",
    "received_at",
    "received_on",
    "event_date",
    "acknowledged_at",
    "responded_at",
    "closed_at",
    "outcome",
    "informal_outcome",
    "ack_due_at",
    "response_due_at",
    "first_responded_at",
    "stopped_at",
    "finished_once",
    "reopened",
    "days_to_acknowledge",
    "days_to_respond",
    "merged_into_id",
    "restricted",
)


def _row(case: Case) -> dict[str, Any]:
    return dict(Case.objects.filter(pk=case.pk).values(*FIGURES).get())


def _text_of(case: Case) -> str:
    """Every piece of text still stored for ``case`` and what hangs off it, in one string to search."""
    parts: list[Any] = list(Case.objects.filter(pk=case.pk).values().get().values())
    parts += list(TimelineEvent.objects.filter(case=case).values_list("summary", "body", "data"))
    parts += list(Issue.objects.filter(case=case).values_list("summary", "finding"))
    parts += list(InvestigationRequest.objects.filter(case=case).values_list("questions", "statement"))
    parts += list(RequestFinding.objects.filter(request__case=case).values_list("finding", flat=True))
    parts += list(Letter.objects.filter(case=case).values_list("subject", "body_html", "sent_to"))
    parts += list(InboundMessage.objects.filter(case=case).values_list("from_address", "to_addresses", "subject"))
    parts += list(Meeting.objects.filter(case=case).values_list("place", "agenda", "notes", "points_agreed"))
    parts += list(Participant.objects.filter(meeting__case=case).values_list("name", "email"))
    parts += list(Appeal.objects.filter(case=case).values_list("service", "reason_given"))
    parts += list(PayerContact.objects.filter(appeal__case=case).values_list("person", "said"))
    return repr(parts)


def _purge(site: Any) -> Any:
    return purge_site(site=site, trigger="command", now=NOW)


@pytest.fixture
def old(cast: Cast) -> Any:
    return full_case(cast, london(2014, 3, 3))


def test_a_dry_run_lists_the_due_references_and_changes_nothing(cast: Cast, old: Any, now: datetime) -> None:
    recent = closed_case(cast, london(2020, 3, 2))  # closed in 2020: kept until 2030
    before = (_text_of(old.case), _row(old.case), AuditEvent.objects.count(), PurgeRun.objects.count())

    out = StringIO()
    call_command("retention", "purge", "--dry-run", "--site", "RGH", stdout=out)

    text = out.getvalue()
    assert "Nothing was changed" in text
    assert old.case.reference in text and old.advocacy.reference in text
    assert recent.reference not in text
    assert "Case files (complaints, grievances and every other case), kept 10 years from the case's closure" in text
    assert "unverified until checked" in text
    assert not any(secret in text for secret in SECRETS), "a dry run lists references, never content"
    assert (_text_of(old.case), _row(old.case), AuditEvent.objects.count(), PurgeRun.objects.count()) == before
    assert Case.objects.get(pk=old.case.pk).purged_at is None


def test_the_purge_removes_personal_content_and_keeps_the_figures(
    cast: Cast, old: Any, now: datetime, django_capture_on_commit_callbacks: Any
) -> None:
    figures = _row(old.case)
    PublicAccess.objects.create(case=old.case, secret_hash="f" * 64)
    entries = TimelineEvent.objects.filter(case=old.case).count()
    assert all(secret in _text_of(old.case) for secret in ("Ada Testpatient", "Bob Relative", "call bell"))
    files = [
        Path(Attachment.objects.get(case=old.case).file.path),
        Path(Evidence.objects.get(request__case=old.case).file.path),
        Path(InboundMessage.objects.get(case=old.case).raw_file.path),
        Path(AppealDocument.objects.get(appeal__case=old.advocacy).file.path),
    ]
    assert all(path.exists() for path in files)

    with django_capture_on_commit_callbacks(execute=True):
        result = _purge(cast.rgh)

    assert result.counts[RecordType.CASE_FILE] == 2
    assert sorted(result.references) == sorted([old.case.reference, old.advocacy.reference])
    case = Case.objects.get(pk=old.case.pk)
    assert case.purged_at == NOW
    assert _row(case) == figures
    assert (case.patient_name, case.patient_mrn, case.complainant_name, case.complainant_email) == ("", "", "", "")
    assert (case.account, case.desired_outcome, case.how_considered, case.learning) == ("", "", "", "")
    for secret in SECRETS:
        assert secret not in _text_of(case), secret
        assert secret not in _text_of(Case.objects.get(pk=old.advocacy.pk)), secret
    # The codes stay: the issue's category, department and outcome; the letter's kind; the meeting's kind.
    issue = Issue.objects.get(case=case)
    assert (issue.category, issue.department_id, issue.outcome, issue.severity) == (
        "communication",
        cast.ed.pk,
        "upheld",
        2,
    )
    assert Letter.objects.get(pk=old.letter.pk).kind == "acknowledgement"
    assert Meeting.objects.get(pk=old.meeting.pk).status == "held"
    appeal = Appeal.objects.get(pk=old.appeal.pk)
    assert (appeal.outcome, appeal.amount_recovered, appeal.plan_type) == (
        "overturned",
        120,
        "nhs_continuing_healthcare",
    )
    # Files: the rows and the stored files are gone.
    assert not Attachment.objects.filter(case=case).exists()
    assert not Evidence.objects.filter(request__case=case).exists()
    assert not AppealDocument.objects.filter(appeal__case=old.advocacy).exists()
    assert [path for path in files if path.exists()] == []
    # The timeline keeps its shape: same entries, the codes-only ones as written, plus the purge.
    statuses = list(TimelineEvent.objects.filter(case=case, kind="status").values_list("summary", flat=True))
    assert "Closed" in statuses and "Acknowledged" in statuses
    assert TimelineEvent.objects.filter(case=case, data__retention="purged").count() == 1
    assert TimelineEvent.objects.filter(case=case).count() == entries + 1
    assert not PublicAccess.objects.filter(case_id=case.pk).exists()


def test_the_measures_of_past_years_read_the_same_after_a_purge(cast: Cast, now: datetime) -> None:
    full_case(cast, london(2014, 3, 3))
    closed_case(cast, london(2014, 5, 6), channel="letter")
    closed_case(cast, london(2014, 9, 1), case_type="concern")
    still_open = open_old(cast, london(2014, 10, 1))
    scope = Case.objects.filter(site=cast.rgh)
    year = Period(date(2014, 1, 1), date(2014, 12, 31))

    def measured() -> tuple[Any, ...]:
        return (
            values(scope, year, now=NOW),
            breakdown(scope, year, by="hcat_category"),
            breakdown(scope, year, by="department"),
            breakdown(scope, year, by="channel"),
        )

    before = measured()
    assert before[0]["received"] == 5 and before[1], "the measures must count something, or this proves nothing"
    result = _purge(cast.rgh)
    assert result.counts[RecordType.CASE_FILE] == 4
    assert Case.objects.filter(site=cast.rgh, purged_at__isnull=False).count() == 4
    assert measured() == before
    assert Case.objects.get(pk=still_open.pk).purged_at is None


def test_each_purged_case_gets_an_audit_row_with_its_reference_and_the_run_a_summary(
    cast: Cast, old: Any, now: datetime
) -> None:
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    _purge(cast.rgh)

    new = AuditEvent.objects.filter(id__gt=start)
    per_case = list(new.filter(action="retention.case_purged").order_by("id"))
    assert sorted(event.details["reference"] for event in per_case) == sorted(
        [old.case.reference, old.advocacy.reference]
    )
    assert {event.object_id for event in per_case} == {str(old.case.pk), str(old.advocacy.pk)}
    assert all(event.site_id == cast.rgh.pk and event.actor_id is None for event in per_case)
    summary = new.get(action="retention.purge")
    assert summary.details["counts"][RecordType.CASE_FILE] == 2
    assert summary.details["trigger"] == "command"
    everything = repr(list(new.values_list("details", flat=True)))
    assert not any(secret in everything for secret in SECRETS), "audit rows name references, never content"
    run = PurgeRun.objects.get()
    assert run.finished_at is not None and run.counts[RecordType.CASE_FILE] == 2


def test_a_case_on_legal_hold_is_never_purged(cast: Cast, old: Any, now: datetime) -> None:
    legal_hold_place(acting_user=cast.manager, case=old.case, reason="Claim from the family's solicitors")
    before = (_text_of(old.case), _row(old.case))

    result = _purge(cast.rgh)

    assert old.case.reference not in result.references
    assert old.advocacy.reference in result.references
    held = Case.objects.get(pk=old.case.pk)
    assert held.purged_at is None and held.patient_name == "Ada Testpatient"
    assert (_text_of(held), _row(held)) == before
    assert Attachment.objects.filter(case=held).exists()
    assert selectors.site_plan(cast.rgh, today=date(2026, 4, 15)).held == 1


def test_an_open_case_is_never_purged_however_old(cast: Cast, now: datetime) -> None:
    ancient = open_old(cast, london(2005, 1, 10))
    reopened = closed_case(cast, london(2010, 1, 11))
    with at(london(2011, 2, 1)):
        case_reopen(acting_user=cast.officer, case=reopened, reason="New questions from Bob Relative.")

    # An open case carrying a closing time (imported from an old system, say) is still open: the status decides.
    Case.objects.filter(pk=ancient.pk).update(closed_at=london(2006, 1, 2), stopped_at=london(2006, 1, 2))

    result = _purge(cast.rgh)

    assert result.counts[RecordType.CASE_FILE] == 0
    for case in (ancient, reopened):
        row = Case.objects.get(pk=case.pk)
        assert row.purged_at is None and row.patient_name == "Ada Testpatient" and row.account


def test_the_period_is_counted_to_the_day_at_the_site(cast: Cast) -> None:
    case = closed_case(cast, london(2016, 2, 1))
    closed_on = Case.objects.get(pk=case.pk).closed_at.astimezone(london(2016, 1, 1).tzinfo).date()
    last_kept = closed_on.replace(year=closed_on.year + 10)
    rule = selectors.rules_for(cast.rgh)[RecordType.CASE_FILE]
    assert not selectors.cases_due(cast.rgh, rule, last_kept).exists()
    assert list(selectors.cases_due(cast.rgh, rule, date.fromordinal(last_kept.toordinal() + 1))) == [case]
    assert selectors.purge_from(Case.objects.select_related("site").get(pk=case.pk), rule) == date.fromordinal(
        last_kept.toordinal() + 1
    )


def test_a_us_site_keeps_case_files_six_years(cast: Cast, now: datetime) -> None:
    from liaison.retention.tests.conftest import answer_and_close

    due = answer_and_close(
        cast,
        open_old(cast, new_york(2019, 1, 7), site=cast.hpm, officer=cast.outsider),
        new_york(2019, 1, 7),
        officer=cast.outsider,
    )
    kept = answer_and_close(
        cast,
        open_old(cast, new_york(2021, 1, 5), site=cast.hpm, officer=cast.outsider),
        new_york(2021, 1, 5),
        officer=cast.outsider,
    )

    result = _purge(cast.hpm)

    assert result.references == [due.reference]
    assert Case.objects.get(pk=kept.pk).purged_at is None
    assert Case.objects.get(pk=due.pk).patient_name == ""


def test_free_text_feedback_goes_after_its_period_and_its_scores_stay(cast: Cast, now: datetime) -> None:
    with at(london(2014, 6, 2)):
        survey = survey_create(acting_user=cast.officer, site=cast.rgh, title="Ward 7")
        fft = survey_add_question(acting_user=cast.officer, survey=survey, kind=QuestionKind.FFT, text="How was it?")
        text = survey_add_question(acting_user=cast.officer, survey=survey, kind=QuestionKind.TEXT, text="Tell us more")
        old = response_submit(
            survey=survey,
            answers={str(fft.pk): "2", str(text.pk): "The call bell on ward 7 was ignored."},
            consent=True,
            name="Bob Relative",
            email="bob@example.org",
        )
        invitation = HandlingInvitation.objects.create(
            site=cast.rgh,
            case_type="complaint",
            salt="s",
            token_hash="h" * 64,
            expires_at=NOW,
            closed_on=date(2014, 6, 1),
        )
        handling = HandlingAnswer.objects.create(
            invitation=invitation,
            overall=2,
            kept_informed="no",
            addressed="partly",
            comment="Bob Relative was ignored.",
            language="en",
        )
    FeedbackResponse.objects.filter(pk=old.pk).update(themes=["communication"], sentiment=4)
    with at(london(2020, 6, 2)):
        recent = response_submit(
            survey=survey, answers={str(fft.pk): "1", str(text.pk): "Lovely call bell."}, consent=False
        )

    plan = selectors.site_plan(cast.rgh, today=date(2026, 4, 15))
    assert plan.due[RecordType.FEEDBACK_TEXT].count == 2
    result = _purge(cast.rgh)

    assert result.counts[RecordType.FEEDBACK_TEXT] == 2
    purged = FeedbackResponse.objects.get(pk=old.pk)
    assert (purged.comment, purged.contact_name, purged.contact_email) == ("", "", "")
    assert purged.answers == {str(fft.pk): "2"}
    assert (purged.fft_score, purged.themes, purged.sentiment, purged.received_on) == (
        2,
        ["communication"],
        4,
        date(2014, 6, 2),
    )
    assert HandlingAnswer.objects.get(pk=handling.pk).comment == ""
    assert HandlingAnswer.objects.get(pk=handling.pk).overall == 2
    assert FeedbackResponse.objects.get(pk=recent.pk).comment == "Lovely call bell."
    event = AuditEvent.objects.get(action="retention.feedback_purged")
    assert event.details["feedback_answers"] == [old.pk] and event.details["handling_answers"] == [handling.pk]


def test_a_second_purge_finds_nothing_left(cast: Cast, old: Any, now: datetime) -> None:
    assert _purge(cast.rgh).counts[RecordType.CASE_FILE] == 2
    again = _purge(cast.rgh)
    assert sum(again.counts.values()) == 0
    assert selectors.site_plan(cast.rgh, today=date(2026, 4, 15)).total == 0


def test_the_command_purges_without_dry_run_and_refuses_an_unknown_site(cast: Cast, old: Any, now: datetime) -> None:
    out = StringIO()
    call_command("retention", "purge", "--site", "rgh", "--batch-size", "1", stdout=out)
    assert "purged case files 2" in out.getvalue()
    assert old.case.reference in out.getvalue()
    assert Case.objects.get(pk=old.case.pk).purged_at is not None
    with pytest.raises(CommandError, match="No active site"):
        call_command("retention", "purge", "--site", "NOPE")


def test_a_meeting_record_can_go_before_its_case_file_when_the_site_says_so(cast: Cast, now: datetime) -> None:
    from liaison.retention.services import rule_set

    full = full_case(cast, london(2019, 3, 4))  # closed in 2019: the case file stays until 2029
    rule_set(
        acting_user=cast.manager,
        site=cast.rgh,
        record_type=RecordType.MEETING,
        years=5,
        counted_from="meeting_date",
        source="Board decision of 3 March 2026: meeting notes are kept 5 years.",
        verified=True,
    )
    result = _purge(cast.rgh)

    assert result.counts == {
        RecordType.CASE_FILE: 0,
        RecordType.FEEDBACK_TEXT: 0,
        RecordType.MEETING: 1,
        RecordType.APPEAL: 0,
    }
    meeting = Meeting.objects.get(pk=full.meeting.pk)
    assert (meeting.notes, meeting.place, meeting.agenda) == ("", "", "")
    assert sorted(meeting.participants.values_list("name", flat=True)) == sorted(["", cast.manager.full_name])
    case = Case.objects.get(pk=full.case.pk)
    assert case.purged_at is None and case.patient_name == "Ada Testpatient"
    assert not TimelineEvent.objects.filter(case=case, data__meeting=meeting.pk, body__contains="Bob").exists()
    assert AuditEvent.objects.filter(action="retention.meeting_purged", object_id=str(meeting.pk)).exists()


def test_a_new_case_today_is_not_due(cast: Cast, now: datetime) -> None:
    case = case_open(acting_user=cast.officer, site=cast.rgh, case_type="enquiry", channel="phone", patient_name="X")
    assert (
        not selectors.cases_due(cast.rgh, selectors.rules_for(cast.rgh)[RecordType.CASE_FILE], date(2026, 4, 15))
        .filter(pk=case.pk)
        .exists()
    )
