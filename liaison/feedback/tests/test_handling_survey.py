"""Complainant satisfaction at closure: the invitation the sweep emails once, the letter's link, the answers and
the measure, each read back from the database or the real SMTP server.

Riverside (RGH) is in Europe/London, Harbor Point (HPM) in America/New_York. British Summer Time starts on
29 March 2026; New York's daylight time on 8 March 2026.
"""

from __future__ import annotations

import re
import socket
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case
from liaison.cases.services import (
    case_acknowledge,
    case_close,
    case_merge,
    case_open,
    case_record_response,
    case_reopen,
    case_start_investigation,
)
from liaison.feedback import handling
from liaison.feedback.models import HandlingAnswer, HandlingInvitation
from liaison.reminders.services import SweepReport, reminders_sweep

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
ACCOUNT = "My mother waited nine hours in the corridor with a broken hip and no pain relief."
ISSUE = "No pain relief for a fractured hip"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/how-we-did/[A-Z2-9-]+/)")


def closed_case(cast: Cast, closed_at: datetime, *, case_type: str = "complaint", **fields: Any) -> Case:
    """A case at ``fields['site']`` (Riverside by default) taken through the real services to closed."""
    site = fields.pop("site", cast.rgh)
    officer = cast.officer if site == cast.rgh else cast.outsider
    department = cast.ed if site == cast.rgh else cast.hpm_er
    fields.setdefault("patient_name", "Ada Testpatient")
    with time_machine.travel(closed_at - timedelta(days=20), tick=False):
        case = case_open(
            acting_user=officer,
            site=site,
            case_type=case_type,
            channel="phone",
            account=ACCOUNT,
            issues=[{"category": "clinical", "severity": 3, "department": department, "summary": ISSUE}],
            **fields,
        )
    if case.case_type in ("complaint", "grievance"):
        with time_machine.travel(closed_at - timedelta(days=10), tick=False):
            case = case_acknowledge(acting_user=officer, case=case, how="phone")
            case = case_start_investigation(acting_user=officer, case=case)
            case = case_record_response(acting_user=officer, case=case, written_notice=site == cast.hpm)
    with time_machine.travel(closed_at, tick=False):
        return case_close(acting_user=officer, case=case)


def sweep(when: datetime) -> int:
    """Our step of the worker's sweep, alone (the first test runs the whole sweep, to show it is registered)."""
    report = SweepReport()
    with time_machine.travel(when, tick=False):
        handling.handling_invitations_sweep(when, report)
    return report.sent


def full_sweep(when: datetime) -> int:
    with time_machine.travel(when, tick=False):
        return reminders_sweep(now=when).sent


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def html_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())


def answer(
    case: Case, overall: int, kept_informed: str, addressed: str, comment: str = "", *, on: datetime | None = None
) -> HandlingAnswer:
    """Answer as the complainant would, a week after the closure unless ``on`` says when."""
    closed_at = case.closed_at
    assert closed_at is not None
    with time_machine.travel(on or closed_at + timedelta(days=7), tick=False):
        return handling.handling_answer_submit(
            invitation=HandlingInvitation.objects.get(case=case),
            overall=overall,
            kept_informed=kept_informed,
            addressed=addressed,
            comment=comment,
            language="en",
        )


CLOSED = datetime(2026, 4, 14, 15, 0, tzinfo=LONDON)


# -- The email --------------------------------------------------------------------------------------------------


