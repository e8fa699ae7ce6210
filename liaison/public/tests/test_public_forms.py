"""The public front door: a complaint or compliment without an account becomes a case in the triage queue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case
from liaison.public.models import PublicAttempt
from liaison.public.services import progress_lookup

XSS = '<script>alert("x")</script><b>bold</b>'


def form_url(site: str, kind: str, step: str | None = None) -> str:
    url = reverse("public:form", args=[site, kind])
    return f"{url}?step={step}" if step else url


def fill(
    client: Client,
    site: str,
    kind: str,
    *,
    what: str = "The nurse was kind.",
    who: dict | None = None,
    files: dict | None = None,
    **contact: str,
):  # type: ignore[no-untyped-def]
    from liaison.org.models import Department

    department = Department.objects.get(site__code=site, code__in=["ED", "EM"])
    steps = {
        "what": {
            "what": what,
            "department": department.pk,
            "happened_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        },
        "who": who or {"about": "me"},
        "outcome": {"outcome": "An apology."},
        "contact": {
            "name": contact.get("name", "Pat Public"),
            "email": contact.get("email", "pat@example.com"),
            "language": contact.get("language", "en"),
        },
    }
    from liaison.public.views import STEPS

    for step in STEPS[kind][:-1]:
        response = client.post(form_url(site, kind, step), steps[step])
        assert response.status_code == 302, (step, response.content.decode()[:2000])
    return client.post(form_url(site, kind, "check"), {**(files or {})})


def test_a_complaint_becomes_a_web_form_case_in_the_triage_queue(
    cast: Cast, smtp_server, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = fill(
            client,
            "RGH",
            "complaint",
            what="I waited six hours.",
            files={"file1": SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100)},
        )
    assert response["Location"] == reverse("public:thanks", args=["RGH"])
    page = client.get(response["Location"]).content.decode()
    case = Case.objects.get()
    assert case.reference in page
    secret = re.search(r'id="progress-code">([A-Z0-9-]+)<', page).group(1)  # type: ignore[union-attr]
    assert (case.site, case.channel, case.case_type, case.owner, case.status) == (
        cast.rgh,
        "web_form",
        "complaint",
        None,
        "new",
    )
    assert case.reported_department == cast.ed and case.account == "I waited six hours."
    assert case.attachments.get().original_name == "photo.png"
    assert abs((case.received_at - timezone.now()).total_seconds()) < 60
    [email] = smtp_server.to("pat@example.com")
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert case.reference in email["Subject"] and secret in body
    assert progress_lookup(reference=case.reference, secret=secret) is not None


def test_at_a_us_hospital_a_web_complaint_is_a_grievance(cast: Cast) -> None:
    fill(Client(), "HPM", "complaint")
    assert Case.objects.get().case_type == "grievance"


def test_on_behalf_of_someone_needs_consent(cast: Cast) -> None:
    client = Client()
    client.post(form_url("RGH", "complaint", "what"), {"what": "x"})
    response = client.post(
        form_url("RGH", "complaint", "who"), {"about": "someone", "patient_name": "Gran", "relationship": "grandson"}
    )
    assert response.status_code == 200
    assert "Confirm that the patient agrees" in response.content.decode()


def test_the_honeypot_thanks_the_robot_and_keeps_nothing(cast: Cast) -> None:
    response = fill(Client(), "RGH", "compliment", files={"website": "http://spam.example"})
    assert response.status_code == 200
    assert Case.objects.count() == 0


def test_submissions_are_limited_per_address(cast: Cast, settings) -> None:
    settings.LIAISON_PUBLIC_SUBMISSIONS_PER_ADDRESS = 2
    for _ in range(2):
        assert fill(Client(), "RGH", "compliment").status_code == 302
    response = fill(Client(), "RGH", "compliment")
    assert response.status_code == 429
    assert "try again later" in response.content.decode().lower()
    assert Case.objects.count() == 2


def test_a_flood_for_a_site_is_refused_and_managers_alerted_once(cast: Cast, settings, smtp_server) -> None:
    settings.LIAISON_PUBLIC_SUBMISSIONS_PER_SITE = 1
    assert fill(Client(REMOTE_ADDR="10.0.0.1"), "RGH", "compliment").status_code == 302
    assert fill(Client(REMOTE_ADDR="10.0.0.2"), "RGH", "compliment").status_code == 429
    assert fill(Client(REMOTE_ADDR="10.0.0.3"), "RGH", "compliment").status_code == 429
    alerts = smtp_server.to(cast.manager.email)
    assert len(alerts) == 1 and "unusually many" in alerts[0]["Subject"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 64, "cannot be sent"),
        ("big.pdf", b"%PDF-1.4" + b"0" * (11 * 1024 * 1024), "too big"),
    ],
)
def test_disguised_and_oversized_files_are_refused_and_the_answers_kept(
    cast: Cast, name: str, content: bytes, message: str
) -> None:
    client = Client()
    response = fill(client, "RGH", "complaint", files={"file1": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Case.objects.count() == 0
    assert fill.__name__  # the answers are still in the session: sending without the file works
    assert client.post(form_url("RGH", "complaint", "check"), {}).status_code == 302
    assert Case.objects.count() == 1


def test_progress_with_a_wrong_secret_looks_exactly_like_an_unknown_reference(cast: Cast) -> None:
    client = Client()
    fill(client, "RGH", "complaint")
    case = Case.objects.get()
    wrong = Client().post(
        reverse("public:progress", args=["RGH"]), {"reference": case.reference, "secret": "AAAA-BBBB-CCCC"}
    )
    unknown = Client().post(
        reverse("public:progress", args=["RGH"]), {"reference": "RGH-2026-99999", "secret": "AAAA-BBBB-CCCC"}
    )
    assert wrong.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|value="[^"]*"', "", html)  # noqa: E731
    assert strip(wrong.content.decode()) == strip(unknown.content.decode()).replace("RGH-2026-99999", case.reference)


def test_progress_shows_the_stage_and_dates_but_never_the_account(cast: Cast) -> None:
    client = Client()
    fill(client, "RGH", "complaint", what="Secret account text about Dr Named Person.")
    case = Case.objects.get()
    from liaison.cases.services import case_acknowledge
    from liaison.public.models import PublicAccess
    from liaison.public.services import _hash_secret, new_secret

    secret = new_secret()
    PublicAccess.objects.filter(case=case).update(secret_hash=_hash_secret(secret))
    case_acknowledge(acting_user=cast.officer, case=case)
    page = (
        Client()
        .post(reverse("public:progress", args=["RGH"]), {"reference": case.reference, "secret": secret})
        .content.decode()
    )
    assert "Acknowledged: we are looking into it." in page and "Response due by" in page
    assert "Secret account text" not in page and "Named Person" not in page and cast.officer.full_name not in page
    link = Client().get(reverse("public:progress-link", args=[secret]))
    assert link.status_code == 200 and case.reference in link.content.decode()
    assert AuditEvent.objects.filter(action="public.progress_check").count() == 2


def test_progress_checks_are_rate_limited(cast: Cast, settings) -> None:
    settings.LIAISON_PUBLIC_PROGRESS_CHECKS_PER_ADDRESS = 3
    client = Client()
    for _ in range(3):
        assert (
            client.post(
                reverse("public:progress", args=["RGH"]), {"reference": "RGH-2026-00001", "secret": "X"}
            ).status_code
            == 200
        )
    assert (
        client.post(
            reverse("public:progress", args=["RGH"]), {"reference": "RGH-2026-00001", "secret": "X"}
        ).status_code
        == 429
    )
    assert PublicAttempt.objects.filter(kind="progress").count() == 3


def test_html_and_script_are_shown_escaped_everywhere(cast: Cast, as_user) -> None:
    client = Client()
    fill(client, "RGH", "complaint", what=XSS, name=XSS)
    case = Case.objects.get()
    assert case.account == XSS  # kept as typed, never interpreted
    pages = [
        as_user(cast.officer).get(reverse("cases:detail", args=[case.reference])).content.decode(),
        as_user(cast.officer).get(reverse("cases:worklist"), {"view": "site"}).content.decode(),
    ]
    for page in pages:
        assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in pages[0]
    from liaison.correspondence.services import letter_draft

    letter = letter_draft(acting_user=cast.officer, case=case, kind="acknowledgement")
    assert "<script" not in letter.body_html and "<b>" not in letter.body_html
