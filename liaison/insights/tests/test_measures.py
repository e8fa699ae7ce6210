"""Each measure on a small set of cases built through the real services, its value worked out by hand.

Riverside (RGH) is an English site in Europe/London; Harbor Point (HPM) a US site in America/New_York.
All values are read at NOW, 15 April 2026. January 2026: Thursday 1 is New Year's Day (a bank holiday);
no bank holiday falls between 2 January and 27 March 2026; British Summer Time starts on 29 March.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db.models import QuerySet

from conftest import Cast
from liaison.cases.models import Case
from liaison.cases.services import (
    case_open,
    case_refer_externally,
)
from liaison.insights.measures import MEASURES, Period, breakdown
from liaison.insights.tests.scenario import JANUARY, NOW, England, Harbor, at, new_york, open_case
from liaison.lib.errors import ApplicationError


def _rgh(cast: Cast) -> QuerySet[Case]:
    return Case.objects.filter(site=cast.rgh)


def _denominator(key: str, scope: QuerySet[Case], period: Period) -> set[Case]:
    whole = MEASURES[key].denominator
    assert whole is not None
    return set(whole(scope, period))


def _check(key: str, scope: QuerySet[Case], period: Period, expected: object, counted: set[Case]) -> None:
    measure = MEASURES[key]
    assert measure.value(scope, period) == expected
    assert set(measure.numerator(scope, period)) == counted


def test_cases_received_are_january_s_by_london_time_with_the_converted_and_restricted_cases_counted(
    cast: Cast, england: England
) -> None:
    x = england
    # A 2 Jan, B 23:30 31 Jan (GMT), C 14 Jan, D 20 Jan (restricted), E 10 Jan, G 22 Jan = 6; F (00:10 1 Feb) is not.
    _check("received", _rgh(cast), JANUARY, 6, {x.a, x.b, x.c, x.d, x.e, x.g})
    _check("received", _rgh(cast), Period.month(2026, 2), 1, {x.f})
    # C was a concern and counts as the complaint it is now: complaints A, B, C, D = 4.
    assert breakdown(_rgh(cast), JANUARY, by="case_type") == {"complaint": 4, "compliment": 1, "concern": 1}
    assert breakdown(_rgh(cast), JANUARY, by="channel") == {
        "phone": 2,  # A, C
        "email": 1,  # D
        "in_person": 1,  # G
        "letter": 1,  # B
        "web_form": 1,  # E
    }


def test_acknowledged_within_three_working_days(cast: Cast, england: England) -> None:
    x = england
    # Clocks only for the complaints A, B, C, D (due 3 working days after the day received):
    #   A  received Fri 2 Jan, due Wed 7 Jan, acknowledged Tue 6 Jan: met.
    #   B  received Sat 31 Jan, due Wed 4 Feb, acknowledged Thu 5 Feb: missed.
    #   C  received Wed 14 Jan (as a concern), due Mon 19 Jan, acknowledged Thu 15 Jan: met.
    #   D  received Tue 20 Jan, due Fri 23 Jan, acknowledged Wed 21 Jan: met.
    # 3 of 4 = 75.0%.
    _check("acknowledged_on_time", _rgh(cast), JANUARY, 75.0, {x.a, x.c, x.d})
    assert _denominator("acknowledged_on_time", _rgh(cast), JANUARY) == {x.a, x.b, x.c, x.d}


def test_days_to_acknowledge_count_working_days(cast: Cast, england: England) -> None:
    x = england
    # A 2 Jan → 6 Jan: Mon 5, Tue 6 = 2.  B Sat 31 Jan → Thu 5 Feb: Mon 2 .. Thu 5 = 4.
    # C 14 Jan → 15 Jan = 1.  D 20 Jan → 21 Jan = 1.  Sorted 1, 1, 2, 4.
    # Median (1 + 2) / 2 = 1.5; 90th percentile by nearest rank: ceil(0.9 × 4) = 4th value = 4.
    _check("days_to_acknowledge_median", _rgh(cast), JANUARY, 1.5, {x.a, x.b, x.c, x.d})
    _check("days_to_acknowledge_p90", _rgh(cast), JANUARY, 4, {x.a, x.b, x.c, x.d})


def test_responded_on_time_uses_the_extension_and_the_first_response_of_a_reopened_case(
    cast: Cast, england: England
) -> None:
    x = england
    # A  due 25 working days after Fri 2 Jan = Fri 6 Feb; first response Wed 4 Feb: met (the second, on 20 Feb
    #    after reopening, does not count).
    # B  25 working days after Sat 31 Jan would be Fri 6 Mar, but the agreed extension makes it Tue 31 Mar;
    #    answered Wed 25 Mar: met.
    # C  due 25 working days after Wed 14 Jan = Wed 18 Feb; unanswered on 15 April: missed.
    # D  due 25 working days after Tue 20 Jan = Tue 24 Feb; answered Tue 10 Feb: met.
    # 3 of 4 = 75.0%.
    _check("responded_on_time", _rgh(cast), JANUARY, 75.0, {x.a, x.b, x.d})
    assert _denominator("responded_on_time", _rgh(cast), JANUARY) == {x.a, x.b, x.c, x.d}


def test_days_to_respond_count_the_first_response_in_working_days(cast: Cast, england: England) -> None:
    x = england
    # A 2 Jan → 4 Feb: 20 working days 5-30 Jan + Mon 2 .. Wed 4 Feb (3) = 23 (not 20 Feb, its second response).
    # B 31 Jan → 25 Mar: 20 working days in February + 2-25 March (18) = 38.
    # D 20 Jan → 10 Feb: 21-23 Jan (3) + 26-30 Jan (5) + 2-6 Feb (5) + 9-10 Feb (2) = 15.
    # Sorted 15, 23, 38: median 23; 90th percentile: ceil(0.9 × 3) = 3rd value = 38.
    _check("days_to_respond_median", _rgh(cast), JANUARY, 23, {x.a, x.b, x.d})
    _check("days_to_respond_p90", _rgh(cast), JANUARY, 38, {x.a, x.b, x.d})


def test_outcomes_and_the_well_founded_rate(cast: Cast, england: England) -> None:
    x = england
    _check("upheld", _rgh(cast), JANUARY, 1, {x.a})
    _check("partly_upheld", _rgh(cast), JANUARY, 1, {x.b})
    _check("not_upheld", _rgh(cast), JANUARY, 1, {x.d})
    # (upheld 1 + partly 1) / 3 judged = 66.666… → 66.7%.
    _check("well_founded_rate", _rgh(cast), JANUARY, 66.7, {x.a, x.b})


def test_reopened_counts_cases_responded_closed_or_withdrawn_at_least_once(cast: Cast, england: England) -> None:
    x = england
    # Answered or closed at least once: A, B, D (responses), E (closed compliment), G (closed informally) = 5.
    # Reopened: A. 1 / 5 = 20.0%.
    _check("reopened", _rgh(cast), JANUARY, 20.0, {x.a})
    assert _denominator("reopened", _rgh(cast), JANUARY) == {x.a, x.b, x.d, x.e, x.g}


def test_referrals_count_by_the_referral_date(cast: Cast, england: England) -> None:
    x = england
    # D, received in January, went to the ombudsman on 10 March: March's referral, not January's.
    _check("referred_ombudsman", _rgh(cast), JANUARY, 0, set())
    _check("referred_ombudsman", _rgh(cast), Period.month(2026, 3), 1, {x.d})


def test_open_and_overdue_now(cast: Cast, england: England) -> None:
    x = england
    # Open on 15 April: A and B (responded, not closed), C (acknowledged), F (a new compliment) = 4.
    # D was referred, E closed, G resolved informally. Whatever the period.
    _check("open_now", _rgh(cast), JANUARY, 4, {x.a, x.b, x.c, x.f})
    # Overdue: only C has a deadline left, its response on 18 February, long passed.
    _check("overdue_now", _rgh(cast), Period.month(2025, 1), 1, {x.c})


def test_compliments_and_concerns_resolved_informally(cast: Cast, england: England) -> None:
    x = england
    # E in January; F at 00:10 on 1 February is February's.
    _check("compliments", _rgh(cast), JANUARY, 1, {x.e})
    # G only: C was a concern but is now a complaint.
    _check("concerns_resolved_informally", _rgh(cast), JANUARY, 1, {x.g})


def test_the_caller_s_scope_decides_which_cases_are_counted(cast: Cast, england: England) -> None:
    x = england
    # Without the restricted case D: A, B, C, E, G = 5.
    scope = Case.objects.filter(site=cast.rgh, restricted=False)
    _check("received", scope, JANUARY, 5, {x.a, x.b, x.c, x.e, x.g})
    # Acknowledgement then: A, C met; B missed: 2 / 3 = 66.7%.
    _check("acknowledged_on_time", scope, JANUARY, 66.7, {x.a, x.c})


def test_a_case_received_just_after_midnight_in_summer_time_belongs_to_the_new_month(cast: Cast) -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    case = open_case(cast, datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    with at(datetime(2026, 7, 15, 12, 0, tzinfo=UTC)):
        _check("received", _rgh(cast), Period.month(2026, 6), 0, set())
        _check("received", _rgh(cast), Period.month(2026, 7), 1, {case})


def test_us_grievances_interim_notices_and_responses(cast: Cast, harbor: Harbor) -> None:
    x = harbor
    scope = Case.objects.filter(site=cast.hpm)
    assert {c.case_type for c in (x.u1, x.u2, x.u3)} == {"grievance"}
    # U1 at 23:30 on 31 January in New York (04:30 on 1 February UTC) is January's: U1, U2, U3 = 3.
    _check("received", scope, JANUARY, 3, {x.u1, x.u2, x.u3})
    # 7 calendar days: U1 (31 Jan) due 7 Feb, notice 6 Feb: met. U2 (5 Jan) due 12 Jan, answered 9 Jan: met.
    # U3 (10 Jan) due 17 Jan, nothing: missed. 2 / 3 = 66.7%.
    _check("interim_notice_on_time", scope, JANUARY, 66.7, {x.u1, x.u2})
    # Final response: U1 due 6 Feb + 14 days = 20 Feb, answered 18 Feb: met. U2 due 12 Jan: met. U3: missed.
    _check("responded_on_time", scope, JANUARY, 66.7, {x.u1, x.u2})
    # US grievances have no acknowledgement clock: no share to show.
    _check("acknowledged_on_time", scope, JANUARY, None, set())
    # Calendar days: U1 31 Jan → 18 Feb = 18; U2 5 → 9 Jan = 4. Median (4 + 18) / 2 = 11; p90: 2nd of 2 = 18.
    _check("days_to_respond_median", scope, JANUARY, 11, {x.u1, x.u2})
    _check("days_to_respond_p90", scope, JANUARY, 18, {x.u1, x.u2})
    # Referrals by their date: the QIO in January (U2), the State agency in February (U1).
    _check("referred_qio", scope, JANUARY, 1, {x.u2})
    _check("referred_state_agency", scope, JANUARY, 0, set())
    _check("referred_state_agency", scope, Period.month(2026, 2), 1, {x.u1})
    # Open now: only U3 (U1 and U2 were referred); overdue since 17 January.
    _check("open_now", scope, JANUARY, 1, {x.u3})
    _check("overdue_now", scope, JANUARY, 1, {x.u3})


def test_it_refuses_a_period_that_ends_before_it_starts() -> None:
    with pytest.raises(ApplicationError, match="must end on or after its first day"):
        Period(date(2026, 2, 1), date(2026, 1, 31))


def test_every_measure_says_what_it_counts() -> None:
    for measure in MEASURES.values():
        assert measure.definition and measure.unit in ("count", "percent", "days")
        assert measure.rule == "" or measure.rule.split("-")[0] in ("UK", "US")


def test_a_grievance_referred_before_its_due_day_is_not_counted_late(cast: Cast) -> None:
    officer = cast.outsider
    opened = []
    for hour in (10, 11):
        with at(new_york(2026, 3, 2, hour, 0)):
            opened.append(
                case_open(
                    acting_user=officer,
                    site=cast.hpm,
                    case_type="complaint",
                    channel="letter",
                    received_at=new_york(2026, 3, 2, hour, 0),
                )
            )
    referred, ignored = opened
    with at(new_york(2026, 3, 4, 10, 0)):
        case_refer_externally(acting_user=officer, case=referred, body="state_agency", referred_on=date(2026, 3, 4))
    with at(NOW):
        scope = Case.objects.filter(site=cast.hpm)
        # Both due 9 March. The referred one left the process on 4 March: not late, left out. The other had
        # neither a response nor a notice by then: late. 0 of 1 = 0.0%.
        _check("interim_notice_on_time", scope, Period.month(2026, 3), 0.0, set())
        assert _denominator("interim_notice_on_time", scope, Period.month(2026, 3)) == {ignored}


def test_open_cases_by_age_on_15_april(cast: Cast, england: England) -> None:
    x = england
    # Open on 15 April: A (2 Jan, 103 days), C (14 Jan, 91 days), B (Saturday 31 Jan, 74 days), F (1 Feb, 73).
    _check("open_0_7", _rgh(cast), JANUARY, 0, set())
    _check("open_8_30", _rgh(cast), JANUARY, 0, set())
    _check("open_31_90", _rgh(cast), JANUARY, 2, {x.b, x.f})
    _check("open_over_90", _rgh(cast), JANUARY, 2, {x.a, x.c})
    ages = [MEASURES[k].value(_rgh(cast), JANUARY) for k in ("open_0_7", "open_8_30", "open_31_90", "open_over_90")]
    assert sum(a for a in ages if a is not None) == MEASURES["open_now"].value(_rgh(cast), JANUARY)


def test_breakdowns_by_the_coded_issues_count_a_case_once_under_each_value(cast: Cast, england: England) -> None:
    from liaison.cases.services import issue_add
    from liaison.insights.measures import BREAKDOWNS

    x = england
    with at(NOW):
        issue_add(acting_user=cast.officer, case=x.a, category="communication", summary="Not told", department=cast.ed)
        issue_add(acting_user=cast.officer, case=x.a, category="communication", summary="Not called back")
        issue_add(acting_user=cast.officer, case=x.a, category="safety", summary="A fall", department=cast.cardiology)
        issue_add(acting_user=cast.officer, case=x.b, category="safety", summary="Wrong dose", department=cast.ed)
    # A has communication twice and safety once; B safety. January's other four cases have no coded issue.
    by_category = {v: n for v, _, n in BREAKDOWNS["hcat_category"].counts(_rgh(cast), JANUARY)}
    assert by_category == {"communication": 1, "safety": 2, None: 4}
    by_domain = {v: n for v, _, n in BREAKDOWNS["hcat_domain"].counts(_rgh(cast), JANUARY)}
    assert by_domain == {"clinical": 2, "relationships": 1, None: 4}  # A is both; B clinical
    assert set(BREAKDOWNS["hcat_domain"].cases(_rgh(cast), JANUARY, "relationships")) == {x.a}
    by_department = {v: n for v, _, n in BREAKDOWNS["department"].counts(_rgh(cast), JANUARY)}
    assert by_department == {cast.ed.pk: 2, cast.cardiology.pk: 1, None: 4}
    # The drill-down of each part is exactly its cases.
    assert set(BREAKDOWNS["hcat_category"].cases(_rgh(cast), JANUARY, "safety")) == {x.a, x.b}
    assert set(BREAKDOWNS["department"].cases(_rgh(cast), JANUARY, None)) == {x.c, x.d, x.e, x.g}
