"""Raising an improvement action from the web: a bad link to feedback is explained, never a server error."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.improvement.models import ImprovementAction


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999", "12345", "1\x00"])
def test_it_says_when_the_feedback_to_act_on_cannot_be_found(cast: Cast, as_user, value: str) -> None:
    response = as_user(cast.officer).get(reverse("improvement:new"), {"feedback": value})
    assert response.status_code == 200
    assert "That feedback could not be found" in response.content.decode()


def test_it_raises_no_action_when_the_posted_feedback_is_not_a_number(cast: Cast, as_user) -> None:
    response = as_user(cast.officer).post(
        reverse("improvement:new"),
        {
            "site": "RGH",
            "feedback": "abc",
            "what": "Show waiting times on a screen",
            "why": "Patients are not told why they wait",
            "owner": str(cast.manager.pk),
            "due_date": date(2027, 1, 31).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "That feedback could not be found" in response.content.decode()
    assert not ImprovementAction.objects.exists()
