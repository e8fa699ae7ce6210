"""Reminders go to the right people once, and again only when the situation recurs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from conftest import Cast, make_cast
from liaison.cases.models import Case
from liaison.cases.services import case_open
from liaison.investigations.services import investigation_request
from liaison.reminders.models import ReminderLog
from liaison.reminders.services import reminders_sweep

LONDON = ZoneInfo("Europe/London")
REPO = Path(__file__).resolve().parents[3]
# Received Monday 23 November 2026, 10:00 in London: acknowledgement due Thursday 26 November.
RECEIVED = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)


def _open(cast: Cast, **extra) -> Case:  # type: ignore[no-untyped-def]
    with time_machine.travel(RECEIVED, tick=False):
        return case_open(
            acting_user=cast.officer,
            site=cast.rgh,
            case_type="complaint",
            channel="phone",
            owner=cast.officer,
            patient_known=False,
            **extra,
        )


def test_the_acknowledgement_reminder_goes_to_the_owner_the_day_before_once(cast: Cast, smtp_server) -> None:
    case = _open(cast)
    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=LONDON), tick=False):
        assert reminders_sweep().sent == 1
        assert reminders_sweep().sent == 0
    [message] = smtp_server.to(cast.officer.email)
    assert message["Subject"] == f"Acknowledge {case.reference} by tomorrow"
    assert "Thursday 26 November 2026" in message.get_body(preferencelist=("plain",)).get_content()


def test_nothing_is_sent_when_nothing_is_due(cast: Cast, smtp_server) -> None:
    _open(cast)
    with time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=LONDON), tick=False):
        assert reminders_sweep().sent == 0
    assert smtp_server.messages == []


def test_a_request_due_in_two_working_days_reminds_the_department_and_again_if_the_date_moves(
    cast: Cast, smtp_server
) -> None:
    cast.ed.leads.add(cast.investigator)
    case = _open(cast)
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=LONDON), tick=False):
        request = investigation_request(
            acting_user=cast.officer,
            case=case,
            department=cast.ed,
            questions="?",
            due_date=datetime(2026, 11, 27).date(),
        )
    with time_machine.travel(datetime(2026, 11, 25, 8, 0, tzinfo=LONDON), tick=False):
        reminders_sweep()
        reminders_sweep()
    assert len([m for m in smtp_server.to(cast.investigator.email) if "is due" in m["Subject"]]) == 1
    # The officer grants more time: a new due date is a new situation.
    request.due_date = datetime(2026, 12, 2).date()
    request.save()
    with time_machine.travel(datetime(2026, 11, 30, 8, 0, tzinfo=LONDON), tick=False):
        reminders_sweep()
    assert len([m for m in smtp_server.to(cast.investigator.email) if "is due" in m["Subject"]]) == 2


def test_overdue_cases_go_in_a_daily_digest_to_owner_and_manager(cast: Cast, smtp_server) -> None:
    case = _open(cast)
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=LONDON), tick=False):
        reminders_sweep()
        reminders_sweep()
    for person in (cast.officer, cast.manager):
        [digest] = smtp_server.to(person.email)
        assert digest["Subject"] == "1 overdue case in Liaison"
        assert case.reference in digest.get_body(preferencelist=("plain",)).get_content()
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=LONDON), tick=False):
        reminders_sweep()
    assert len(smtp_server.to(cast.officer.email)) == 2


def test_the_us_seven_day_notice_reminder(cast: Cast, smtp_server) -> None:
    cast.officer.sites.add(cast.hpm)
    cast.officer.__dict__.pop("site_ids", None)
    new_york = ZoneInfo("America/New_York")
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=new_york), tick=False):
        case = case_open(
            acting_user=cast.officer,
            site=cast.hpm,
            case_type="complaint",
            channel="letter",
            owner=cast.officer,
            patient_known=False,
        )
    assert case.case_type == "grievance"
    with time_machine.travel(datetime(2026, 11, 8, 10, 0, tzinfo=new_york), tick=False):
        reminders_sweep()
    assert any("7-day notice" in m["Subject"] for m in smtp_server.to(cast.officer.email))


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_exactly_once(smtp_server, sqlite_flushable_audit) -> None:  # type: ignore[no-untyped-def]
    cast = make_cast()
    cases = [_open(cast) for _ in range(3)]
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DATABASE_URL", "EMAIL_"))},
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        # Both workers believe it is Wednesday 25 November, the day before the acknowledgements are due.
        "LIAISON_FAKE_NOW": "2026-11-25T09:00:00+00:00",
    }
    command = [
        sys.executable,
        "-c",
        "import tests.fake_now; from liaison.cli import main; main(['reminders', 'sweep'])",
    ]
    workers = [
        subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    acknowledgements = [m for m in smtp_server.messages if m["Subject"].startswith("Acknowledge ")]
    assert sorted(m["Subject"] for m in acknowledgements) == sorted(
        f"Acknowledge {c.reference} by tomorrow" for c in cases
    )
    assert ReminderLog.objects.filter(kind="acknowledge_due").count() == 3


def test_an_improvement_action_due_tomorrow_reminds_its_owner_once(cast: Cast, smtp_server) -> None:
    from liaison.improvement.services import action_create

    action = action_create(
        acting_user=cast.officer,
        site=cast.rgh,
        what="Fix the call bells",
        why="Feedback",
        owner=cast.manager,
        due_date=datetime(2026, 12, 2).date(),
    )
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=LONDON), tick=False):
        reminders_sweep()
        reminders_sweep()
    reminders = [m for m in smtp_server.to(cast.manager.email) if m["Subject"].startswith("Improvement action due")]
    assert len(reminders) == 1 and action.what in reminders[0]["Subject"]
