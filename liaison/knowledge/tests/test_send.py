"""Sending an article: an officer emails a public article's link to the complainant, noted and audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case, TimelineEvent
from liaison.cases.services import case_open
from liaison.knowledge import services
from liaison.knowledge.models import Article
from liaison.knowledge.tests.helpers import write
from liaison.lib.errors import ApplicationError


@pytest.fixture
def case(cast: Cast) -> Case:
    cast.rgh.complaints_contact_email = "pals@rgh.example"
    cast.rgh.complaints_contact_phone = "01632 960400"
    cast.rgh.save()
    return case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="phone",
        owner=cast.officer,
        patient_name="Nora Patient",
        patient_email="nora@example.com",
        complainant_is_patient=False,
        complainant_name="Carl Carer",
        complainant_relationship="son",
        complainant_email="carl@example.com",
        account="Nobody explained the discharge plan.",
    )


@pytest.fixture
def article(cast: Cast) -> Article:
    return write(
        cast.manager,
        cast.rgh,
        "where-else",
        category="where_else",
        title="Where else you can go for help",
        summary="Free, independent help.",
        body="<p>Advocacy.</p>",
    )


def send_url(case: Case) -> str:
    return reverse("knowledge:send", args=[case.reference])


def test_an_officer_emails_the_article_link_to_the_complainant(
    as_user, cast: Cast, case: Case, article: Article, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.officer)
    page = client.get(send_url(case)).content.decode()
    assert "Where else you can go for help (English)" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(send_url(case), {"article": article.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.reference])

    [message] = smtp_server.to("carl@example.com")
    assert "Where else you can go for help" in message["Subject"]
    assert message["Reply-To"] == "pals@rgh.example"
    text = message.get_body(("plain",)).get_content()
    assert "Dear Carl Carer" in text
    assert "/p/RGH/info/where-else/?lang=en" in text
    assert "Nobody explained" not in text and "Nora" not in text  # nothing from the case
    html = message.get_body(("html",)).get_content()
    assert 'href="http' in html and "/p/RGH/info/where-else/" in html
    assert not smtp_server.to("nora@example.com")

    event = TimelineEvent.objects.get(case=case, kind="email")
    assert event.actor == cast.officer
    assert "Where else you can go for help" in event.summary
    assert event.data["article"] == article.pk
    audit = AuditEvent.objects.get(action="knowledge.send")
    assert audit.actor == cast.officer and audit.object_id == str(article.pk)
    assert audit.details["case"] == case.reference


def test_it_goes_to_the_patient_when_the_patient_complained(
    cast: Cast, case: Case, article: Article, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    Case.objects.filter(pk=case.pk).update(complainant_is_patient=True)
    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        to = services.article_send(acting_user=cast.officer, case=case, article=article)
    assert to == "nora@example.com"
    assert len(smtp_server.to("nora@example.com")) == 1
    assert not smtp_server.to("carl@example.com")


def test_a_spanish_article_is_emailed_in_spanish(
    cast: Cast, case: Case, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    spanish = write(cast.manager, cast.rgh, "your-rights", language="es", title="Sus derechos", body="<p>D.</p>")
    with django_capture_on_commit_callbacks(execute=True):
        services.article_send(acting_user=cast.manager, case=case, article=spanish)
    [message] = smtp_server.to("carl@example.com")
    assert "Sus derechos" in message["Subject"]
    assert "/p/RGH/info/your-rights/?lang=es" in message.get_body(("plain",)).get_content()


def test_an_internal_or_another_sites_article_cannot_be_sent(cast: Cast, case: Case) -> None:
    internal = write(cast.manager, cast.rgh, "guide", visibility="internal", title="Guide")
    with pytest.raises(ApplicationError, match="Only a public article"):
        services.article_send(acting_user=cast.officer, case=case, article=internal)
    cast.manager.sites.add(cast.hpm)
    cast.manager.__dict__.pop("site_ids", None)
    other = write(cast.manager, cast.hpm, "rights", title="Harbor rights")
    with pytest.raises(ApplicationError, match="Only a public article"):
        services.article_send(acting_user=cast.officer, case=case, article=other)
    assert not TimelineEvent.objects.filter(case=case, kind="email").exists()


def test_the_send_page_offers_only_the_sites_public_articles(as_user, cast: Cast, case: Case, article) -> None:  # type: ignore[no-untyped-def]
    write(cast.manager, cast.rgh, "guide", visibility="internal", title="Staff guide")
    client = as_user(cast.officer)
    page = client.get(send_url(case)).content.decode()
    assert "Where else you can go for help" in page and "Staff guide" not in page
    internal = Article.objects.get(key="guide")
    response = client.post(send_url(case), {"article": internal.pk})
    assert response.status_code == 200  # not a valid choice
    assert not TimelineEvent.objects.filter(case=case, kind="email").exists()


def test_without_an_email_address_the_officer_is_told(as_user, cast: Cast, case: Case, article) -> None:  # type: ignore[no-untyped-def]
    Case.objects.filter(pk=case.pk).update(complainant_email="")
    response = as_user(cast.officer).post(send_url(case), {"article": article.pk})
    assert response.status_code == 200
    assert "no email address" in response.content.decode()
    assert not AuditEvent.objects.filter(action="knowledge.send").exists()


@pytest.mark.parametrize("who", ["investigator", "auditor", "executive", "admin", "outsider"])
def test_the_send_page_is_a_404_for_anyone_who_cannot_see_the_complainant(
    as_user, cast: Cast, case: Case, article, who
) -> None:  # type: ignore[no-untyped-def]
    client = as_user(getattr(cast, who))
    assert client.get(send_url(case)).status_code == 404
    assert client.post(send_url(case), {"article": article.pk}).status_code == 404
    assert not TimelineEvent.objects.filter(case=case, kind="email").exists()
