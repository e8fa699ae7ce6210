from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from liaison.advocacy.models import Appeal, DeadlineRule
from liaison.audit.models import AuditEvent
from liaison.reminders.models import ReminderLog
from liaison.reminders.services import reminders_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen(time_machine: Any) -> None:
    time_machine.move_to(datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("UTC")), tick=False)


def test_the_appeal_page_shows_deadlines_with_rule_source_and_unverified_mark(as_user: Any, appeal: Appeal) -> None:
    url = reverse("advocacy:appeal", args=[appeal.case.reference])
    page = as_user(appeal.case.owner).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Saturday 4 July 2026" in html and "INS-6" in html and "29 CFR 2560.503-1" in html
    assert "Record the date the appeal was filed." in html
    assert AuditEvent.objects.filter(action="advocacy.appeal_view", object_id=str(appeal.case.pk)).exists()


@pytest.mark.parametrize("who", ["investigator", "executive", "outsider", "auditor", "admin"])
def test_others_get_a_404(cast: Any, as_user: Any, appeal: Appeal, who: str) -> None:
    client = as_user(getattr(cast, who))
    ref = appeal.case.reference
    assert client.get(reverse("advocacy:appeal", args=[ref])).status_code == 404
    post = client.post(reverse("advocacy:step", args=[ref, appeal.pk, "contact"]), {f"c{appeal.pk}-person": "x"})
    assert post.status_code == 404
    assert not appeal.contacts.exists()


def test_recording_an_appeal_and_a_contact_through_the_pages(cast: Any, as_user: Any, appeal: Appeal) -> None:
    client = as_user(cast.officer)
    ref = appeal.case.reference
    response = client.post(
        reverse("advocacy:new", args=[ref]),
        {
            "new-org_name": "State Medicaid plan", "new-org_kind": "payer", "new-plan_type": "medicaid_managed_care",
            "new-level": "internal", "new-urgency": "expedited", "new-timing": "pre_service",
            "new-decision_received_on": "2026-03-02", "new-service": "Home oxygen", "new-filed_on": "2026-03-06",
        },
    )  # fmt: skip
    assert response.status_code == 302
    new = Appeal.objects.get(org_name="State Medicaid plan")
    assert new.status == "filed"
    p = f"c{appeal.pk}"
    response = client.post(
        reverse("advocacy:step", args=[ref, appeal.pk, "contact"]),
        {
            f"{p}-occurred_at": "2026-03-09T11:00",
            f"{p}-person": "Sam",
            f"{p}-reference_number": "Q-9",
            f"{p}-said": "Filed",
        },
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("advocacy:appeal", args=[ref])).content.decode()
    assert "Q-9" in page and "Sam" in page
    # The expedited Medicaid appeal: 72 hours from Friday 6 March 2026 is Monday 9 March, INS-3, unverified.
    assert "Monday 9 March 2026" in page and "INS-3" in page and "unverified" in page


def test_hostile_input_gives_clear_errors(cast: Any, as_user: Any, appeal: Appeal) -> None:
    client = as_user(cast.officer)
    ref = appeal.case.reference
    response = client.post(
        reverse("advocacy:new", args=[ref]),
        {
            "new-org_name": "x" * 500,
            "new-plan_type": "<script>",
            "new-amount": "-5",
            "new-decision_received_on": "31/02",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and "There is a problem" in html and "<script>" not in html
    o = f"o{appeal.pk}"
    response = client.post(
        reverse("advocacy:step", args=[ref, appeal.pk, "outcome"]),
        {f"{o}-outcome": "upheld", f"{o}-decision_on": "2026-03-09", f"{o}-amount_recovered": "1e99"},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("advocacy:step", args=[ref, appeal.pk, "outcome"]),
        {f"{o}-outcome": "upheld", f"{o}-decision_on": "2026-03-09", f"{o}-amount_recovered": "3"},
    )
    assert response.status_code == 400 and "Nothing is recovered" in response.content.decode()
    assert client.post(reverse("advocacy:step", args=[ref, appeal.pk, "explode"])).status_code == 404
    assert client.post(reverse("advocacy:step", args=[ref, 999999999, "edit"])).status_code == 404
    appeal.refresh_from_db()
    assert appeal.outcome == ""


def test_the_rules_page_is_for_managers_to_change(cast: Any, as_user: Any) -> None:
    url = reverse("advocacy:rules")
    officer_page = as_user(cast.officer).get(url)
    assert officer_page.status_code == 200 and "Only a manager can change these." in officer_page.content.decode()
    assert "unverified" in officer_page.content.decode()
    data = {"site": "RGH", "key": "file:medicare:internal", "amount": "65", "unit": "calendar_days", "reason": "CMS"}
    assert as_user(cast.officer).post(url, data).status_code == 404
    assert as_user(cast.executive).get(url).status_code == 404
    manager = as_user(cast.manager)
    assert manager.post(url, data | {"amount": "-1"}).status_code == 400
    assert manager.post(url, data | {"key": "bogus"}).status_code == 400
    assert manager.post(url, data).status_code == 302
    rule = DeadlineRule.objects.get()
    assert (rule.key, rule.amount, rule.set_by) == ("file:medicare:internal", 65, cast.manager)
    assert "65 calendar days, set by Mona Manager" in manager.get(url).content.decode()


def test_reminders_go_to_the_owner_once_5_and_1_working_days_before(
    cast: Any, appeal: Appeal, smtp_server: Any, time_machine: Any
) -> None:
    # Decision received Saturday 3 January 2026 + 180 calendar days (INS-6) = Thursday 2 July 2026. Five US
    # working days before: Thursday 25 June (Fri 26, Mon 29, Tue 30, Wed 1, Thu 2); one: Wednesday 1 July.
    Appeal.objects.filter(pk=appeal.pk).update(decision_received_on="2026-01-03")
    time_machine.move_to(datetime(2026, 6, 25, 12, tzinfo=ZoneInfo("UTC")), tick=False)
    report = reminders_sweep()
    assert len(smtp_server.to("officer@rgh.example")) == 1
    message = smtp_server.to("officer@rgh.example")[0]
    assert appeal.case.reference in message["Subject"] and "5 working days" in message["Subject"]
    assert "INS-6" in message.get_body(("plain",)).get_content()
    reminders_sweep()
    assert len(smtp_server.to("officer@rgh.example")) == 1
    time_machine.move_to(datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("UTC")), tick=False)
    reminders_sweep()
    assert len(smtp_server.to("officer@rgh.example")) == 2
    assert ReminderLog.objects.filter(kind="advocacy_deadline").count() == 2
    assert report.sent >= 1
