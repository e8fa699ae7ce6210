"""The demo organisation loads once, with every role, and leaves an intact audit trail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from liaison.accounts.models import Role, User
from liaison.demo.services import demo_load
from liaison.org.models import Department, Site, StaffMember

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_demo_has_two_hospitals_a_dozen_departments_each_and_every_role() -> None:
    demo_load()
    sites = {s.code: s for s in Site.objects.all()}
    assert (sites["RGH"].policy_pack, sites["RGH"].time_zone) == ("england_nhs", "Europe/London")
    assert (sites["HPM"].policy_pack, sites["HPM"].time_zone) == ("us_cms", "America/New_York")
    for site in sites.values():
        assert Department.objects.filter(site=site).count() >= 12
        assert StaffMember.objects.filter(site=site).count() >= 60
    held = {grant for user in User.objects.all() for grant in user.role_codes}
    assert held == set(Role.values)


@pytest.mark.django_db
def test_loading_the_demo_twice_adds_nothing() -> None:
    demo_load()
    counts = (Site.objects.count(), Department.objects.count(), StaffMember.objects.count(), User.objects.count())
    report = demo_load()
    assert (report.sites, report.departments, report.staff) == (0, 0, 0)
    assert counts == (
        Site.objects.count(),
        Department.objects.count(),
        StaffMember.objects.count(),
        User.objects.count(),
    )
    call_command("audit", "verify")


def test_the_demo_database_passes_audit_verify_from_the_command_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DJANGO_", "DATABASE_URL"))}
    env.update({"LIAISON_DEMO": "1", "LIAISON_REQUIRE_MFA": "0", "LIAISON_DATA_DIR": str(tmp_path)})

    def liaison(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "liaison.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )

    assert liaison("manage", "migrate", "--noinput").returncode == 0
    seeded = liaison("demo_seed")
    assert seeded.returncode == 0, seeded.stderr
    assert "admin@demo.liaison.example" in seeded.stdout
    verified = liaison("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "Audit trail intact" in verified.stdout
    assert (tmp_path / "liaison.sqlite3").exists()


@pytest.mark.django_db
def test_demo_cases_cover_every_type_and_state_with_some_overdue_and_restricted() -> None:
    from django.utils import timezone

    from liaison.cases.models import Case, CaseType, Status
    from liaison.demo.cases import demo_load_cases

    demo_load()
    added = demo_load_cases()
    assert 280 <= added <= 320
    assert set(Case.objects.values_list("case_type", flat=True)) == set(CaseType.values)
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses >= {s.value for s in Status if s != Status.REFERRED}
    assert (
        Case.objects.filter(status__in=["acknowledged", "under_investigation"], next_due_at__lt=timezone.now()).count()
        >= 5
    )
    assert Case.objects.filter(restricted=True).count() >= 5
    assert Case.objects.filter(site__code="HPM", case_type="grievance").exists()
    assert demo_load_cases() == 0  # once only
    call_command("audit", "verify")


@pytest.mark.django_db
def test_demo_feedback_loads_once_with_a_survey_per_hospital() -> None:
    from liaison.demo.feedback import demo_load_feedback
    from liaison.feedback.models import FeedbackResponse, Survey

    demo_load()
    assert demo_load_feedback(answers_per_site=20) == 40
    assert Survey.objects.filter(site__code="RGH").count() == Survey.objects.filter(site__code="HPM").count() == 1
    assert FeedbackResponse.objects.filter(fft_score__isnull=False).count() == 40
    assert demo_load_feedback(answers_per_site=20) == 0
