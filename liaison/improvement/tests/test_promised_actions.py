"""Actions promised in a response letter close the loop: each becomes an improvement action with an owner, a
reminder, evidence of completion, a place on the case page and — when published — on "You said, we did"."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases import services as case_services
from liaison.cases.models import Case, Issue, PromisedAction
from liaison.improvement.models import ActionStatus, ImprovementAction
from liaison.improvement.promised import backfill_promised_actions
from liaison.lib.errors import ApplicationError
from liaison.reminders.services import reminders_sweep

LONDON = ZoneInfo("Europe/London")
PATIENT = "Ada Testpatient"
DUE = date(2027, 3, 31)


def open_case(cast: Cast, **extra: Any) -> Case:
    extra.setdefault(
        "issues", [{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Call bell"}]
    )
    return case_services.case_open(
        acting_user=cast.officer, site=cast.rgh, case_type="complaint", channel="phone", patient_name=PATIENT, **extra
    )


def promise(client: Client, case: Case, **data: Any) -> Any:
    """Promise an action through the case page's own action, as a person filling in the form would."""
    fields = {
        "description": "Check call bells every shift",
        "owner": "Ward 7 sister",
        "due_date": DUE.isoformat(),
        **{k: str(v) for k, v in data.items()},
    }
    return client.post(reverse("cases:action", args=[case.reference, "promise"]), fields)


def test_promising_an_action_raises_an_improvement_action_for_the_chosen_owner(cast: Cast, as_user: Any) -> None:
    case = open_case(cast)
    officer = as_user(cast.officer)

    response = promise(officer, case, action_owner=cast.investigator.pk, department=cast.ed.pk)

    assert response.status_code == 302, response.content.decode()[:2000]
    promised = PromisedAction.objects.get(case=case)
    action = ImprovementAction.objects.get()
    assert action.promised_action == promised
    assert action.case == case
    assert action.site == cast.rgh
    assert action.department == cast.ed
    assert action.owner == cast.investigator
    assert action.created_by == cast.officer
    assert action.due_date == DUE
    assert action.what == "Check call bells every shift"
    assert action.status == ActionStatus.PLANNED
    assert case.reference in action.why and "Ward 7 sister" in action.why
    assert PATIENT not in action.why
    assert AuditEvent.objects.filter(
        action="improvement.create", actor=cast.officer, object_type="improvement.improvementaction"
    ).exists()
    # The letter keeps its own words for who does it; the case page shows the action is planned.
    assert promised.owner == "Ward 7 sister"
    page = officer.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "Check call bells every shift — Ward 7 sister, by 31 Mar 2027: " in page
    assert f'href="{reverse("improvement:detail", args=[action.pk])}">planned</a>' in page

    listing = officer.get(reverse("improvement:list")).content.decode()
    assert f"Promised in the response to {case.reference}" in listing
    detail = officer.get(reverse("improvement:detail", args=[action.pk])).content.decode()
    assert f'<a href="{reverse("cases:detail", args=[case.reference])}">{case.reference}</a>' in detail


def test_the_form_suggests_the_case_owner_and_the_issue_department(cast: Cast, as_user: Any) -> None:
    case = open_case(cast, owner=cast.manager)
    page = as_user(cast.officer).get(reverse("cases:action", args=[case.reference, "promise"])).content.decode()
    assert f'<option value="{cast.manager.pk}" selected>' in page
    assert f'<option value="{cast.ed.pk}" selected>' in page


def test_only_staff_who_may_own_actions_at_the_site_are_offered(cast: Cast, as_user: Any) -> None:
    case = open_case(cast)
    officer = as_user(cast.officer)
    page = officer.get(reverse("cases:action", args=[case.reference, "promise"])).content.decode()
    assert f'<option value="{cast.investigator.pk}"' in page
    assert f'<option value="{cast.outsider.pk}"' not in page  # another hospital
    assert f'<option value="{cast.auditor.pk}"' not in page  # stays independent of what they audit

    for someone in (cast.outsider, cast.auditor):
        response = promise(officer, case, action_owner=someone.pk)
        assert response.status_code == 200
        assert "Who sees it through: Select a valid choice." in response.content.decode()
    assert not PromisedAction.objects.exists()
    assert not ImprovementAction.objects.exists()


def test_an_owner_who_may_not_own_actions_there_refuses_the_promise_as_a_whole(cast: Cast) -> None:
    case = open_case(cast)
    with pytest.raises(ApplicationError, match="cannot own improvement actions"):
        case_services.case_add_promised_action(
            acting_user=cast.officer,
            case=case,
            description="Check call bells every shift",
            owner="Ward 7 sister",
            due_date=DUE,
            action_owner=cast.outsider,
        )
    assert not PromisedAction.objects.exists()
    assert not ImprovementAction.objects.exists()
    assert not case.timeline.filter(summary__startswith="Action promised").exists()


def test_without_a_chosen_owner_the_case_owner_and_then_the_officer_keep_the_promise(cast: Cast) -> None:
    owned, unowned = open_case(cast, owner=cast.manager), open_case(cast)
    for case in (owned, unowned):
        case_services.case_add_promised_action(
            acting_user=cast.officer, case=case, description="Fix the bells", owner="Estates", due_date=DUE
        )
    assert ImprovementAction.objects.get(case=owned).owner == cast.manager
    assert ImprovementAction.objects.get(case=unowned).owner == cast.officer