def test_closing_a_complaint_emails_its_complainant_once_in_their_language_with_a_working_link(
    cast: Cast, smtp_server: Any
) -> None:
    case = closed_case(cast, CLOSED, patient_email="ada@example.com", preferred_language="es")

    assert full_sweep(CLOSED + timedelta(minutes=10)) >= 1
    assert full_sweep(CLOSED + timedelta(minutes=20)) == 0
    assert sweep(CLOSED + timedelta(days=3)) == 0

    [message] = smtp_server.to("ada@example.com")
    assert message["Subject"].strip() == "¿Cómo gestionamos su queja? Tres preguntas de Riverside General Hospital"
    body = text_of(message)
    assert "Estimado/a Ada Testpatient:" in body
    assert f"Hemos cerrado su queja (referencia {case.reference})" in body
    # Valid for 60 days from the email: 13 June 2026, with the month in Spanish.
    assert "hasta el 13 de junio de 2026" in body
    invitation = HandlingInvitation.objects.get(case=case)
    assert (invitation.language, invitation.closed_on, invitation.site_id) == ("es", date(2026, 4, 14), cast.rgh.pk)
    assert invitation.emailed_at == CLOSED + timedelta(minutes=10)
    assert AuditEvent.objects.filter(
        action="feedback.handling_invite", object_id=str(invitation.pk), details__by="email"
    ).exists()
    # The link works: it opens the survey, in Spanish, at an address without the code.
    [path] = LINK.findall(body)
    assert path in html_of(message)
    with time_machine.travel(CLOSED + timedelta(days=1), tick=False):
        client = Client()
        opened = client.get(path)
        assert opened.status_code == 302 and opened["Location"] == "/how-we-did/"
        page = client.get("/how-we-did/")
        assert page.status_code == 200
        content = page.content.decode()
        assert '<html lang="es">' in content
        assert "¿Cómo gestionamos su queja?" in content
        assert case.reference in content
    # The code printed beside the link is the same code.
    code = re.search(r"introduzca este código: ([A-Z2-9-]+)", body)
    assert code is not None and path == f"/how-we-did/{code.group(1)}/"
    assert handling.invitation_for_code(code.group(1).lower()) == invitation


def test_the_email_says_nothing_clinical_and_goes_to_the_representative_not_the_patient(
    cast: Cast, smtp_server: Any
) -> None:
    case = closed_case(
        cast,
        CLOSED,
        patient_email="ada@example.com",
        complainant_is_patient=False,
        complainant_name="Ben Representative",
        complainant_relationship="son",
        complainant_email="ben@example.com",
        consent_method="written",
        consent_date=date(2026, 3, 1),
    )
    sweep(CLOSED + timedelta(hours=1))

    assert smtp_server.to("ada@example.com") == []
    [message] = smtp_server.to("ben@example.com")
    assert message["Subject"] == "How did we handle your complaint? Three questions from Riverside General Hospital"
    for part in (text_of(message), html_of(message)):
        assert "Dear Ben Representative," in part
        assert case.reference in part
        for clinical in (ACCOUNT, ISSUE, "Ada", "hip", "pain", "Emergency"):
            assert clinical not in part, clinical
    assert "until 13 June 2026" in text_of(message)


def test_a_language_we_have_no_text_in_falls_back_to_english(cast: Cast, smtp_server: Any) -> None:
    case = closed_case(cast, CLOSED, patient_email="ada@example.com", preferred_language="pl")
    sweep(CLOSED + timedelta(hours=1))

    [message] = smtp_server.to("ada@example.com")
    assert message["Subject"].startswith("How did we handle your complaint?")
    assert HandlingInvitation.objects.get(case=case).language == "en"


def test_a_reopened_and_closed_again_complaint_is_not_invited_twice_and_keeps_its_first_day(
    cast: Cast, smtp_server: Any
) -> None:
    case = closed_case(cast, CLOSED, patient_email="ada@example.com")
    sweep(CLOSED + timedelta(hours=1))
    with time_machine.travel(CLOSED + timedelta(days=5), tick=False):
        case = case_reopen(acting_user=cast.officer, case=case, reason="She found another letter.")
        case = case_record_response(acting_user=cast.officer, case=case)
        case = case_close(acting_user=cast.officer, case=case)
    sweep(CLOSED + timedelta(days=5, hours=1))

    assert len(smtp_server.to("ada@example.com")) == 1
    assert HandlingInvitation.objects.filter(case=case).count() == 1
    assert HandlingInvitation.objects.get(case=case).closed_on == date(2026, 4, 14)


def test_no_email_without_an_address_for_concerns_compliments_duplicates_or_old_closures(
    cast: Cast, smtp_server: Any
) -> None:
    no_address = closed_case(cast, CLOSED)
    # The patient has an address, but a representative complained and gave none.
    representative_without = closed_case(
        cast,
        CLOSED,
        patient_email="ada@example.com",
        complainant_is_patient=False,
        complainant_name="Ben Representative",
        complainant_relationship="son",
        consent_method="written",
        consent_date=date(2026, 3, 1),
    )
    concern = closed_case(cast, CLOSED, case_type="concern", patient_email="concern@example.com")
    compliment = closed_case(cast, CLOSED, case_type="compliment", patient_email="compliment@example.com")
    long_ago = closed_case(cast, CLOSED - timedelta(days=31), patient_email="old@example.com")
    with time_machine.travel(CLOSED - timedelta(days=20), tick=False):
        keeper = case_open(acting_user=cast.officer, site=cast.rgh, case_type="complaint", channel="phone")
        duplicate = case_open(
            acting_user=cast.officer,
            site=cast.rgh,
            case_type="complaint",
            channel="phone",
            patient_email="dup@example.com",
        )
    with time_machine.travel(CLOSED, tick=False):
        case_merge(acting_user=cast.officer, duplicate=duplicate, into=keeper)

    sweep(CLOSED + timedelta(hours=1))

    for address in ("ada@example.com", "concern@example.com", "compliment@example.com", "old@example.com"):
        assert smtp_server.to(address) == [], address
    assert smtp_server.to("dup@example.com") == []
    assert not HandlingInvitation.objects.filter(
        case__in=[no_address, representative_without, concern, compliment, long_ago, duplicate]
    ).exists()


