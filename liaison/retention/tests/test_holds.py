"""Legal holds through the pages: a manager places and releases them; an officer cannot, and nothing changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case, TimelineEvent
from liaison.lib.errors import ApplicationError
from liaison.retention.services import legal_hold_place, purge_site
from liaison.retention.tests.conftest import LONDON, NOW, closed_case, london

REASON = "Claim letter from the family's solicitors, 2 April 2026"


@pytest.fixture
def case(cast: Cast, now: datetime) -> Case:
    return closed_case(cast, london(2014, 3, 3))


def _hold_fields(case: Case) -> tuple[Any, ...]:
    row = Case.objects.get(pk=case.pk)
    return (row.legal_hold, row.legal_hold_reason, row.legal_hold_by_id, row.legal_hold_at)


def test_a_manager_places_a_hold_by_reference_and_it_is_on_the_case_its_timeline_and_the_audit_trail(
    cast: Cast, case: Case, as_user: Any
) -> None:
    client = as_user(cast.manager)

    response = client.post("/retention/holds/", {"reference": case.reference.lower(), "reason": REASON})

    assert response.status_code == 302 and response["Location"] == "/retention/holds/"
    assert _hold_fields(case) == (True, REASON, cast.manager.pk, NOW)
    event = TimelineEvent.objects.get(case=case, data__retention="hold_placed")
    assert (event.actor_id, event.body) == (cast.manager.pk, REASON)
    assert event.summary.startswith("Legal hold placed")
    audit = AuditEvent.objects.get(action="case.legal_hold_placed")
    assert (audit.actor_id, audit.object_id, audit.site_id) == (cast.manager.pk, str(case.pk), cast.rgh.pk)
    assert audit.details == {"reference": case.reference, "reason": REASON}

    page = client.get("/retention/holds/").content.decode()
    assert case.reference in page and escape(REASON) in page and "Mona Manager" in page
    detail = client.get(f"/cases/{case.reference}/").content.decode()
    assert "On legal hold" in detail and escape(REASON) in detail and "Release the hold" in detail


def test_a_manager_releases_a_hold_from_the_case_page(cast: Cast, case: Case, as_user: Any) -> None:
    legal_hold_place(acting_user=cast.manager, case=case, reason=REASON)
    client = as_user(cast.manager)

    response = client.post("/retention/holds/release/", {"reference": case.reference, "back": "case"})

    assert response.status_code == 302 and response["Location"] == f"/cases/{case.reference}/"
    assert _hold_fields(case) == (False, "", None, None)
    event = TimelineEvent.objects.get(case=case, data__retention="hold_released")
    assert event.actor_id == cast.manager.pk and event.summary.startswith("Legal hold released")
    audit = AuditEvent.objects.get(action="case.legal_hold_released")
    assert audit.details["reason_was"] == REASON and audit.details["reference"] == case.reference
    assert f'href="/cases/{case.reference}/"' not in client.get("/retention/holds/").content.decode()
    assert "Place a legal hold" in client.get(f"/cases/{case.reference}/").content.decode()


def test_an_officer_can_neither_see_nor_place_nor_release_a_hold(cast: Cast, case: Case, as_user: Any) -> None:
    officer = as_user(cast.officer)
    assert officer.get("/retention/holds/").status_code == 404
    assert officer.post("/retention/holds/", {"reference": case.reference, "reason": REASON}).status_code == 404
    assert _hold_fields(case) == (False, "", None, None)

    legal_hold_place(acting_user=cast.manager, case=case, reason=REASON)
    before = (_hold_fields(case), AuditEvent.objects.count(), TimelineEvent.objects.filter(case=case).count())
    assert officer.post("/retention/holds/release/", {"reference": case.reference}).status_code == 404
    assert (_hold_fields(case), AuditEvent.objects.count(), TimelineEvent.objects.filter(case=case).count()) == before
    page = officer.get(f"/cases/{case.reference}/").content.decode()
    assert "On legal hold" in page and "Release the hold" not in page
    with pytest.raises(ApplicationError, match="legal hold"):
        from liaison.retention.services import legal_hold_release

        legal_hold_release(acting_user=cast.officer, case=case)
    assert _hold_fields(case)[0] is True


def test_a_manager_of_another_site_cannot_hold_this_sites_case(cast: Cast, case: Case, as_user: Any) -> None:
    from liaison.retention.tests.conftest import hpm_manager

    other = as_user(hpm_manager(cast))
    response = other.post("/retention/holds/", {"reference": case.reference, "reason": REASON})
    assert response.status_code == 400
    assert "No case with this reference at your sites." in response.content.decode()
    assert other.post("/retention/holds/release/", {"reference": case.reference}).status_code == 404
    assert _hold_fields(case) == (False, "", None, None)


def test_a_hold_needs_a_reason_and_cannot_be_placed_twice_or_on_a_purged_case(
    cast: Cast, case: Case, as_user: Any
) -> None:
    client = as_user(cast.manager)
    assert client.post("/retention/holds/", {"reference": case.reference, "reason": " "}).status_code == 400
    assert _hold_fields(case)[0] is False

    legal_hold_place(acting_user=cast.manager, case=case, reason=REASON)
    twice = client.post("/retention/holds/", {"reference": case.reference, "reason": "again"})
    assert twice.status_code == 400 and "already on legal hold" in twice.content.decode()
    assert _hold_fields(case)[1] == REASON

    other = closed_case(cast, london(2014, 4, 7))
    purge_site(site=cast.rgh, trigger="command", now=NOW)
    refused = client.post("/retention/holds/", {"reference": other.reference, "reason": REASON})
    assert refused.status_code == 400 and "nothing left to hold" in refused.content.decode()
    assert _hold_fields(other)[0] is False


def test_the_case_page_says_when_the_content_may_be_purged(cast: Cast, case: Case, as_user: Any) -> None:
    page = as_user(cast.officer).get(f"/cases/{case.reference}/").content.decode()
    assert "Case files are kept 10 years from the case&#x27;s closure (unverified until checked)." in page
    closed = Case.objects.get(pk=case.pk).closed_at
    assert closed is not None
    first_day = closed.astimezone(LONDON).date().replace(year=2024) + timedelta(days=1)
    assert f"Its personal content may be purged from {first_day.day} {first_day:%B %Y}." in page
    assert "Place a legal hold" not in page  # an officer has no link to a form that would refuse


def test_the_holds_page_reads_a_fixed_number_of_queries(cast: Cast, as_user: Any, now: datetime) -> None:
    client = as_user(cast.manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/retention/holds/").status_code == 200
        return len(captured)

    legal_hold_place(acting_user=cast.manager, case=closed_case(cast, london(2014, 3, 3)), reason=REASON)
    queries()  # the first request of a session reads more (the session, the second factor)
    one = queries()
    for day in (4, 5, 6):
        legal_hold_place(acting_user=cast.manager, case=closed_case(cast, london(2014, 3, day)), reason=REASON)
    assert queries() == one


def test_a_restricted_case_on_hold_is_listed_only_for_the_people_it_is_restricted_to(
    cast: Cast, case: Case, as_user: Any
) -> None:
    from liaison.accounts.services import user_create
    from liaison.cases.services import case_set_restriction

    legal_hold_place(acting_user=cast.manager, case=case, reason=REASON)
    case_set_restriction(acting_user=cast.manager, case=case, restricted=True, reason="vip", users=[])
    deputy = user_create(
        acting_user=None,
        email="deputy@rgh.example",
        full_name="Dee Deputy",
        password="correct horse battery staple 7",
        roles=["manager"],
        sites=[cast.rgh],
        departments=[],
    )
    link = f'href="/cases/{case.reference}/"'
    assert link in as_user(cast.manager).get("/retention/holds/").content.decode()
    page = as_user(deputy).get("/retention/holds/").content.decode()
    assert link not in page and escape(REASON) not in page
    assert as_user(deputy).post("/retention/holds/release/", {"reference": case.reference}).status_code == 404
    assert _hold_fields(case)[0] is True


def test_a_release_from_the_holds_page_returns_there_and_a_bad_reference_is_a_404(
    cast: Cast, case: Case, as_user: Any
) -> None:
    legal_hold_place(acting_user=cast.manager, case=case, reason=REASON)
    client = as_user(cast.manager)
    for bad in ({"reference": "RGH-1999-99999"}, {"reference": "x\x00y"}, {"reference": "x" * 40}, {}):
        assert client.post("/retention/holds/release/", bad).status_code == 404
    assert _hold_fields(case)[0] is True
    response = client.post("/retention/holds/release/", {"reference": case.reference})
    assert response.status_code == 302 and response["Location"] == "/retention/holds/"
    assert _hold_fields(case)[0] is False


@pytest.mark.parametrize(
    "data",
    [
        {"reference": "\x00", "reason": "x"},
        {"reference": "R" * 10_000, "reason": "x"},
        {"reference": "RGH-2014-00001", "reason": "x" * 100_000},
        {"reference": ["a", "b"], "reason": "\x00"},
    ],
)
def test_hostile_hold_forms_are_refused_without_an_error(cast: Cast, case: Case, as_user: Any, data: Any) -> None:
    response = as_user(cast.manager).post("/retention/holds/", data)
    assert response.status_code == 400
    assert _hold_fields(case)[0] is False