def test_a_promised_action_due_tomorrow_reminds_its_owner_once(cast: Cast, as_user: Any, smtp_server: Any) -> None:
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=LONDON), tick=False):
        case = open_case(cast)
        promise(as_user(cast.officer), case, action_owner=cast.investigator.pk, due_date="2027-03-02")
        reminders_sweep()
        reminders_sweep()
    action = ImprovementAction.objects.get()
    reminders = [m for m in smtp_server.to(cast.investigator.email) if m["Subject"].startswith("Improvement action")]
    assert len(reminders) == 1
    assert reminders[0]["Subject"] == "Improvement action due tomorrow: Check call bells every shift"
    link = reverse("improvement:detail", args=[action.pk])
    assert link in reminders[0].get_body(preferencelist=("plain",)).get_content()
    assert not [m for m in smtp_server.to(cast.officer.email) if m["Subject"].startswith("Improvement action")]

    # The department lead who owns it can open the link, though they do not otherwise read improvement actions;
    # someone else in that position cannot.
    page = as_user(cast.investigator).get(link)
    assert page.status_code == 200
    assert "tell the patient relations office" in page.content.decode()
    assert as_user(cast.outsider).get(link).status_code == 404


def test_completing_with_evidence_shows_done_on_the_case_page_and_publishes_it(
    cast: Cast, as_user: Any, client: Client
) -> None:
    case = open_case(cast)
    officer = as_user(cast.officer)
    promise(officer, case, action_owner=cast.manager.pk, department=cast.ed.pk)
    action = ImprovementAction.objects.get()
    detail = reverse("improvement:detail", args=[action.pk])

    # The existing rule: no evidence, not done.
    refused = officer.post(detail, {"evidence": "  "})
    assert refused.status_code == 200
    action.refresh_from_db()
    assert action.status == ActionStatus.PLANNED
    assert ">done</a>" not in officer.get(reverse("cases:detail", args=[case.reference])).content.decode()

    response = officer.post(
        detail,
        {
            "evidence": "Bell checks are on every shift's handover sheet since 20 March.",
            "public": "on",
            "you_said": "Nobody came when the call bell rang.",
            "we_did": "Nurses now check every call bell at the start of each shift.",
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.public and action.completed_at is not None

    page = officer.get(reverse("cases:detail", args=[case.reference])).content.decode().replace("&#x27;", "'")
    done_on = formats.date_format(timezone.localtime(action.completed_at), "j M Y")
    assert f'href="{detail}">done</a> on {done_on} — Bell checks are on every shift\'s handover sheet' in page

    public = client.get(reverse("improvement:you-said-we-did", args=["RGH"])).content.decode()
    assert "Nurses now check every call bell at the start of each shift." in public
    assert "Nobody came when the call bell rang." in public
    assert case.reference not in public and PATIENT not in public


def test_an_unpublished_promise_stays_off_the_public_page(cast: Cast, as_user: Any, client: Client) -> None:
    case = open_case(cast)
    officer = as_user(cast.officer)
    promise(officer, case, action_owner=cast.manager.pk)
    action = ImprovementAction.objects.get()
    officer.post(reverse("improvement:detail", args=[action.pk]), {"evidence": "Done on every ward."})
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and not action.public
    public = client.get(reverse("improvement:you-said-we-did", args=["RGH"])).content.decode()
    assert "Nothing has been published here yet." in public


def test_the_backfill_gives_each_earlier_promise_an_action_owned_by_the_case_owner(cast: Cast) -> None:
    owned = open_case(cast, owner=cast.manager)
    unowned = open_case(cast, issues=[], reported_department=cast.cardiology)
    # Promises recorded before promises became improvement actions: rows with no action yet.
    earlier = PromisedAction.objects.create(case=owned, description="Fix the bells", owner="Estates", due_date=DUE)
    orphan = PromisedAction.objects.create(case=unowned, description="Train staff", owner="Ward 7", due_date=DUE)
    case_services.case_add_promised_action(
        acting_user=cast.officer, case=owned, description="Already kept", owner="Estates", due_date=DUE
    )
    assert ImprovementAction.objects.count() == 1

    result = backfill_promised_actions(PromisedAction, ImprovementAction, Issue)

    assert result.created == 1
    assert result.skipped == [unowned.reference]
    action = ImprovementAction.objects.get(promised_action=earlier)
    assert (action.site, action.case, action.owner, action.created_by) == (cast.rgh, owned, cast.manager, cast.manager)
    assert (action.department, action.due_date, action.what) == (cast.ed, DUE, "Fix the bells")
    assert owned.reference in action.why and PATIENT not in action.why
    assert not ImprovementAction.objects.filter(promised_action=orphan).exists()
    assert ImprovementAction.objects.count() == 2

    # Once the case has an owner, a second run picks up what was skipped, and nothing twice.
    case_services.case_assign(acting_user=cast.officer, case=unowned, owner=cast.officer)
    again = backfill_promised_actions(PromisedAction, ImprovementAction, Issue)
    assert (again.created, again.skipped) == (1, [])
    orphan_action = ImprovementAction.objects.get(promised_action=orphan)
    assert (orphan_action.owner, orphan_action.department) == (cast.officer, cast.cardiology)
    assert ImprovementAction.objects.count() == 3
