"""An officer records a Medicaid managed care appeal on an advocacy case, sees both deadlines with the rule and
the regulation behind each, and finds the running deadline on My work.

The clock is fixed with time_machine (ticking) so that the computed dates are known: the decision was received
on 1 February 2027 and the appeal filed on 8 February 2027."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from conftest import PASSWORD, make_cast
from liaison.accounts.services import user_create
from liaison.advocacy.models import Appeal, AppealStatus
from liaison.cases.services import case_open
from tests.e2e.conftest import assert_accessible, screenshot, sign_in

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2027, 2, 10, 10, 0, tzinfo=NEW_YORK)


def test_officer_records_an_insurance_appeal_and_sees_its_deadlines_on_my_work(page: Any) -> None:
    with time_machine.travel(NOW, tick=True):
        cast = make_cast()
        officer = user_create(
            acting_user=None,
            email="advocate@hpm.example",
            full_name="Ada Advocate",
            password=PASSWORD,
            roles=["officer"],
            sites=[cast.hpm],
            departments=[],
        )
        case = case_open(
            acting_user=officer,
            site=cast.hpm,
            case_type="advocacy",
            channel="phone",
            owner=officer,
            patient_name="Lena Appealwell",
            account="Her Medicaid plan refused to pay for the home oxygen her pulmonologist prescribed.",
        )

        sign_in(page, officer)
        page.goto(f"/cases/{case.reference}/")
        page.get_by_role("link", name="Appeals with the payer or agency").click()
        page.wait_for_url(re.compile(rf"/advocacy/cases/{case.reference}/$"))
        assert page.get_by_text("No appeal recorded on this case yet.").is_visible()

        form = page.get_by_role("region", name="Record an appeal")
        form.get_by_label("Organisation", exact=True).fill("Bayview Health Plan")
        form.get_by_label("Kind of organisation").select_option(label="Payer (insurer or plan)")
        form.get_by_label("Plan type").select_option(label="Medicaid managed care")
        form.get_by_label("Appeal level").select_option(label="Internal appeal")
        form.get_by_label("Urgency").select_option(label="Standard")
        form.get_by_label("When the service is").select_option(label="After the service")
        form.get_by_label("Date the decision was received").fill(date(2027, 2, 1).isoformat())
        form.get_by_label("Service or item denied").fill("Home oxygen concentrator, three months")
        form.get_by_label("Amount at stake").fill("1840.00")
        form.get_by_label("Reason the organisation gave").fill("Not medically necessary: saturation above 88%.")
        form.get_by_label("Filed on").fill(date(2027, 2, 8).isoformat())
        form.get_by_role("button", name="Record the appeal").click()
        page.wait_for_url(re.compile(rf"/advocacy/cases/{case.reference}/$"))
        assert page.get_by_text("Appeal recorded.").is_visible()

        appeal = page.get_by_role("region", name="Internal appeal with Bayview Health Plan")
        assert appeal.get_by_text("Home oxygen concentrator, three months, $1,840.00").is_visible()
        assert appeal.get_by_text("Filed, awaiting a decision").is_visible()
        # Sixty calendar days from 1 February to file (INS-5); thirty from filing on 8 February to decide (INS-2).
        file_row = appeal.get_by_role("row", name=re.compile("^Last day to file"))
        assert file_row.get_by_role("cell", name="Friday 2 April 2027").is_visible()
        assert file_row.get_by_text("INS-5", exact=True).is_visible()
        assert file_row.get_by_text("unverified", exact=True).is_visible()
        assert file_row.get_by_text("60 calendar days after the day the decision was received").is_visible()
        assert file_row.get_by_role("cell", name="42 CFR 438.402(c)(2)").is_visible()
        decide_row = appeal.get_by_role("row", name=re.compile("^Decision due"))
        assert decide_row.get_by_role("cell", name="Wednesday 10 March 2027").is_visible()
        assert decide_row.get_by_text("INS-2", exact=True).is_visible()
        assert decide_row.get_by_text("30 calendar days after the day the appeal was filed").is_visible()
        assert decide_row.get_by_role("cell", name="42 CFR 438.408(b)(2)").is_visible()
        assert_accessible(page, "advocacy appeal")
        screenshot(page, "advocacy-appeal")

        [recorded] = Appeal.objects.filter(case=case)
        assert (recorded.plan_type, recorded.level, recorded.urgency, recorded.timing) == (
            "medicaid_managed_care",
            "internal",
            "standard",
            "post_service",
        )
        assert (recorded.decision_received_on, recorded.filed_on) == (date(2027, 2, 1), date(2027, 2, 8))
        assert recorded.amount == Decimal("1840.00")
        assert recorded.reason_given == "Not medically necessary: saturation above 88%."
        assert recorded.status == AppealStatus.FILED

        # My work shows the deadline that now runs: the plan's decision, with its rule.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My work").click()
        deadlines = page.get_by_role("region", name="Appeal deadlines")
        entry = deadlines.get_by_role("listitem").filter(has_text=case.reference)
        assert entry.get_by_role("link", name=case.reference).is_visible()
        assert entry.get_by_text(
            re.compile(r"Decision due with Bayview Health Plan — Wednesday 10 March 2027")
        ).is_visible()
        assert entry.get_by_text("(INS-2, unverified)").is_visible()
        assert_accessible(page, "My work with an appeal deadline")
        entry.get_by_role("link", name=case.reference).click()
        page.wait_for_url(re.compile(rf"/advocacy/cases/{case.reference}/$"))
