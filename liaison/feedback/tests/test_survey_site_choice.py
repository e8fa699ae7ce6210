"""Creating a survey at one of several sites: a person who works at more than one chooses the site."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, Cast
from liaison.accounts.services import user_create
from liaison.feedback.models import Survey


def sites_offered(page: str) -> list[str]:
    """The site codes in the page's site choice (none when the page offers no choice)."""
    select = re.search(r'<select name="site"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r'<option value="([^"]+)"', select.group(1)) if select else []


def test_a_manager_at_two_sites_chooses_the_site_and_the_survey_is_created_there(cast: Cast, as_user: Any) -> None:
    manager = user_create(
        acting_user=None,
        email="manager.both@rgh.example",
        full_name="Bea Bothsites",
        password=PASSWORD,
        roles=["manager"],
        sites=[cast.rgh, cast.hpm],
    )
    client: Client = as_user(manager)

    page = client.get(reverse("feedback:surveys")).content.decode()
    assert sorted(sites_offered(page)) == ["HPM", "RGH"]

    page = client.get(reverse("feedback:surveys"), {"site": "HPM"}).content.decode()
    assert "New survey at Harbor Point Medical Center" in page
    assert cast.hpm_er.name in page

    response = client.post(
        reverse("feedback:surveys"),
        {"site": "HPM", "title": "Your visit to Emergency Medicine", "department": str(cast.hpm_er.pk)},
    )
    survey = Survey.objects.get()
    assert response.status_code == 302
    assert survey.site == cast.hpm
    assert survey.department == cast.hpm_er


def test_it_offers_no_site_choice_to_someone_who_works_at_one_site(cast: Cast, as_user: Any) -> None:
    page = as_user(cast.officer).get(reverse("feedback:surveys")).content.decode()
    assert sites_offered(page) == []
    assert "New survey at Riverside General Hospital" in page
