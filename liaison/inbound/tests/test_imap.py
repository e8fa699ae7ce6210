"""``liaison mail fetch`` and the worker's poll, against a real Dovecot on localhost (tests/dovecot.py).

Messages are put into the mailbox with IMAP APPEND, as the hospital's mail server would deliver them; each test
has a mailbox of its own on the one server.
"""

from __future__ import annotations

import logging
import os
import pathlib
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.module_loading import import_string
from imapclient import IMAPClient

from conftest import Cast, make_cast
from liaison.cases.models import Case, TimelineKind
from liaison.inbound import imap
from liaison.inbound.models import InboundMessage, InboundStatus
from liaison.inbound.services import inbound_message_ingest
from liaison.inbound.tests import samples
from liaison.lib import periodic
from liaison.lib.tests.test_settings import PRODUCTION_ENV, run_liaison
from tests.dovecot import Dovecot, available
from tests.survival.conftest import REPO, subprocess_env, wait_for

FILED = "Liaison.Filed"  # as Dovecot's Maildir names "Liaison/Filed": it separates sub-folders with "."
KEPT_ASIDE = "Liaison.Kept aside"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    why_not = available()
    if why_not:
        if os.environ.get("CI"):
            pytest.fail(f"Dovecot must run in CI: {why_not}")
        pytest.skip(f"No IMAP server to test against: {why_not}")
    server = Dovecot.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Mailbox:
    """A mailbox of its own on the test server, and the settings that point Liaison at it."""

    server: Dovecot
    user: str
    password: str

    def client(self) -> IMAPClient:
        context = ssl.create_default_context(cafile=str(self.server.ca_file))
        client = IMAPClient("localhost", port=self.server.ssl_port, ssl_context=context, timeout=10)
        client.login(self.user, self.password)
        return client

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            for raw in messages:
                client.append(folder, raw)
        finally:
            client.logout()

    def contents(self, folder: str) -> list[bytes]:
        """The messages in ``folder``, exactly as stored, oldest first."""
        client = self.client()
        try:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            answer = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [answer[uid][b"BODY[]"] for uid in uids]
        finally:
            client.logout()


@pytest.fixture
def mailbox(dovecot: Dovecot, settings: Any) -> Mailbox:
    box = Mailbox(dovecot, *dovecot.new_mailbox())
    settings.LIAISON_IMAP_HOST = "localhost"
    settings.LIAISON_IMAP_PORT = dovecot.ssl_port
    settings.LIAISON_IMAP_TLS = "tls"
    settings.LIAISON_IMAP_USER = box.user
    settings.LIAISON_IMAP_PASSWORD = box.password
    settings.LIAISON_IMAP_CA_FILE = str(dovecot.ca_file)
    settings.LIAISON_IMAP_FOLDER = "INBOX"
    settings.LIAISON_IMAP_FILED_FOLDER = "Liaison/Filed"
    settings.LIAISON_IMAP_KEPT_ASIDE_FOLDER = "Liaison/Kept aside"
    settings.LIAISON_IMAP_BATCH = 200
    settings.LIAISON_IMAP_SITE = ""
    settings.LIAISON_IMAP_POLL_SECONDS = 60
    return box


