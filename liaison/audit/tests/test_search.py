"""Auditors search the trail and export it; the export is itself audited and spreadsheet-safe."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.audit.services import audit_record


def test_auditor_searches_by_user_action_object_and_date(cast: Cast, as_user) -> None:
    audit_record(
        action="department.update", actor=cast.manager, obj=cast.ed, site=cast.rgh, details={"name": ["A", "B"]}
    )
    client = as_user(cast.auditor)
    page = client.get(reverse("audit:search"), {"user": "manager@", "action": "department."}).content.decode()
    assert "<code>department.update</code>" in page and "manager@rgh.example" in page
    assert "<code>user.create</code>" not in page
    page = client.get(
        reverse("audit:search"), {"object_type": "org.department", "object_id": cast.ed.pk}
    ).content.decode()
    assert "<code>department.update</code>" in page and "<code>department.create</code>" in page
    page = client.get(reverse("audit:search"), {"date_from": "2000-01-01", "date_to": "2000-01-02"}).content.decode()
    assert "No events match" in page


def test_a_reversed_date_range_is_explained(cast: Cast, as_user) -> None:
    page = (
        as_user(cast.auditor)
        .get(reverse("audit:search"), {"date_from": "2026-02-01", "date_to": "2026-01-01"})
        .content.decode()
    )
    assert "must not be after" in page


def test_export_is_audited_and_neutralises_formulas(cast: Cast, as_user) -> None:
    audit_record(action="test.formula", details={"email": '=HYPERLINK("http://evil")'}, object_id="=1+1")
    response = as_user(cast.auditor).get(reverse("audit:export"), {"action": "test."})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "seq"
    assert len(rows) == 2
    assert rows[1][5] == "'=1+1"
    export = AuditEvent.objects.get(action="audit.export")
    assert export.actor == cast.auditor
    assert export.details == {"filters": {"action": "test."}, "rows": 1}


def test_viewing_a_page_with_patient_identity_is_recorded_by_one_helper(cast: Cast, rf) -> None:
    from liaison.audit.services import audit_view

    request = rf.get("/somewhere", HTTP_USER_AGENT="Browser/1.0", REMOTE_ADDR="10.1.2.3")
    request.user = cast.officer
    event = audit_view(request=request, obj=cast.ed, site=cast.rgh, what="case detail")
    assert (event.action, event.actor, event.object_type, event.ip_address, event.user_agent) == (
        "view",
        cast.officer,
        "org.department",
        "10.1.2.3",
        "Browser/1.0",
    )


def test_changes_through_services_record_who_what_and_from_where(cast: Cast, as_user) -> None:
    client = as_user(cast.manager)
    response = client.post(
        reverse("org:department-edit", args=[cast.ed.pk]),
        {"name": "Emergency Department (Adults)", "code": "ED", "is_active": "on"},
        HTTP_USER_AGENT="TestAgent/2",
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="department.update")
    assert event.actor == cast.manager and event.site == cast.rgh
    assert event.details == {"name": ["Emergency Department", "Emergency Department (Adults)"]}
    assert (event.ip_address, event.user_agent) == ("192.0.2.7", "TestAgent/2")