def test_an_email_the_server_refuses_is_tried_again_at_the_next_sweep(
    cast: Cast, smtp_server: Any, settings: Any
) -> None:
    case = closed_case(cast, CLOSED, patient_email="ada@example.com")
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]
    sweep(CLOSED + timedelta(minutes=10))
    assert not HandlingInvitation.objects.filter(case=case).exists()

    settings.EMAIL_PORT = smtp_server.port
    sweep(CLOSED + timedelta(minutes=20))
    assert len(smtp_server.to("ada@example.com")) == 1
    assert HandlingInvitation.objects.get(case=case).emailed_at == CLOSED + timedelta(minutes=20)


# -- The final letter's link, for complainants without an email address ---------------------------------------


def test_a_final_letter_without_an_email_address_gets_a_link_that_counts_once_the_case_closes(
    cast: Cast, smtp_server: Any
) -> None:
    with time_machine.travel(CLOSED - timedelta(days=20), tick=False):
        case = case_open(
            acting_user=cast.officer, site=cast.rgh, case_type="complaint", channel="letter", patient_name="Al Post"
        )
        case = case_acknowledge(acting_user=cast.officer, case=case, how="letter")
    with time_machine.travel(CLOSED - timedelta(days=1), tick=False):
        assert handling.handling_letter_values(case, "acknowledgement") == {"satisfaction_survey": None}
        first = handling.handling_letter_values(case, "final_response", language="es")["satisfaction_survey"]
        again = handling.handling_letter_values(case, "final_response", language="es")["satisfaction_survey"]
        case = case_record_response(acting_user=cast.officer, case=case)
    assert first == again  # making the letter again prints the same code
    assert first["address"] == "http://127.0.0.1:8000/how-we-did/"
    assert first["url"] == f"http://127.0.0.1:8000/how-we-did/{first['code']}/"
    invitation = HandlingInvitation.objects.get(case=case)
    assert handling.invitation_for_code(first["code"]) == invitation
    assert (invitation.language, invitation.closed_on, invitation.emailed_at) == ("es", None, None)
    assert invitation.letter_link_at == CLOSED - timedelta(days=1)

    with time_machine.travel(CLOSED, tick=False):
        case_close(acting_user=cast.officer, case=case)
    sweep(CLOSED + timedelta(hours=1))
    invitation.refresh_from_db()
    assert invitation.closed_on == date(2026, 4, 14)
    assert invitation.expires_at == CLOSED + handling.VALID_FOR  # 60 days from the closure, not from the letter
    assert invitation.emailed_at is None
    assert all(str(m["To"]).endswith("@rgh.example") for m in smtp_server.messages)  # staff reminders only
    assert handling.handling_satisfaction([cast.rgh.pk], date(2026, 4, 1), date(2026, 4, 30))["invited"] == 1


def test_a_letter_to_someone_with_an_email_address_carries_no_link(cast: Cast) -> None:
    with time_machine.travel(CLOSED, tick=False):
        case = case_open(
            acting_user=cast.officer, site=cast.rgh, case_type="complaint", channel="email", patient_email="a@b.org"
        )
        assert handling.handling_letter_values(case, "final_response") == {"satisfaction_survey": None}
    assert not HandlingInvitation.objects.exists()


# -- Answers ---------------------------------------------------------------------------------------------------