def stored(raw: bytes) -> bytes:
    """A message as the server keeps it: IMAP carries lines ending in CRLF, whatever the sender wrote."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def fetch(*args: str) -> list[str]:
    out = StringIO()
    call_command("mail", "fetch", *args, stdout=out)
    return out.getvalue().splitlines()


def summary(read: int, *, attached: int = 0, new: int = 0, aside: int = 0, duplicates: int = 0, port: int) -> str:
    return (
        f"{read} message{'' if read == 1 else 's'} read from INBOX on localhost:{port}: {attached} attached to a "
        f"case, {new} new case{'' if new == 1 else 's'}, {aside} quarantined, {duplicates} already ingested."
    )


def test_fetch_files_each_message_and_moves_it_out_of_the_inbox(
    riverside_case: Case, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    reply = samples.outlook_reply(riverside_case.reference)
    complaint = samples.webmail_complaint()
    stranger = samples.webmail_complaint(to="info@elsewhere.example", message_id="<stranger-1@mail.example>")
    mailbox.deliver(reply, complaint, stranger)

    with caplog.at_level(logging.INFO):
        lines = fetch()

    port = mailbox.server.ssl_port
    assert lines == [
        f"UID 1  attached  {riverside_case.reference}  -> {FILED}",
        f"UID 2  new case  RGH-2026-00002  -> {FILED}",
        "UID 3  quarantined  -  No site for recipient info@elsewhere.example: no site has this complaints address "
        f"and no --site was given.  -> {KEPT_ASIDE}",
        summary(3, attached=1, new=1, aside=1, port=port),
    ]
    # What the officer sees: the reply on the case's timeline, the new complaint as a case of its own.
    assert riverside_case.timeline.filter(kind=TimelineKind.EMAIL).count() == 1
    new_case = Case.objects.get(reference="RGH-2026-00002")
    assert new_case.complainant_email == "sam.carter@mail.example"
    assert new_case.timeline.filter(kind=TimelineKind.EMAIL).count() == 1
    assert InboundMessage.objects.filter(status=InboundStatus.QUARANTINED).count() == 1
    # The mailbox: the inbox is empty, each message in its folder byte for byte.
    assert mailbox.contents("INBOX") == []
    assert mailbox.contents(FILED) == [stored(reply), stored(complaint)]
    assert mailbox.contents(KEPT_ASIDE) == [stored(stranger)]
    # The log counts messages; it names no sender, recipient or subject, and never the password.
    assert "3 read (2 filed, 1 kept aside, 0 already ingested, 0 left in the folder)" in caplog.text
    for private in ("jane.doe", "sam.carter", "elsewhere.example", "Complaint about", mailbox.password):
        assert private not in caplog.text


def test_nothing_is_filed_twice(riverside_case: Case, mailbox: Mailbox) -> None:
    complaint = samples.webmail_complaint()
    mailbox.deliver(complaint)
    assert fetch()[0] == f"UID 1  new case  RGH-2026-00002  -> {FILED}"

    # Run again: the inbox is empty, nothing is read or filed.
    assert fetch() == [summary(0, port=mailbox.server.ssl_port)]
    assert Case.objects.count() == 2

    # The same bytes delivered again after the move: recognised, not filed twice, moved all the same.
    mailbox.deliver(complaint)
    assert fetch() == [
        f"UID 2  already ingested  RGH-2026-00002  -> {FILED}",
        summary(1, duplicates=1, port=mailbox.server.ssl_port),
    ]
    assert Case.objects.count() == 2
    assert Case.objects.get(reference="RGH-2026-00002").timeline.filter(kind=TimelineKind.EMAIL).count() == 1
    assert InboundMessage.objects.count() == 1
    assert mailbox.contents("INBOX") == []
    assert mailbox.contents(FILED) == [stored(complaint)] * 2


def test_a_message_stored_but_not_moved_before_a_crash_is_moved_next_time(
    riverside_case: Case, mailbox: Mailbox
) -> None:
    reply = samples.outlook_reply(riverside_case.reference)
    mailbox.deliver(reply)
    # The run that stopped half-way: the message was filed, then the process died before the move.
    inbound_message_ingest(raw=stored(reply))

    assert fetch()[0] == f"UID 1  already ingested  {riverside_case.reference}  -> {FILED}"
    assert riverside_case.timeline.filter(kind=TimelineKind.EMAIL).count() == 1
    assert mailbox.contents("INBOX") == []
    assert mailbox.contents(FILED) == [stored(reply)]


def test_once_reads_one_batch_and_without_it_the_inbox_is_emptied(
    rgh_complaints: Cast, mailbox: Mailbox, settings: Any
) -> None:
    settings.LIAISON_IMAP_BATCH = 2
    messages = [samples.webmail_complaint(message_id=f"<batch-{n}@mail.example>") for n in range(5)]
    mailbox.deliver(*messages)
    port = mailbox.server.ssl_port

    assert fetch("--once")[-1] == summary(2, new=2, port=port)
    assert len(mailbox.contents("INBOX")) == 3

    lines = fetch()
    assert lines[-1] == summary(3, new=3, port=port)
    assert mailbox.contents("INBOX") == []
    assert mailbox.contents(FILED) == [stored(raw) for raw in messages]
    assert Case.objects.count() == 5


def test_site_option_places_messages_no_site_claims(rgh_complaints: Cast, mailbox: Mailbox) -> None:
    mailbox.deliver(samples.webmail_complaint(to="info@elsewhere.example"))
    assert fetch("--site", "hpm")[0].startswith("UID 1  new case  HPM-2026-")
    assert mailbox.contents(FILED) != []


def test_starttls_on_the_plain_port(rgh_complaints: Cast, mailbox: Mailbox, settings: Any) -> None:
    settings.LIAISON_IMAP_TLS = "starttls"
    settings.LIAISON_IMAP_PORT = mailbox.server.port
    mailbox.deliver(samples.webmail_complaint())
    assert fetch()[0] == f"UID 1  new case  RGH-2026-00001  -> {FILED}"


def test_plain_imap_to_a_server_on_this_machine(rgh_complaints: Cast, mailbox: Mailbox, settings: Any) -> None:
    settings.LIAISON_IMAP_TLS = "off"
    settings.LIAISON_IMAP_PORT = mailbox.server.port
    mailbox.deliver(samples.webmail_complaint())
    assert fetch()[0] == f"UID 1  new case  RGH-2026-00001  -> {FILED}"


def failure(*args: str) -> str:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("mail", "fetch", *args, stdout=out, stderr=err)
    assert raised.value.returncode == 1
    return str(raised.value)


def test_a_wrong_password_is_a_clear_error(rgh_complaints: Cast, mailbox: Mailbox, settings: Any) -> None:
    mailbox.deliver(samples.webmail_complaint())
    settings.LIAISON_IMAP_PASSWORD = "not-the-password"

    message = failure()

    assert message == (
        f"The IMAP server localhost:{mailbox.server.ssl_port} refused the user name or password "
        "([AUTHENTICATIONFAILED] Authentication failed.). Check LIAISON_IMAP_USER and LIAISON_IMAP_PASSWORD."
    )
    assert "not-the-password" not in message
    assert not InboundMessage.objects.exists()
    assert len(mailbox.contents("INBOX")) == 1


def test_a_certificate_no_trusted_authority_signed_is_refused(
    rgh_complaints: Cast, mailbox: Mailbox, settings: Any
) -> None:
    mailbox.deliver(samples.webmail_complaint())
    settings.LIAISON_IMAP_CA_FILE = ""  # the system's authorities only: the test's own is not among them

    assert failure() == (
        f"The certificate of the IMAP server localhost:{mailbox.server.ssl_port} could not be verified (unable "
        "to get local issuer certificate). Check the host name; for a private certificate authority set "
        "LIAISON_IMAP_CA_FILE."
    )
    assert not InboundMessage.objects.exists()


def test_a_certificate_authority_file_that_cannot_be_read_is_a_clear_error(
    rgh_complaints: Cast, mailbox: Mailbox, settings: Any, tmp_path: pathlib.Path
) -> None:
    settings.LIAISON_IMAP_CA_FILE = str(tmp_path / "missing.pem")
    assert failure() == (
        f"LIAISON_IMAP_CA_FILE {tmp_path / 'missing.pem'} cannot be read as a PEM certificate file: "
        "No such file or directory."
    )


def test_an_unreachable_server_is_a_clear_error(rgh_complaints: Cast, mailbox: Mailbox, settings: Any) -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        closed_port = spare.getsockname()[1]
    settings.LIAISON_IMAP_PORT = closed_port

    assert failure() == f"Could not reach the IMAP server localhost:{closed_port}: Connection refused."


def test_a_folder_that_does_not_exist_is_a_clear_error(rgh_complaints: Cast, mailbox: Mailbox, settings: Any) -> None:
    settings.LIAISON_IMAP_FOLDER = "Complaints"
    assert failure().startswith(
        f"The folder Complaints cannot be opened on the IMAP server localhost:{mailbox.server.ssl_port} "
    )


def test_without_a_mailbox_configured_fetch_says_what_to_set(db: None, settings: Any) -> None:
    settings.LIAISON_IMAP_HOST = ""
    with pytest.raises(CommandError, match="No mailbox is configured: set LIAISON_IMAP_HOST"):
        fetch()


@pytest.fixture
def periodic_jobs() -> Iterator[None]:
    """Jobs registered in a test are forgotten after it, as the worker of the next test would not have them."""
    before = dict(periodic._jobs)
    yield
    periodic._jobs.clear()
    periodic._jobs.update(before)


def test_the_worker_polls_the_mailbox_when_one_is_configured(
    riverside_case: Case, mailbox: Mailbox, settings: Any, periodic_jobs: None
) -> None:
    settings.LIAISON_IMAP_POLL_SECONDS = 90
    assert imap.poll_register() is True
    [job] = [job for job in periodic.registered() if job.task == imap.POLL_TASK]
    assert job.every == timedelta(seconds=90)

    reply = samples.outlook_reply(riverside_case.reference)
    mailbox.deliver(reply)
    # What the worker runs on each round: the task its periodic job names.
    assert import_string(job.task).call() == {"read": 1, "moved": 1, "waiting": 0}
    assert riverside_case.timeline.filter(kind=TimelineKind.EMAIL).count() == 1
    assert mailbox.contents(FILED) == [stored(reply)]

    # A round that cannot reach the server reports it and leaves the next round to try again.
    settings.LIAISON_IMAP_PASSWORD = "not-the-password"
    assert import_string(job.task).call()["error"].startswith("The IMAP server localhost:")


def test_without_a_mailbox_the_worker_does_not_poll(db: None, settings: Any, periodic_jobs: None) -> None:
    settings.LIAISON_IMAP_HOST = ""
    periodic._jobs.pop(imap.POLL_TASK, None)
    assert imap.poll_register() is False
    assert imap.POLL_TASK not in [job.task for job in periodic.registered()]


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"LIAISON_IMAP_USER": "complaints"}, "LIAISON_IMAP_USER and LIAISON_IMAP_PASSWORD"),
        (
            {"LIAISON_IMAP_USER": "complaints", "LIAISON_IMAP_PASSWORD": "pw", "LIAISON_IMAP_TLS": "off"},
            "LIAISON_IMAP_TLS=off sends the password in clear: only for a server on localhost.",
        ),
        ({"LIAISON_IMAP_TLS": "ssl"}, "LIAISON_IMAP_TLS must be tls, starttls or off; got 'ssl'."),
    ],
)
def test_a_mailbox_half_configured_stops_liaison_at_start(
    env: dict[str, str], complaint: str, tmp_path: pathlib.Path
) -> None:
    result = run_liaison(["manage", "check"], {**PRODUCTION_ENV, "LIAISON_IMAP_HOST": "imap.example", **env}, tmp_path)
    assert result.returncode != 0
    assert complaint in result.stderr


@pytest.mark.parametrize("uidplus", [True, False])
def test_a_server_without_move_gets_a_copy_and_the_original_expunged(
    rgh_complaints: Cast, mailbox: Mailbox, uidplus: bool
) -> None:
    first, second = (samples.webmail_complaint(message_id=f"<move-{n}@mail.example>") for n in range(2))
    mailbox.deliver(first, second)
    config = imap.MailboxSettings.from_settings()
    assert config is not None
    client = imap._connect(config)
    try:
        # Dovecot can MOVE; this session acts as an older server's would, with only COPY, STORE and EXPUNGE.
        box = imap._Mailbox(client, config)
        box.can_move, box.can_expunge_one = False, uidplus
        box.open()
        [uid, _] = box.waiting()
        box.move(uid, box.filed)
    finally:
        client.logout()

    assert mailbox.contents("INBOX") == [stored(second)]
    assert mailbox.contents(FILED) == [stored(first)]


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_reads_the_mailbox_it_is_configured_with(
    mailbox: Mailbox, tmp_path: pathlib.Path, sqlite_flushable_audit: None
) -> None:
    """The whole way: settings from the environment (the password from a file), the job registered when the
    app starts, enqueued by ``liaison worker`` and run by its task runner."""
    cast = make_cast()
    cast.rgh.complaints_contact_email = "complaints@rgh.example"
    cast.rgh.save()
    complaint = samples.webmail_complaint()
    mailbox.deliver(complaint)
    password_file = tmp_path / "imap-password"
    password_file.write_text(mailbox.password + "\n")
    env = subprocess_env(
        tmp_path,
        LIAISON_IMAP_HOST="localhost",
        LIAISON_IMAP_PORT=str(mailbox.server.ssl_port),
        LIAISON_IMAP_USER=mailbox.user,
        LIAISON_IMAP_PASSWORD_FILE=str(password_file),
        LIAISON_IMAP_CA_FILE=str(mailbox.server.ca_file),
        LIAISON_IMAP_POLL_SECONDS="10",
    )
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        # Its output goes to a file: a pipe nobody reads would stop the worker once it filled.
        worker = subprocess.Popen(
            [sys.executable, "-m", "liaison.cli", "worker", "--sweep-every", "0"],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for("the worker files the complaint", Case.objects.exists, seconds=60, worker=worker, log=log)
        wait_for("the worker moves it", lambda: mailbox.contents("INBOX") == [], seconds=30, worker=worker, log=log)
    finally:
        worker.kill()
        worker.wait(timeout=30)

    case = Case.objects.get()
    assert case.site == cast.rgh
    assert case.timeline.filter(kind=TimelineKind.EMAIL).count() == 1
    assert mailbox.contents(FILED) == [stored(complaint)]
    # Its log names neither the sender nor the subject, nor the password.
    for private in ("sam.carter", "Complaint about", mailbox.password):
        assert private not in log.read_text()
