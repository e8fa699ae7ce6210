"""Editing safely: two officers editing the same case never overwrite each other silently."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import Cast
from liaison.cases import services
from liaison.cases.forms import CaseEditForm
from liaison.cases.models import Case


def test_two_edits_from_the_same_version_the_second_is_refused_and_the_first_kept(cast: Cast, open_case) -> None:
    case = open_case()
    version = case.version
    first = Case.objects.get(pk=case.pk)
    second = Case.objects.get(pk=case.pk)
    services.case_update(
        acting_user=cast.officer, case=first, expected_version=version, desired_outcome="An apology from the ward"
    )
    with pytest.raises(services.EditConflict, match="your changes were not saved and theirs were kept"):
        services.case_update(
            acting_user=cast.manager,
            case=second,
            expected_version=version,
            desired_outcome="A meeting with the consultant",
        )
    stored = Case.objects.get(pk=case.pk)
    assert stored.desired_outcome == "An apology from the ward"
    assert stored.version == version + 1


def test_the_edit_form_refuses_a_stale_save_with_a_clear_message(cast: Cast, open_case, as_user) -> None:
    case = open_case()
    url = reverse("cases:edit", args=[case.reference])
    officer, manager = as_user(cast.officer), as_user(cast.manager)
    form_data = {k: ("" if v is None else v) for k, v in CaseEditForm.initial_for(case).items()}
    form_data = {k: v for k, v in form_data.items() if v is not False and v != []}
    officer_data = {**form_data, "desired_outcome": "Officer's change"}
    manager_data = {**form_data, "desired_outcome": "Manager's change"}
    assert officer.post(url, officer_data).status_code == 302
    response = manager.post(url, manager_data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "was changed by Olive Officer" in page and "your changes were not saved" in page
    assert Case.objects.get(pk=case.pk).desired_outcome == "Officer's change"


def test_received_at_cannot_be_edited(cast: Cast, open_case) -> None:
    from liaison.lib.errors import ApplicationError

    case = open_case()
    with pytest.raises(ApplicationError, match="cannot be edited"):
        services.case_update(
            acting_user=cast.officer, case=case, expected_version=case.version, received_at=case.received_at
        )


def _worklist_queries(client, count_cases: int) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cases:worklist"), {"view": "site", "status": "open"})
    assert response.status_code == 200
    assert response.content.decode().count('<th scope="row"><a href="/cases/') == min(count_cases, 25)
    return len(queries)


def test_the_worklist_query_count_does_not_grow_with_the_rows(cast: Cast, open_case, as_user) -> None:
    for _ in range(10):
        open_case(owner=cast.officer)
    client = as_user(cast.officer)
    ten = _worklist_queries(client, 10)
    for _ in range(90):
        open_case(owner=cast.manager)
    hundred = _worklist_queries(client, 100)
    assert ten == hundred


def test_search_finds_by_reference_name_mrn_and_words(cast: Cast, open_case, as_user) -> None:
    target = open_case(
        patient_name="Quentin Searchable", patient_mrn="RGH7654321", account="The parking barrier trapped my car twice."
    )
    open_case(patient_name="Someone Else", patient_mrn="RGH1111111", account="Food was cold.")
    client = as_user(cast.officer)
    for query in (target.reference, "searchable", "RGH7654321", "parking barrier"):
        page = client.post(reverse("cases:worklist"), {"view": "site", "q": query}, follow=True).content.decode()
        assert target.reference in page, query
        assert "Someone Else" not in page, query


def test_an_agreed_response_date_before_the_case_was_received_is_refused_at_its_field(
    cast: Cast, open_case, as_user
) -> None:
    from datetime import timedelta

    from liaison.lib.errors import ApplicationError

    case = open_case()
    received_on = case.received_at.astimezone(case.site.zone).date()
    with pytest.raises(ApplicationError, match="cannot be before the case was received"):
        services.case_update(
            acting_user=cast.officer,
            case=case,
            expected_version=case.version,
            agreed_response_date=received_on - timedelta(days=1),
        )
    assert Case.objects.get(pk=case.pk).agreed_response_date is None

    url = reverse("cases:edit", args=[case.reference])
    form_data = {k: ("" if v is None else v) for k, v in CaseEditForm.initial_for(case).items()}
    form_data = {k: v for k, v in form_data.items() if v is not False and v != []}
    response = as_user(cast.officer).post(
        url, {**form_data, "agreed_response_date": (received_on - timedelta(days=3)).isoformat()}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The agreed response date cannot be before the case was received" in page
    # Shown at the field itself, where the officer will correct it.
    assert '<p class="error-text" id="id_agreed_response_date_error">' in page
    stored = Case.objects.get(pk=case.pk)
    assert stored.agreed_response_date is None and stored.version == case.version

    # The day it was received, or later, is accepted and moves the response clock.
    later = received_on + timedelta(days=30)
    assert as_user(cast.officer).post(url, {**form_data, "agreed_response_date": later.isoformat()}).status_code == 302
    assert Case.objects.get(pk=case.pk).agreed_response_date == later
