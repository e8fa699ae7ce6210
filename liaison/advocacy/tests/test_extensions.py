"""INS-4 extensions, INS-3 refused expedited reviews, and the worklist's "appeal deadline in the next 7 days".

Dates are worked by hand: Medicaid managed care decides a standard appeal in 30 calendar days from filing
(INS-2) and an expedited one in 72 hours (INS-3, shown as the third day after filing).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from liaison.advocacy import rules, selectors, services
from liaison.advocacy.models import Appeal
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case, TimelineEvent
from liaison.cases.services import case_open
from liaison.lib.errors import ApplicationError

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("UTC"))  # a Tuesday; the 7-day window ends on 17 March


@pytest.fixture(autouse=True)
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def _appeal(cast: Any, **fields: Any) -> Appeal:
    case = case_open(acting_user=cast.officer, site=cast.rgh, case_type="advocacy", channel="phone", owner=cast.officer)
    values: dict[str, Any] = {
        "org_name": "State Medicaid plan",
        "org_kind": "payer",
        "plan_type": "medicaid_managed_care",
        "level": "internal",
        "urgency": "standard",
        "timing": "pre_service",
        "decision_received_on": date(2026, 1, 20),
        "service": "Home oxygen",
    }
    values.update(fields)
    return services.appeal_record(acting_user=cast.officer, case=case, **values)


def _decide(appeal: Appeal) -> rules.Deadline:
    appeal.refresh_from_db()
    return next(d for d in selectors.deadlines_for(appeal) if d.key == "decide")


def test_a_14_day_extension_moves_the_decision_due_date_and_names_ins4(cast: Any) -> None:
    appeal = _appeal(cast, filed_on=date(2026, 3, 2))
    before = _decide(appeal)
    assert (before.due, before.rule_id, before.adjustments) == (date(2026, 4, 1), "INS-2", ())
    services.extension_record(
        acting_user=cast.officer, appeal=appeal, days=14, reason="Waiting for the GP's records",
        notified_on=date(2026, 3, 9),
    )  # fmt: skip
    appeal.refresh_from_db()
    assert (appeal.extension_days, appeal.extension_reason, appeal.extension_notified_on) == (
        14, "Waiting for the GP's records", date(2026, 3, 9),
    )  # fmt: skip
    after = _decide(appeal)
    assert after.due == date(2026, 4, 15)
    assert (after.rule_id, after.source) == ("INS-2", "42 CFR 438.408(b)(2)")  # the base rule stays shown
    (ext,) = after.adjustments
    assert (ext.rule_id, ext.source, ext.unverified) == ("INS-4", "42 CFR 438.408(c)", False)
    assert "14 calendar days" in ext.rule and "1 April 2026" in ext.rule and "9 March 2026" in ext.rule
    event = AuditEvent.objects.get(action="case.advocacy_extension")
    assert event.actor == cast.officer
    assert (event.details["days"], event.details["decision_due_before"], event.details["decision_due_after"]) == (
        14, "2026-04-01", "2026-04-15",
    )  # fmt: skip
    assert TimelineEvent.objects.filter(case=appeal.case, summary__contains="extended the decision by 14").exists()
    # The reminders and the worklist read the same running deadline.
    (running,) = selectors.running_deadlines(appeal)
    assert running.due == date(2026, 4, 15)
    with pytest.raises(ApplicationError, match="already recorded"):
        services.extension_record(
            acting_user=cast.officer, appeal=appeal, days=1, reason="More", notified_on=date(2026, 3, 9)
        )


def test_an_extension_of_15_days_or_on_other_plans_is_refused(cast: Any) -> None:
    appeal = _appeal(cast, filed_on=date(2026, 3, 2))
    with pytest.raises(ApplicationError, match=r"at most 14 calendar days \(INS-4"):
        services.extension_record(
            acting_user=cast.officer, appeal=appeal, days=15, reason="r", notified_on=date(2026, 3, 9)
        )
    with pytest.raises(ApplicationError, match="reason"):
        services.extension_record(
            acting_user=cast.officer, appeal=appeal, days=5, reason="  ", notified_on=date(2026, 3, 9)
        )
    with pytest.raises(ApplicationError, match="future"):
        services.extension_record(
            acting_user=cast.officer, appeal=appeal, days=5, reason="r", notified_on=date(2026, 3, 11)
        )
    with pytest.raises(ApplicationError, match="advocacy"):
        services.extension_record(
            acting_user=cast.executive, appeal=appeal, days=5, reason="r", notified_on=date(2026, 3, 9)
        )
    erisa = _appeal(cast, plan_type="erisa_employer", filed_on=date(2026, 3, 2))
    with pytest.raises(ApplicationError, match="Medicaid managed care"):
        services.extension_record(
            acting_user=cast.officer, appeal=erisa, days=5, reason="r", notified_on=date(2026, 3, 9)
        )
    preparing = _appeal(cast)
    with pytest.raises(ApplicationError, match="filed"):
        services.extension_record(
            acting_user=cast.officer, appeal=preparing, days=5, reason="r", notified_on=date(2026, 3, 9)
        )
    appeal.refresh_from_db()
    assert appeal.extension_days is None and _decide(appeal).due == date(2026, 4, 1)
    assert not AuditEvent.objects.filter(action="case.advocacy_extension").exists()
    with pytest.raises(ValueError):
        rules.appeal_deadlines(
            plan="medicaid_managed_care", level="internal", urgency="standard", timing="pre_service",
            decision_received_on=date(2026, 1, 20), filed_on=date(2026, 3, 2), extension_days=15,
        )  # fmt: skip


def test_a_refused_expedited_review_moves_the_appeal_to_the_standard_timeframe(cast: Any) -> None:
    appeal = _appeal(cast, urgency="expedited", filed_on=date(2026, 3, 2))
    expedited = _decide(appeal)
    assert (expedited.due, expedited.rule_id, expedited.counting) == (date(2026, 3, 5), "INS-3", "hours")
    services.expedited_refusal_record(acting_user=cast.officer, appeal=appeal, refused_on=date(2026, 3, 4))
    appeal.refresh_from_db()
    assert (appeal.expedited_refused_on, appeal.urgency) == (date(2026, 3, 4), "expedited")
    standard = _decide(appeal)
    assert (standard.due, standard.rule_id, standard.source) == (date(2026, 4, 1), "INS-2", "42 CFR 438.408(b)(2)")
    (moved,) = standard.adjustments
    assert moved.rule_id == "INS-3" and moved.source.startswith("42 CFR 438.410")
    assert moved.unverified and "4 March 2026" in moved.rule
    event = AuditEvent.objects.get(action="advocacy.expedited_refused")
    assert (event.details["decision_due_before"], event.details["decision_due_after"]) == ("2026-03-05", "2026-04-01")
    assert AuditEvent.objects.filter(action="case.advocacy_expedited_refused").exists()
    assert TimelineEvent.objects.filter(case=appeal.case, summary__contains="expedited review refused").exists()
    # An extension then adds to the standard date, and both steps are listed in order.
    services.extension_record(
        acting_user=cast.officer, appeal=appeal, days=10, reason="Specialist opinion", notified_on=date(2026, 3, 9)
    )
    both = _decide(appeal)
    assert both.due == date(2026, 4, 11)
    assert [a.rule_id for a in both.adjustments] == ["INS-3", "INS-4"]
    with pytest.raises(ApplicationError, match="already recorded"):
        services.expedited_refusal_record(acting_user=cast.officer, appeal=appeal, refused_on=date(2026, 3, 5))


def test_a_refusal_needs_an_expedited_filed_appeal_and_a_sensible_date(cast: Any) -> None:
    standard = _appeal(cast, filed_on=date(2026, 3, 2))
    with pytest.raises(ApplicationError, match="did not ask"):
        services.expedited_refusal_record(acting_user=cast.officer, appeal=standard, refused_on=date(2026, 3, 4))
    expedited = _appeal(cast, urgency="expedited", filed_on=date(2026, 3, 2))
    with pytest.raises(ApplicationError, match="before the appeal was filed"):
        services.expedited_refusal_record(acting_user=cast.officer, appeal=expedited, refused_on=date(2026, 3, 1))
    with pytest.raises(ApplicationError, match="future"):
        services.expedited_refusal_record(acting_user=cast.officer, appeal=expedited, refused_on=date(2026, 3, 11))
    expedited.refresh_from_db()
    assert expedited.expedited_refused_on is None and _decide(expedited).due == date(2026, 3, 5)


def test_the_appeal_page_records_both_and_shows_each_rule_with_its_source(cast: Any, as_user: Any) -> None:
    appeal = _appeal(cast, urgency="expedited", filed_on=date(2026, 3, 2))
    client = as_user(cast.officer)
    ref = appeal.case.reference
    page = client.get(reverse("advocacy:appeal", args=[ref])).content.decode()
    assert "Record that the plan refused an expedited review" in page and "Record an extension" in page
    too_long = client.post(
        reverse("advocacy:step", args=[ref, appeal.pk, "extension"]),
        {f"x{appeal.pk}-days": "15", f"x{appeal.pk}-reason": "r", f"x{appeal.pk}-notified_on": "2026-03-09"},
    )
    assert too_long.status_code == 400 and "at most 14 calendar days" in too_long.content.decode()
    response = client.post(
        reverse("advocacy:step", args=[ref, appeal.pk, "refusal"]), {f"r{appeal.pk}-refused_on": "2026-03-04"}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("advocacy:step", args=[ref, appeal.pk, "extension"]),
        {f"x{appeal.pk}-days": "14", f"x{appeal.pk}-reason": "Records", f"x{appeal.pk}-notified_on": "2026-03-09"},
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert (appeal.expedited_refused_on, appeal.extension_days) == (date(2026, 3, 4), 14)
    page = client.get(reverse("advocacy:appeal", args=[ref])).content.decode()
    assert "Wednesday 15 April 2026" in page  # 1 April + 14 days
    assert "INS-2" in page and "42 CFR 438.408(b)(2)" in page
    assert "INS-4: 42 CFR 438.408(c)" in page and "INS-3: 42 CFR 438.410" in page
    assert "Refused by the plan on 4 March 2026" in page
    assert "Record an extension" not in page  # one extension only


def _listed(client: Any) -> set[str]:
    page = client.get("/cases/", {"view": "site", "with": "appeal_due_soon"})
    assert page.status_code == 200
    return set(re.findall(r"RGH-\d{4}-\d{5}", page.content.decode()))


def test_the_worklist_lists_cases_with_an_appeal_deadline_within_7_days(
    cast: Any, as_user: Any, django_assert_num_queries: Any
) -> None:
    soon_expedited = _appeal(cast, urgency="expedited", filed_on=date(2026, 3, 9))  # due 12 March
    overdue = _appeal(cast, urgency="expedited", filed_on=date(2026, 3, 2))  # due 5 March, passed
    last_day = _appeal(cast, filed_on=date(2026, 2, 15))  # due 17 March: the window's last day
    day_after = _appeal(cast, filed_on=date(2026, 2, 16))  # due 18 March
    later = _appeal(cast, filed_on=date(2026, 3, 2))  # due 1 April
    to_file = _appeal(  # preparing: ERISA's 180 days to file run out on 11 March
        cast, plan_type="erisa_employer", decision_received_on=date(2025, 9, 12)
    )
    extended = _appeal(cast, filed_on=date(2026, 2, 10))  # due 12 March, then 14 days more: 26 March
    decided = _appeal(cast, urgency="expedited", filed_on=date(2026, 3, 2))
    services.outcome_record(acting_user=cast.officer, appeal=decided, outcome="upheld", decision_on=date(2026, 3, 9))
    ordinary = case_open(acting_user=cast.officer, site=cast.rgh, case_type="complaint", channel="phone")

    client = as_user(cast.officer)
    page = client.get("/cases/", {"view": "site"}).content.decode()
    assert "An appeal deadline in the next 7 days" in page
    expected = {a.case.reference for a in (soon_expedited, overdue, last_day, to_file, extended)}
    assert _listed(client) == expected
    assert not {day_after.case.reference, later.case.reference, decided.case.reference, ordinary.reference} & expected

    services.extension_record(
        acting_user=cast.officer, appeal=extended, days=14, reason="Records", notified_on=date(2026, 3, 9)
    )
    expected.discard(extended.case.reference)
    assert _listed(client) == expected
    # A site's own number counts: INS-2 set to 29 days brings 18 March forward to 17 March.
    services.rule_set(
        acting_user=cast.manager, site=cast.rgh, key="decide:medicaid_managed_care:internal:standard",
        amount=29, unit="calendar_days", reason="State contract",
    )  # fmt: skip
    assert _listed(client) == expected | {day_after.case.reference}
    # One query for the open appeals, one for the site's own numbers.
    with django_assert_num_queries(2):
        selectors.case_ids_with_appeal_due_soon(NOW)


def test_the_window_moves_with_the_clock(cast: Any, as_user: Any, time_machine: Any) -> None:
    later = _appeal(cast, filed_on=date(2026, 3, 2))  # due 1 April
    client = as_user(cast.officer)
    assert _listed(client) == set()
    time_machine.move_to(datetime(2026, 3, 25, 12, tzinfo=ZoneInfo("UTC")), tick=False)
    assert _listed(as_user(cast.officer)) == {later.case.reference}
    assert isinstance(later.case, Case)
