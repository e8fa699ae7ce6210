"""Managers keep their own site's departments up to date; every change is audited."""

from __future__ import annotations

from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.org.models import Department


def test_a_manager_adds_a_department_with_a_lead(cast: Cast, as_user) -> None:
    client = as_user(cast.manager)
    response = client.post(
        reverse("org:department-create", args=["RGH"]),
        {"name": "Renal Unit", "code": "REN", "leads": [cast.investigator.pk], "is_active": "on"},
    )
    department = Department.objects.get(name="Renal Unit")
    assert response["Location"] == reverse("org:department-detail", args=[department.pk])
    assert list(department.leads.all()) == [cast.investigator]
    event = AuditEvent.objects.get(action="department.create", object_id=str(department.pk))
    assert event.actor == cast.manager and event.details["leads"] == [cast.investigator.pk]


def test_a_duplicate_department_name_is_refused_with_a_message(cast: Cast, as_user) -> None:
    response = as_user(cast.manager).post(reverse("org:department-create", args=["RGH"]), {"name": "Cardiology"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Department.objects.filter(site=cast.rgh, name="Cardiology").count() == 1


def test_leads_can_only_be_chosen_from_the_same_site(cast: Cast, as_user) -> None:
    response = as_user(cast.manager).post(
        reverse("org:department-edit", args=[cast.ed.pk]), {"name": "Emergency Department", "leads": [cast.outsider.pk]}
    )
    assert response.status_code == 200
    assert not cast.ed.leads.exists()


def test_staff_directory_search(cast: Cast, as_user) -> None:
    from liaison.org.services import staff_member_create

    staff_member_create(
        acting_user=None,
        site=cast.rgh,
        full_name="Nia Quarrie",
        job_title="Sister",
        staff_group="nursing",
        department=cast.ed,
    )
    staff_member_create(
        acting_user=None, site=cast.hpm, full_name="Nia Elsewhere", job_title="RN", staff_group="nursing"
    )
    page = as_user(cast.officer).get(reverse("org:staff-directory", args=["RGH"]), {"q": "nia"}).content.decode()
    assert "Nia Quarrie" in page and "Nia Elsewhere" not in page
