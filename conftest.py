"""The shared cast for every test: two hospitals and one person per role, built through the services.

- officer, manager, investigator (Emergency Department), executive, auditor, admin: all at Riverside (RGH)
- outsider: an officer at Harbor Point (HPM) only — must never see Riverside's objects
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from liaison.accounts.middleware import SESSION_RENEWED_KEY
from liaison.accounts.models import User
from liaison.accounts.services import user_create
from liaison.audit import triggers
from liaison.org.models import Department, Site
from liaison.org.services import department_create, site_create

PASSWORD = "correct horse battery staple 7"


@dataclass
class Cast:
    rgh: Site
    hpm: Site
    ed: Department
    cardiology: Department
    hpm_er: Department
    officer: User
    manager: User
    investigator: User
    executive: User
    auditor: User
    admin: User
    outsider: User

    def everyone(self) -> dict[str, User]:
        names = ["officer", "manager", "investigator", "executive", "auditor", "admin", "outsider"]
        return {name: getattr(self, name) for name in names}


def make_cast() -> Cast:
    rgh = site_create(
        acting_user=None,
        name="Riverside General Hospital",
        code="RGH",
        policy_pack="england_nhs",
        time_zone="Europe/London",
    )
    hpm = site_create(
        acting_user=None,
        name="Harbor Point Medical Center",
        code="HPM",
        policy_pack="us_cms",
        time_zone="America/New_York",
    )
    ed = department_create(acting_user=None, site=rgh, name="Emergency Department", code="ED")
    cardiology = department_create(acting_user=None, site=rgh, name="Cardiology", code="CARD")
    hpm_er = department_create(acting_user=None, site=hpm, name="Emergency Medicine", code="EM")

    def person(email: str, name: str, roles: list[str], sites: list[Site], departments: list[Department] = []) -> User:  # noqa: B006
        return user_create(
            acting_user=None,
            email=email,
            full_name=name,
            password=PASSWORD,
            roles=roles,
            sites=sites,
            departments=departments,
        )

    return Cast(
        rgh=rgh,
        hpm=hpm,
        ed=ed,
        cardiology=cardiology,
        hpm_er=hpm_er,
        officer=person("officer@rgh.example", "Olive Officer", ["officer"], [rgh]),
        manager=person("manager@rgh.example", "Mona Manager", ["manager"], [rgh]),
        investigator=person("investigator@rgh.example", "Ian Investigator", ["investigator"], [rgh], [ed]),
        executive=person("executive@rgh.example", "Eve Executive", ["executive"], [rgh]),
        auditor=person("auditor@rgh.example", "Audrey Auditor", ["auditor"], [rgh]),
        admin=person("admin@rgh.example", "Adam Admin", ["admin"], [rgh]),
        outsider=person("outsider@hpm.example", "Otto Outsider", ["officer"], [hpm]),
    )


@pytest.fixture
def cast(db: None) -> Cast:
    return make_cast()


def login_verified(client: Client, user: User) -> Client:
    """Sign in as if the password and a TOTP code had both been given."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="Authenticator app", defaults={"confirmed": True})
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    # As a real sign-in's response would: the idle timeout was renewed just now (SessionRenewalMiddleware).
    session[SESSION_RENEWED_KEY] = int(time.time())
    session.save()
    return client


@pytest.fixture
def as_user(client: Client):  # type: ignore[no-untyped-def]
    """as_user(user) -> a test client signed in with both factors."""

    def _login(user: User) -> Client:
        fresh = Client()
        return login_verified(fresh, user)

    return _login


@pytest.fixture(autouse=True)
def fresh_audit_checkpoints() -> Any:
    """Each test starts without audit checkpoints: its database is rolled back, but the file would remain."""
    yield None
    Path(settings.LIAISON_AUDIT_CHECKPOINT_FILE).unlink(missing_ok=True)


@pytest.fixture
def sqlite_flushable_audit() -> object:
    """For transactional tests: let Django's flush empty the audit table on SQLite afterwards.

    Flush is a DELETE on SQLite, which the append-only triggers refuse; PostgreSQL flushes with TRUNCATE,
    which they do not cover. Request this after ``transactional_db``/``live_server`` so it tears down first.
    """
    triggers.create(connection)
    yield None
    if connection.vendor == "sqlite":
        triggers.drop(connection)


@dataclass
class SmtpServer:
    """A real SMTP server on localhost (aiosmtpd), keeping every message it receives."""

    host: str
    port: int
    messages: list[Any]

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address in (m["To"] or "")]


@pytest.fixture
def smtp_server(settings: Any) -> Any:
    import email
    import email.policy
    import socket

    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(
                email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
            )
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, data_size_limit=60 * 1024 * 1024)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield SmtpServer("127.0.0.1", port, received)
    controller.stop()
