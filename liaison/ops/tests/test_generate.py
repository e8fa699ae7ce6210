"""``liaison generate``: synthetic data that the application reads as its own, and never mixed with real cases."""

from __future__ import annotations

import io
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from conftest import Cast, login_verified
from liaison.accounts.models import User
from liaison.audit.chain import verify_trail
from liaison.audit.models import AuditEvent
from liaison.cases import figures, rules
from liaison.cases.models import OPEN_STATUSES, Case, CaseSequence, Issue, TimelineEvent
from liaison.cases.services import case_open
from liaison.correspondence.models import Letter
from liaison.feedback import tallies
from liaison.feedback.models import FeedbackResponse, FeedbackTally
from liaison.investigations.models import InvestigationRequest, RequestFinding
from liaison.ops.generate import GenerateRefused, generate
from liaison.ops.generate_world import EMAIL_DOMAIN
from liaison.ops.models import GenerationRun, SyntheticSite
from liaison.org.models import Site

pytestmark = pytest.mark.django_db

_TABLES = [Case, Issue, TimelineEvent, AuditEvent, Letter, InvestigationRequest, RequestFinding, FeedbackResponse]


def _counts() -> dict[str, int]:
    return {model._meta.db_table: model.objects.count() for model in [*_TABLES, Site, User, GenerationRun]}


def test_it_fills_an_empty_database_and_the_audit_trail_still_verifies() -> None:
    report = generate(300, 500)

    assert Case.objects.count() == 300 and FeedbackResponse.objects.count() == 500
    for model in _TABLES:  # the report says what is there
        assert report.counts[model._meta.db_table] == model.objects.count(), model
    assert set(report.sites) == {"SYNRGH", "SYNHPM"}
    assert SyntheticSite.objects.count() == 2
    assert set(Site.objects.values_list("policy_pack", flat=True)) == {"england_nhs", "us_cms"}

    statuses = Counter(Case.objects.values_list("status", flat=True))
    finished = statuses["closed"] + statuses["withdrawn"] + statuses["referred"]
    open_count = sum(statuses[s] for s in OPEN_STATUSES)
    assert finished >= 0.75 * 300 and open_count >= 2, statuses
    assert Case.objects.filter(received_at__lt=timezone.now() - timedelta(days=400), status="closed").exists()
    assert set(Case.objects.values_list("case_type", flat=True)) >= {"complaint", "grievance", "concern", "compliment"}
    assert Case.objects.filter(site__code="SYNRGH").count() > Case.objects.filter(site__code="SYNHPM").count()
    received = Case.objects.order_by("received_at").values_list("received_at", flat=True)
    assert received.last() - received.first() > timedelta(days=2 * 365)  # spread over the years asked
    assert (
        Case.objects.filter(restricted=True).count()
        == Case.restricted_to.through.objects.values("case").distinct().count()
    )
    closed_formal = Case.objects.filter(status="closed", case_type__in=["complaint", "grievance"])
    assert closed_formal.exists() and not closed_formal.filter(outcome="").exists()
    assert not Issue.objects.filter(category="").exists() and Issue.objects.exclude(outcome="").exists()
    assert (
        Letter.objects.filter(status="posted").exists()
        and InvestigationRequest.objects.filter(status="answered").exists()
    )
    assert FeedbackResponse.objects.exclude(comment="").filter(sentiment__isnull=False).exclude(themes=[]).exists()
    assert tallies.verify() == [] and FeedbackTally.objects.filter(kind="total").exists()  # the dashboard's counts

    trail = verify_trail()
    assert trail.ok and trail.chain.ok, trail.findings
    assert trail.events == AuditEvent.objects.count() > 300 * 5
    out = io.StringIO()
    call_command("audit", "verify", "--no-checkpoint", stdout=out)
    assert "Audit trail intact" in out.getvalue()
    seqs = list(AuditEvent.objects.filter(seq__isnull=False).order_by("seq").values_list("occurred_at", flat=True))
    generated = seqs[seqs.index(min(seqs)) :]  # the history after the setup rows, in time order
    assert generated == sorted(generated)


def test_every_case_carries_the_figures_and_deadline_the_services_would_give_it() -> None:
    generate(300, 0, seed=7)

    fields = [*figures.FIGURE_FIELDS, "next_due_at", "next_due_name", "priority", "priority_rank"]
    stored = {row["pk"]: row for row in Case.objects.values("pk", *fields)}
    checked = Counter()
    for case in Case.objects.select_related("site"):
        again = Case.objects.select_related("site").get(pk=case.pk)
        figures.refresh(again)
        for name in figures.FIGURE_FIELDS:
            assert getattr(again, name) == stored[case.pk][name], (case.reference, name)
        assert rules.next_due(case) == (case.next_due_at, case.next_due_name), case.reference
        result = rules.rate_priority(case.risk_consequence, case.risk_likelihood, case.red_flags)
        assert (result.priority, result.rank) == (case.priority, case.priority_rank)
        checked["responded" if case.days_to_respond is not None else "not yet"] += 1
    assert checked["responded"] > 50
    # The timeline tells the same story: rebuilding the figures from it (as migration 0005 did) changes nothing.
    figures.backfill(Case, TimelineEvent)
    for row in Case.objects.values("pk", *figures.FIGURE_FIELDS):
        assert row == {key: stored[row["pk"]][key] for key in row}, row["pk"]
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES, next_due_at__isnull=False)
    assert open_cases.exists()


