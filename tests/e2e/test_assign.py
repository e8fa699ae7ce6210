"""An officer assigns a case to a colleague, and the colleague finds it in their own "My cases"."""

from __future__ import annotations

import re
from typing import Any

from conftest import make_cast
from liaison.cases.models import Case
from liaison.cases.services import case_open
from tests.e2e.conftest import assert_accessible, sign_in


def test_assigning_a_case_moves_it_to_the_new_owners_my_cases(page: Any, new_page: Any) -> None:
    cast = make_cast()
    case = case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="phone",
        owner=cast.officer,
        patient_name="Nell Assigntest",
        account="The discharge letter never reached the GP.",
    )
    sign_in(page, cast.officer)
    page.goto(f"/cases/{case.reference}/")
    page.get_by_role("link", name="Assign", exact=True).click()
    page.wait_for_url(re.compile(r"/do/assign/"))
    assert_accessible(page, "assign")
    page.get_by_label("Owner").select_option(label=cast.manager.full_name)
    page.get_by_role("button", name="Assign").click()
    page.wait_for_url(re.compile(rf"/cases/{case.reference}/$"))
    assert page.get_by_text(f"Assigned to {cast.manager.full_name}").first.is_visible()
    assert Case.objects.get(pk=case.pk).owner_id == cast.manager.pk

    # The manager, at another desk, opens "My cases" and finds it there.
    other = new_page()
    sign_in(other, cast.manager)
    other.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    other.get_by_role("button", name="My cases").click()
    other.wait_for_url(re.compile(r"view=mine"))
    assert other.get_by_role("link", name=case.reference).is_visible()
    # And it has left the officer's "My cases".
    page.goto("/cases/?view=mine")
    assert page.get_by_role("link", name=case.reference).count() == 0