def test_a_second_answer_is_refused_and_the_first_kept(cast: Cast, smtp_server: Any) -> None:
    case = closed_case(cast, CLOSED, patient_email="ada@example.com")
    sweep(CLOSED + timedelta(hours=1))
    answer(case, 2, "no", "partly", "Nobody rang me back.")

    with pytest.raises(handling.AlreadyAnswered):
        answer(case, 5, "yes", "yes", "Actually all fine.")
    # And should two answers race past the check, the database keeps one.
    with pytest.raises(IntegrityError), transaction.atomic():
        HandlingAnswer.objects.create(
            invitation=HandlingInvitation.objects.get(case=case), overall=5, kept_informed="yes", addressed="yes"
        )
    [kept] = HandlingAnswer.objects.filter(invitation__case=case)
    assert (kept.overall, kept.kept_informed, kept.addressed, kept.comment) == (
        2,
        "no",
        "partly",
        "Nobody rang me back.",
    )
    assert AuditEvent.objects.filter(action="public.handling_answer", object_id=str(kept.invitation_id)).count() == 1


def test_an_expired_invitation_takes_no_answer(cast: Cast, smtp_server: Any) -> None:
    case = closed_case(cast, CLOSED, patient_email="ada@example.com")
    sweep(CLOSED + timedelta(hours=1))
    # Sixty days from the email, sent an hour after the closure.
    answer_late = CLOSED + timedelta(hours=1, days=60, seconds=1)
    with pytest.raises(handling.Expired):
        answer(case, 4, "yes", "yes", on=answer_late)
    assert not HandlingAnswer.objects.exists()


def test_codes_are_long_random_and_stored_only_as_a_hash(cast: Cast, smtp_server: Any) -> None:
    cases = [closed_case(cast, CLOSED, patient_email=f"p{i}@example.com") for i in range(3)]
    sweep(CLOSED + timedelta(hours=1))
    codes = set()
    for i, case in enumerate(cases):
        [path] = LINK.findall(text_of(smtp_server.to(f"p{i}@example.com")[0]))
        code = path.split("/")[2]
        codes.add(code)
        assert re.fullmatch(r"[A-HJ-NP-Z2-9]{5}(-[A-HJ-NP-Z2-9]{5}){3}", code)
        stored = HandlingInvitation.objects.filter(case=case).values().get()
        assert all(code.replace("-", "") not in str(value) for value in stored.values())
    assert len(codes) == 3
    assert handling.invitation_for_code("ABCDE-FGHJK-LMNPQ-RSTUV") is None
    assert handling.invitation_for_code("not a code\x00") is None


# -- The measure, worked out by hand ----------------------------------------------------------------------------


@pytest.fixture
def answered(cast: Cast, smtp_server: Any) -> dict[str, Case]:
    """Complaints closed around the end of March 2026, and what their complainants answered.

    A  RGH 10 Mar 12:00 London                answered 5, yes, yes
    B  RGH 31 Mar 23:30 BST (22:30 UTC)       answered 4, partly, yes      March in London
    C  RGH  1 Apr 00:30 BST (31 Mar 23:30 UTC) answered 1, no, no          April in London, March in UTC
    D  RGH 20 Mar, invited, no answer
    E  HPM 31 Mar 22:00 EDT (1 Apr 02:00 UTC) answered 2, yes, partly      March in New York, April in UTC
    F  RGH 15 Mar, no email: the final letter's code, answered 3, no, partly before the case closed
    G  RGH concern closed 12 Mar with an email: not invited
    """
    x = {
        "A": closed_case(cast, datetime(2026, 3, 10, 12, 0, tzinfo=LONDON), patient_email="a@example.com"),
        "B": closed_case(cast, datetime(2026, 3, 31, 23, 30, tzinfo=LONDON), patient_email="b@example.com"),
        "C": closed_case(cast, datetime(2026, 4, 1, 0, 30, tzinfo=LONDON), patient_email="c@example.com"),
        "D": closed_case(cast, datetime(2026, 3, 20, 9, 0, tzinfo=LONDON), patient_email="d@example.com"),
        "E": closed_case(
            cast, datetime(2026, 3, 31, 22, 0, tzinfo=NEW_YORK), site=cast.hpm, patient_email="e@example.com"
        ),
        "G": closed_case(
            cast, datetime(2026, 3, 12, 9, 0, tzinfo=LONDON), case_type="concern", patient_email="g@example.com"
        ),
    }
    with time_machine.travel(datetime(2026, 2, 20, tzinfo=UTC), tick=False):
        f = case_open(acting_user=cast.officer, site=cast.rgh, case_type="complaint", channel="letter")
        f = case_acknowledge(acting_user=cast.officer, case=f, how="letter")
    with time_machine.travel(datetime(2026, 3, 5, tzinfo=UTC), tick=False):
        code = handling.handling_letter_values(f, "final_response")["satisfaction_survey"]["code"]
        f = case_record_response(acting_user=cast.officer, case=f)
        invitation = handling.invitation_for_code(code)
        assert invitation is not None
        handling.handling_answer_submit(
            invitation=invitation, overall=3, kept_informed="no", addressed="partly", comment="", language="en"
        )
    with time_machine.travel(datetime(2026, 3, 15, 10, 0, tzinfo=LONDON), tick=False):
        x["F"] = case_close(acting_user=cast.officer, case=f)
    sweep(datetime(2026, 4, 2, 10, 0, tzinfo=UTC))
    answer(x["A"], 5, "yes", "yes")
    answer(x["B"], 4, "partly", "yes")
    answer(x["C"], 1, "no", "no", "Nobody listened.")
    answer(x["E"], 2, "yes", "partly")
    return x