def test_a_generated_officer_finds_their_open_cases_on_the_worklist_and_my_work() -> None:
    generate(300, 50, years=1, seed=3)
    mine = Counter(
        Case.objects.filter(status__in=OPEN_STATUSES, owner__isnull=False, restricted=False).values_list(
            "owner", flat=True
        )
    )
    officer = User.objects.get(pk=mine.most_common(1)[0][0])
    assert officer.email.endswith(f"@{EMAIL_DOMAIN}") and officer.has_role("officer")
    references = set(Case.objects.filter(owner=officer, status__in=OPEN_STATUSES).values_list("reference", flat=True))
    client = login_verified(Client(), officer)

    worklist = client.get("/cases/")
    assert worklist.status_code == 200
    assert any(reference in worklist.content.decode() for reference in references)
    home = client.get("/")
    assert home.status_code == 200 and any(reference in home.content.decode() for reference in references)
    detail = client.get(f"/cases/{sorted(references)[0]}/")
    assert detail.status_code == 200


def test_it_refuses_a_database_holding_a_real_case_and_changes_nothing(cast: Cast) -> None:
    real = case_open(acting_user=cast.officer, site=cast.rgh, case_type="concern", channel="phone", patient_name="Ada")
    before = _counts()
    head = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()

    with pytest.raises(GenerateRefused, match="1 case that liaison generate did not create"):
        generate(50, 10)
    with pytest.raises(CommandError, match="did not create") as refused:
        call_command("generate", "--cases", "50", "--feedback", "10")
    assert refused.value.returncode == 1

    assert _counts() == before
    assert AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first() == head
    assert not SyntheticSite.objects.exists() and Case.objects.get() == real


def test_a_second_run_adds_to_the_same_sites_and_numbering() -> None:
    first = generate(60, 20, seed=5, batch=500)  # written in many batches, as a big run is
    second = generate(60, 20, seed=5, batch=500)

    assert Case.objects.count() == 120 and FeedbackResponse.objects.count() == 40
    for model in _TABLES:  # nothing lost between batches
        table = model._meta.db_table
        assert first.counts[table] + second.counts[table] == model.objects.count(), table
    assert TimelineEvent.objects.count() > 120 * 5
    assert SyntheticSite.objects.count() == 2 and GenerationRun.objects.count() == 2
    assert Case.objects.values("reference").distinct().count() == 120
    for sequence in CaseSequence.objects.all():  # the next case logged by hand takes the next number
        year_cases = Case.objects.filter(site=sequence.site, reference__contains=f"-{sequence.year}-")
        assert year_cases.count() == sequence.last_number
    assert verify_trail().ok


def _fingerprint() -> dict[str, Any]:
    """The data as a person would read it, without the keys (the database numbers them differently each time)."""
    cases = Case.objects.order_by("reference")
    return {
        "cases": list(
            cases.values_list("reference", "status", "case_type", "received_at", "next_due_at", "owner__email")
        ),
        "timeline": list(
            TimelineEvent.objects.order_by("case__reference", "occurred_at", "summary").values_list(
                "case__reference", "occurred_at", "summary"
            )
        ),
        "audit": list(AuditEvent.objects.order_by("seq").values_list("occurred_at", "action", "actor_email")),
        "feedback": list(FeedbackResponse.objects.order_by("created_at").values_list("created_at", "comment")),
        "letters": Letter.objects.count(),
    }


class _Undo(Exception):
    pass


def test_worker_processes_make_exactly_the_data_the_main_process_would() -> None:
    moment = timezone.now().replace(microsecond=0)
    try:
        with transaction.atomic(), time_machine.travel(moment, tick=False):
            generate(150, 60, seed=11, workers=0)
            alone = _fingerprint()
            raise _Undo
    except _Undo:
        pass
    assert not Case.objects.exists()
    with time_machine.travel(moment, tick=False):
        report = generate(150, 60, seed=11, workers=1)
    assert _fingerprint() == alone and report.counts["cases_case"] == 150
    assert verify_trail().ok


def test_the_command_reports_what_it_wrote() -> None:
    out = io.StringIO()
    call_command("generate", "--cases", "40", "--feedback", "30", "--sites", "3", "--seed", "2", stdout=out)
    text = out.getvalue()
    assert "40 cases" in text and "30 feedback answers" in text and "SYNMCH" in text
    assert Case.objects.count() == 40 and Site.objects.count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="bulk mode is for PostgreSQL (COPY, index rebuilds)")
def test_bulk_mode_rebuilds_every_index_and_writes_only_sound_references() -> None:
    def indexes() -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'")
            return set(cursor.fetchall())

    before = indexes()
    report = generate(200, 100, bulk=True)
    assert report.bulk and indexes() == before
    with connection.cursor() as cursor:
        # Every reference the load made without the database checking it, checked now.
        cursor.execute(
            """
            SELECT
              (SELECT count(*) FROM cases_issue i LEFT JOIN cases_case c ON c.id = i.case_id WHERE c.id IS NULL)
            + (SELECT count(*) FROM cases_timelineevent t LEFT JOIN cases_case c ON c.id = t.case_id WHERE c.id IS NULL)
            + (SELECT count(*) FROM cases_case c LEFT JOIN accounts_user u ON u.id = c.owner_id
               WHERE c.owner_id IS NOT NULL AND u.id IS NULL)
            + (SELECT count(*) FROM correspondence_letter l
               LEFT JOIN cases_case c ON c.id = l.case_id WHERE c.id IS NULL)
            + (SELECT count(*) FROM investigations_requestfinding f
               LEFT JOIN cases_issue i ON i.id = f.issue_id WHERE i.id IS NULL)
            + (SELECT count(*) FROM audit_auditevent a LEFT JOIN accounts_user u ON u.id = a.actor_id
               WHERE a.actor_id IS NOT NULL AND u.id IS NULL)
            """
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
    assert verify_trail().ok
