"""Drills: made from closed cases by managers, used only once approved, with feedback on the reply."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.cases import services as case_services
from liaison.hiring import drills
from liaison.hiring.models import Drill, DrillResponse
from liaison.lib.errors import ApplicationError


@pytest.fixture
def closed_case(cast: Cast):  # type: ignore[no-untyped-def]
    case = case_services.case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="concern",
        channel="phone",
        patient_name="Greta Holm",
        account="Greta Holm waited for pain relief on the ward for three hours.",
    )
    return case_services.case_resolve_informally(
        acting_user=cast.officer, case=case, outcome="resolved_first_contact", note="Sorted"
    )


def test_a_manager_makes_a_drill_that_trainees_see_only_after_approval(cast: Cast, closed_case, as_user) -> None:
    response = as_user(cast.manager).post(reverse("hiring:drill-new", args=[closed_case.reference]))
    drill = Drill.objects.get()
    assert response["Location"] == reverse("hiring:drill", args=[drill.pk])
    assert "Greta" not in drill.scenario and "Holm" not in drill.scenario and "the patient" in drill.scenario
    assert as_user(cast.officer).get(reverse("hiring:drill", args=[drill.pk])).status_code == 404
    with pytest.raises(ApplicationError, match="not been approved"):
        drills.drill_respond(
            acting_user=cast.officer, drill=drill, text="I am sorry. I will call you by Friday with an answer."
        )
    as_user(cast.manager).post(
        reverse("hiring:drill", args=[drill.pk]),
        {"approve": "1", "title": "Waiting for pain relief", "scenario": drill.scenario},
    )
    assert as_user(cast.officer).get(reverse("hiring:drill", args=[drill.pk])).status_code == 200


def test_officers_cannot_make_drills_nor_from_open_cases(cast: Cast, closed_case, open_case) -> None:
    with pytest.raises(ApplicationError, match="Only a manager"):
        drills.drill_from_case(acting_user=cast.officer, case=closed_case)
    with pytest.raises(ApplicationError, match="closed"):
        drills.drill_from_case(acting_user=cast.manager, case=open_case())


def test_reply_feedback_flags_a_missing_timescale_and_blame(cast: Cast, closed_case, as_user) -> None:
    drill = drills.drill_from_case(acting_user=cast.manager, case=closed_case)
    drills.drill_approve(acting_user=cast.manager, drill=drill, title="Pain relief", scenario=drill.scenario)
    client = as_user(cast.officer)
    client.post(
        reverse("hiring:drill", args=[drill.pk]),
        {
            "text": (
                "I understand this was upsetting. You should have told the nurse about the pain sooner. "
                "We will look into it."
            )
        },
    )
    response = DrillResponse.objects.get()
    assert "timescale" in response.feedback["missing"]
    assert response.feedback["checks"]["blame"]["present"]
    page = client.get(reverse("hiring:drill-response", args=[response.pk])).content.decode()
    assert "Gives a timescale" in page and "Not found" in page
    drills.drill_comment(acting_user=cast.manager, response=response, comment="Good empathy; give a date.")
    assert (
        "Good empathy; give a date."
        in client.get(reverse("hiring:drill-response", args=[response.pk])).content.decode()
    )
    assert as_user(cast.auditor).get(reverse("hiring:drill-response", args=[response.pk])).status_code == 404


@pytest.mark.parametrize("value", ["abc", "", "99999999999999999999", "-1"])
def test_it_refuses_a_comment_on_a_reply_that_is_not_one_of_the_drills(
    cast: Cast, closed_case, as_user, value: str
) -> None:
    drill = drills.drill_from_case(acting_user=cast.manager, case=closed_case)
    drills.drill_approve(acting_user=cast.manager, drill=drill, title="Pain relief", scenario=drill.scenario)
    reply = drills.drill_respond(
        acting_user=cast.officer, drill=drill, text="I am sorry. I will call you by Friday with an answer."
    )
    client = as_user(cast.manager)
    response = client.post(
        reverse("hiring:drill", args=[drill.pk]), {"comment": "1", "response": value, "comment_text": "Give a date."}
    )
    assert response.status_code == 302
    assert "Choose one of this drill&#x27;s replies to comment on." in client.get(response["Location"]).content.decode()
    reply.refresh_from_db()
    assert reply.manager_comment == ""