def test_the_measure_counts_march_by_each_site_s_own_calendar(cast: Cast, answered: dict[str, Case]) -> None:
    # Invited A, B, D, E, F (C closed in April in London; G is a concern). Answered A, B, E, F: 4 of 5.
    # Satisfied (4 or 5): A and B, 2 of 4 = 50.0 %.
    result = handling.handling_satisfaction([cast.rgh.pk, cast.hpm.pk], date(2026, 3, 1), date(2026, 3, 31))
    assert {
        k: result[k] for k in ("invited", "answered", "satisfied", "percent_satisfied", "response_rate", "few")
    } == {
        "invited": 5,
        "answered": 4,
        "satisfied": 2,
        "percent_satisfied": 50.0,
        "response_rate": 80.0,
        "few": True,
    }
    questions = result["questions"]
    assert questions["overall"]["counts"] == {5: 1, 4: 1, 3: 1, 2: 1, 1: 0}
    assert list(questions["overall"]["counts"]) == [5, 4, 3, 2, 1]
    assert questions["kept_informed"]["counts"] == {"yes": 2, "partly": 1, "no": 1}  # A, E yes; B partly; F no
    assert questions["addressed"]["counts"] == {"yes": 2, "partly": 2, "no": 0}  # A, B yes; E, F partly
    assert questions["overall"]["text"].startswith("Overall, how satisfied are you")


def test_the_measure_for_one_site_and_the_next_month(cast: Cast, answered: dict[str, Case]) -> None:
    # Riverside in March: A, B, D, F invited; A, B, F answered; A, B satisfied: 2 of 3 = 66.7 %, 3 of 4 = 75.0 %.
    march = handling.handling_satisfaction([cast.rgh.pk], date(2026, 3, 1), date(2026, 3, 31))
    assert (march["invited"], march["answered"], march["satisfied"]) == (4, 3, 2)
    assert (march["percent_satisfied"], march["response_rate"]) == (66.7, 75.0)
    # Riverside in April: C alone, very dissatisfied.
    april = handling.handling_satisfaction([cast.rgh.pk], date(2026, 4, 1), date(2026, 4, 30))
    assert (april["invited"], april["answered"], april["satisfied"], april["percent_satisfied"]) == (1, 1, 0, 0.0)
    assert april["questions"]["overall"]["counts"][1] == 1
    # Harbor Point in April (E belongs to March in New York): nothing, and no percentage to show.
    empty = handling.handling_satisfaction([cast.hpm.pk], date(2026, 4, 1), date(2026, 4, 30))
    assert (empty["invited"], empty["answered"], empty["percent_satisfied"], empty["response_rate"]) == (
        0,
        0,
        None,
        None,
    )
    # Both days of the period count: B on 31 March alone.
    last_day = handling.handling_satisfaction([cast.rgh.pk], date(2026, 3, 31), date(2026, 3, 31))
    assert (last_day["invited"], last_day["answered"], last_day["satisfied"]) == (1, 1, 1)
    # A site the caller did not ask for adds nothing.
    assert handling.handling_satisfaction([], date(2026, 3, 1), date(2026, 3, 31))["invited"] == 0


def test_the_drill_down_lists_the_invited_cases_only(cast: Cast, answered: dict[str, Case]) -> None:
    x = answered
    invited = handling.handling_invited_cases(Case.objects.filter(site=cast.rgh), date(2026, 3, 1), date(2026, 3, 31))
    assert set(invited) == {x["A"], x["B"], x["D"], x["F"]}


def test_the_measure_takes_two_queries(cast: Cast, answered: dict[str, Case], django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2):
        handling.handling_satisfaction([cast.rgh.pk, cast.hpm.pk], date(2026, 1, 1), date(2026, 12, 31))
