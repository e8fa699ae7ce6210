"""A full disk or a read-only database in the middle of a save: the user is told so in plain words (503, our own
page), and the database holds nothing half-written — the new case is whole or absent, never a case without its
issue, timeline or audit row.

Real failures of the real database, met through the whole web stack by a signed-in officer: SQLite's
``max_page_count`` makes the file full at a chosen size, ``query_only`` makes it read-only; on PostgreSQL the
session is made read-only (what a standby or ``default_transaction_read_only`` does).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.http import HttpResponse
from django.test import override_settings
from django.urls import reverse

from conftest import Cast, make_cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case, CaseSequence, Issue, TimelineEvent
from liaison.cases.services import case_open

PATIENT = "Zebedee Quillfeather"
ACCOUNT = "My father waited nine hours on a trolley in the corridor of ward 12."
SAVE_PAGE = "Liaison could not save this just now"
VIEW_PAGE = "Liaison cannot open this page just now"


def intake_form(cast: Cast) -> dict[str, Any]:
    return {
        "save": "1",
        "site": cast.rgh.pk,
        "case_type": "complaint",
        "channel": "phone",
        "patient_known": "on",
        "patient_name": PATIENT,
        "complainant_is_patient": "on",
        "preferred_language": "en",
        "risk_consequence": "2",
        "risk_likelihood": "2",
        "issue_category": "communication",
        "issue_severity": "2",
        "issue_stage": "other",
        "issue_department": cast.ed.pk,
        "issue_summary": "Left on a trolley overnight",
        # Long enough that the case row needs pages of its own, so a full disk can stop it at any of its writes.
        "account": " ".join([ACCOUNT] * 150),
    }


def stored() -> dict[str, int]:
    """Everything a new case writes, counted."""
    return {
        "cases": Case.objects.count(),
        "issues": Issue.objects.count(),
        "timeline": TimelineEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "references": CaseSequence.objects.aggregate(n=Sum("last_number"))["n"] or 0,
    }


def assert_clean_503(response: HttpResponse, heading: str) -> None:
    page = response.content.decode()
    assert response.status_code == 503, page[:2000]
    assert response["Retry-After"] and "no-store" in response["Cache-Control"]
    assert heading in page and "tell your Liaison administrator" in page
    if heading == SAVE_PAGE:
        assert "Nothing was changed" in page
    for leak in ("Traceback", "Error", "sqlite", "psycopg", "SELECT", "INSERT", PATIENT, ACCOUNT[:30]):
        assert leak not in page, leak


def assert_whole_new_case(before: dict[str, int]) -> Case:
    case = Case.objects.get(patient_name=PATIENT)
    assert case.issues.count() == 1
    assert case.timeline.filter(summary__startswith="Logged as a new").exists()
    assert AuditEvent.objects.filter(action="case.create", object_id=str(case.pk)).count() == 1
    after = stored()
    assert after["cases"] == before["cases"] + 1 and after["issues"] == before["issues"] + 1
    assert after["references"] == before["references"] + 1
    assert after["timeline"] == before["timeline"] + case.timeline.count()
    return case


def set_read_only(on: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA query_only = {int(on)}")
        else:
            cursor.execute(f"SET SESSION CHARACTERISTICS AS TRANSACTION {'READ ONLY' if on else 'READ WRITE'}")


@pytest.fixture
def read_only_database(sqlite_flushable_audit: None) -> Iterator[Any]:
    """read_only_database(on) switches the connection the test and its client share; writable again at the end,
    before the audit table is emptied."""
    yield set_read_only
    set_read_only(False)


@pytest.mark.django_db(transaction=True)
def test_a_case_saved_while_the_database_is_read_only_gets_the_503_page_and_leaves_nothing(
    signed_in: Any, read_only_database: Any
) -> None:
    cast = make_cast()
    client = signed_in(cast.officer)
    earlier = case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="letter",
        patient_known=True,
        patient_name=PATIENT,
        account=ACCOUNT,
    )
    before = stored()

    read_only_database(True)
    assert_clean_503(client.post(reverse("cases:intake"), intake_form(cast)), SAVE_PAGE)
    assert stored() == before
    # Opening a case records the view in the audit trail first; a view that cannot be recorded is not shown.
    assert_clean_503(client.get(reverse("cases:detail", args=[earlier.reference])), VIEW_PAGE)
    assert stored() == before

    read_only_database(False)
    response = client.post(reverse("cases:intake"), intake_form(cast))
    assert response.status_code == 302
    case = Case.objects.exclude(pk=earlier.pk).get()
    assert response["Location"] == reverse("cases:detail", args=[case.reference])
    assert PATIENT in client.get(response["Location"]).content.decode()


class Writes:
    """Watches the statements of each request (Django's execute_wrapper): which writes succeeded before one failed."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self.failed: str | None = None

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        words = sql.split()
        write = words[0].upper() in {"INSERT", "UPDATE", "DELETE"} and "django_session" not in sql
        try:
            result = execute(sql, params, many, context)
        except Exception:
            self.failed = " ".join(words[:3])
            raise
        if write:
            self.done.append(" ".join(words[:3]))
        return result


def fill_the_disk_at_each_write(post: Any, check_unchanged: Any) -> list[Writes]:
    """Give the database room for no more page, then one, two...: the save meets a full disk at each of its
    writes in turn, until there is room for all of them. Each refused save must have left nothing."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA max_page_count")
        unlimited = cursor.fetchone()[0]
    refusals: list[Writes] = []
    try:
        for room in range(100):
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA freelist_count")
                if cursor.fetchone()[0]:
                    cursor.execute("VACUUM")  # free pages inside the file would take the writes first
                cursor.execute("PRAGMA page_count")
                pages = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA max_page_count = {pages + room}")
            writes = Writes()
            with connection.execute_wrapper(writes):
                response = post()
            if response.status_code != 503:
                break
            assert_clean_503(response, SAVE_PAGE)
            assert writes.failed is not None
            check_unchanged(f"with room for {room} more pages, after {writes.done} and {writes.failed} failed")
            refusals.append(writes)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA max_page_count = {unlimited}")
    assert response.status_code == 302, response.content.decode()[:2000]
    # Not only the first write was refused: the rollback undid writes that had succeeded.
    assert any(writes.done for writes in refusals), [(w.done, w.failed) for w in refusals]
    return refusals


def sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: a test cannot fill PostgreSQL's disk; the read-only test covers PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_a_disk_that_fills_during_a_new_case_leaves_no_part_of_it(signed_in: Any, sqlite_flushable_audit: None) -> None:
    sqlite_only()
    cast = make_cast()
    client = signed_in(cast.officer)
    client.get(reverse("home:my-work"))  # the session is fresh: its first renewal is not part of the save
    before = stored()

    def unchanged(when: str) -> None:
        assert stored() == before, when

    refusals = fill_the_disk_at_each_write(lambda: client.post(reverse("cases:intake"), intake_form(cast)), unchanged)
    # The case's reference was taken before its row met the full disk, and given back.
    assert any(w.failed and "cases_case" in w.failed and w.done for w in refusals)
    assert_whole_new_case(before)


@pytest.mark.django_db(transaction=True)
def test_a_disk_that_fills_during_a_note_leaves_the_case_as_it_was(
    signed_in: Any, sqlite_flushable_audit: None
) -> None:
    sqlite_only()
    cast = make_cast()
    client = signed_in(cast.officer)
    case = case_open(
        acting_user=cast.officer, site=cast.rgh, case_type="complaint", channel="phone", owner=cast.officer
    )
    client.get(reverse("cases:detail", args=[case.reference]))
    before = (stored(), Case.objects.filter(pk=case.pk).values("version", "updated_at").get())
    note = {"kind": "note", "summary": "Called the family back", "body": " ".join([ACCOUNT] * 150)}

    def unchanged(when: str) -> None:
        assert (stored(), Case.objects.filter(pk=case.pk).values("version", "updated_at").get()) == before, when

    refusals = fill_the_disk_at_each_write(
        lambda: client.post(reverse("cases:action", args=[case.reference, "note"]), note), unchanged
    )
    # The case row was saved with its new version before the timeline entry met the full disk, and rolled back.
    assert any(w.failed and "cases_timelineevent" in w.failed and w.done for w in refusals)
    entry = case.timeline.get(summary="Called the family back")
    assert entry.body == note["body"]
    assert AuditEvent.objects.filter(action="case.note", object_id=str(case.pk)).count() == 1
    assert Case.objects.get(pk=case.pk).version == before[1]["version"] + 1


@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF="tests.survival.error_urls")
def test_a_bug_that_meets_the_database_is_still_a_server_error(signed_in: Any, sqlite_flushable_audit: None) -> None:
    cast = make_cast()
    client = signed_in(cast.officer)
    users = cast.officer.__class__.objects.count()
    for url in ("/duplicate-user/", "/missing-table/"):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 500, url
        assert "Something went wrong" in page and "could not save" not in page and "cannot open" not in page
    assert cast.officer.__class__.objects.count() == users
