"""A worker killed with SIGKILL in the middle of a task: the next worker runs the task again, and its effect (an
email to each person) happens exactly once — what the killed run finished is not redone, the rest is done.

The task is the real reminders sweep, run by real ``liaison worker`` processes against the test database, sending
through a real SMTP server on localhost. The server holds the worker in the middle of one message (it has not
accepted it yet) so that the kill lands there every time, not by luck of timing.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from conftest import make_cast
from liaison.cases.services import case_open
from liaison.reminders.models import ReminderLog
from liaison.reminders.tasks import sweep
from tests.survival.conftest import REPO, subprocess_env, wait_for

LONDON = ZoneInfo("Europe/London")
# The case arrives on Monday 23 November 2026; the workers live on Monday 30 November, when it is overdue.
RECEIVED = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
WORKERS_NOW = "2026-11-30T09:00:00+00:00"
DIGEST = "1 overdue case in Liaison"


class HoldingMailServer:
    """Keeps what it accepts. The first message to ``hold_for`` is held at its recipient until released, then
    refused with a temporary error: a message the server never accepted was not delivered."""

    def __init__(self, hold_for: str) -> None:
        self.hold_for = hold_for
        self.holding = threading.Event()
        self.release = threading.Event()
        self.delivered: list[EmailMessage] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address == self.hold_for and not self.holding.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.delivered.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def digests_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.delivered if m["To"] == address and m["Subject"] == DIGEST]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_is_replaced_and_each_email_goes_exactly_once(
    tmp_path: Path, processes: list[subprocess.Popen[str]], sqlite_flushable_audit: None
) -> None:
    cast = make_cast()
    with time_machine.travel(RECEIVED, tick=False):
        case = case_open(
            acting_user=cast.officer,
            site=cast.rgh,
            case_type="complaint",
            channel="phone",
            owner=cast.officer,
            patient_known=False,
        )
    # The digest goes to the owner and to each of the site's managers, one address after another in
    # alphabetical order; the officer's comes last, so the kill falls after the others were sent.
    mail = HoldingMailServer(hold_for=cast.officer.email)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mail, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = subprocess_env(tmp_path, EMAIL_URL=f"smtp://127.0.0.1:{port}", LIAISON_FAKE_NOW=WORKERS_NOW)
        # No sweeps of its own: the only sweep is the one queued here, so only recovery can finish it.
        command = [
            sys.executable,
            "-c",
            "import tests.fake_now; from liaison.cli import main; main(['worker', '--sweep-every', '0'])",
        ]

        def start_worker(log: Path) -> subprocess.Popen[str]:
            # Its output goes to a file: a pipe nobody reads would stop the worker once it filled.
            with log.open("w") as output:
                worker = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
            processes.append(worker)
            return worker

        task_id = sweep.enqueue().id
        first_log, second_log = tmp_path / "first-worker.log", tmp_path / "second-worker.log"
        first = start_worker(first_log)
        wait_for(
            "the sweep holds on the officer's digest", mail.holding.is_set, seconds=60, worker=first, log=first_log
        )
        claimed = DBTaskResult.objects.get(pk=task_id)
        assert claimed.status == TaskResultStatus.RUNNING
        [first_worker_id] = claimed.worker_ids
        assert f":{first.pid}:" in first_worker_id

        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        mail.release.set()

        # What the killed run left: the others' digests sent and claimed, the officer's neither, the task stuck.
        others = sorted(m["To"] for m in mail.delivered)
        assert others and cast.officer.email not in others and cast.manager.email in others
        assert all(m["Subject"] == DIGEST for m in mail.delivered)
        assert sorted(ReminderLog.objects.filter(kind="overdue_digest").values_list("object_id", flat=True)) == others
        assert DBTaskResult.objects.get(pk=task_id).status == TaskResultStatus.RUNNING

        second = start_worker(second_log)
        wait_for(
            "the killed worker's task has run again to the end",
            lambda: (
                DBTaskResult.objects.get(pk=task_id).status in {TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED}
            ),
            seconds=60,
            worker=second,
            log=second_log,
        )
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    finally:
        controller.stop()

    assert f"Task {task_id} (liaison.reminders.tasks.sweep) lost its worker; queued to run again" in (
        second_log.read_text()
    )
    finished = DBTaskResult.objects.get(pk=task_id)
    assert finished.status == TaskResultStatus.SUCCESSFUL, finished.traceback
    assert finished.worker_ids[0] == first_worker_id and len(finished.worker_ids) == 2
    assert f":{second.pid}:" in finished.worker_ids[1]
    assert finished.return_value == {"sent": 1, "already_sent": len(others)}
    # Each person's digest exactly once, the officer's included, and one claim for each.
    everyone = [*others, cast.officer.email]
    for address in everyone:
        [digest] = mail.digests_to(address)
        assert case.reference in digest.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert len(mail.delivered) == len(everyone)
    assert sorted(ReminderLog.objects.filter(kind="overdue_digest").values_list("object_id", flat=True)) == sorted(
        everyone
    )
