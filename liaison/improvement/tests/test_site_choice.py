"""Raising an improvement action at one of several sites: a person who works at more than one chooses the site."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, Cast
from liaison.accounts.models import User
from liaison.accounts.services import user_create
from liaison.improvement.models import ImprovementAction


def two_site_manager(cast: Cast) -> User:
    return user_create(
        acting_user=None,
        email="manager.both@rgh.example",
        full_name="Bea Bothsites",
        password=PASSWORD,
        roles=["manager"],
        sites=[cast.rgh, cast.hpm],
    )


def sites_offered(page: str) -> list[str]:
    """The site codes in the page's site choice (none when the page offers no choice)."""
    select = re.search(r'<select name="site"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r'<option value="([^"]+)"', select.group(1)) if select else []


def test_a_manager_at_two_sites_chooses_the_site_and_the_action_is_raised_there(cast: Cast, as_user: Any) -> None:
    manager = two_site_manager(cast)
    client: Client = as_user(manager)

    page = client.get(reverse("improvement:new")).content.decode()
    assert sorted(sites_offered(page)) == ["HPM", "RGH"]

    page = client.get(reverse("improvement:new"), {"site": "HPM"}).content.decode()
    assert "At Harbor Point Medical Center" in page
    assert cast.hpm_er.name in page  # that site's departments are the ones offered
    assert cast.ed.name not in page

    response = client.post(
        reverse("improvement:new"),
        {
            "site": "HPM",
            "what": "Tell people in the waiting room how long they will wait",
            "why": "Patients said nobody told them",
            "department": str(cast.hpm_er.pk),
            "owner": str(manager.pk),
            "due_date": date(2027, 1, 31).isoformat(),
        },
    )
    action = ImprovementAction.objects.get()
    assert response.status_code == 302
    assert action.site == cast.hpm
    assert action.department == cast.hpm_er


def test_it_offers_no_site_choice_to_someone_who_works_at_one_site(cast: Cast, as_user: Any) -> None:
    page = as_user(cast.officer).get(reverse("improvement:new")).content.decode()
    assert sites_offered(page) == []
    assert "At Riverside General Hospital" in page


def test_it_refuses_to_raise_an_action_at_a_site_the_person_does_not_work_at(cast: Cast, as_user: Any) -> None:
    response = as_user(cast.officer).get(reverse("improvement:new"), {"site": "HPM"})
    assert response.status_code == 404
