"""My work stays a short page however much is waiting: each list stops and says where the rest is."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.cases.services import case_open
from liaison.home import views
from liaison.investigations.services import investigation_request


def _case(cast: Cast, owner=None):  # type: ignore[no-untyped-def]
    return case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="phone",
        owner=owner,
        patient_name="Lim Itpatient",
        account="Waited too long.",
        issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Wait"}],
    )


def test_long_lists_stop_at_the_limit_and_point_to_the_rest(
    cast: Cast, as_user, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(views, "LIST_LIMIT", 2)
    monkeypatch.setattr(views, "MY_WORK_CAP", 1)
    cast.ed.leads.add(cast.investigator)
    references = []
    for _ in range(3):
        case = _case(cast)
        investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="Why the wait?")
        references.append(case.reference)
    page = as_user(cast.investigator).get(reverse("home:my-work")).content.decode()
    section = page.split('id="requests-heading"')[1].split("</section>")[0]
    assert section.count("<li>") == 2
    assert "see every request for your departments" in section
    officer_page = as_user(cast.officer).get(reverse("home:my-work")).content.decode()
    assert "More than 1 unassigned at your sites" in officer_page


def test_short_lists_show_everything_without_a_note(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    cast.ed.leads.add(cast.investigator)
    case = _case(cast)
    investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="Why?")
    page = as_user(cast.investigator).get(reverse("home:my-work")).content.decode()
    assert case.reference in page
    assert "see every request" not in page
    assert "1 unassigned at your sites" in as_user(cast.officer).get(reverse("home:my-work")).content.decode()
