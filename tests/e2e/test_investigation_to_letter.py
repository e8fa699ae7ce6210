"""The whole loop: the officer asks a department; the investigator answers; the officer drafts the final
response; the manager signs it; the complainant's mailbox receives the PDF."""

from __future__ import annotations

import os
import re
from datetime import date
from typing import Any

import pytest

from conftest import make_cast
from liaison.cases.services import case_open
from liaison.lib.pdf import PDF_MISSING_REASON, pdf_available
from tests.e2e.conftest import SCREENSHOTS, assert_accessible, screenshot, sign_in

pytestmark = pytest.mark.skipif(not pdf_available(), reason=PDF_MISSING_REASON)


def test_from_investigation_request_to_signed_letter_in_the_mailbox(page: Any, new_page: Any, smtp_server: Any) -> None:
    cast = make_cast()
    site = cast.rgh
    site.responsible_person, site.responsible_person_title = cast.manager, "Chief Executive"
    site.complaints_contact_name, site.complaints_contact_phone = "Patient Relations Team", "01632 960400"
    site.address = "1 Weir Lane\nMillbridge"
    site.save()
    cast.ed.leads.add(cast.investigator)
    case = case_open(
        acting_user=cast.officer,
        site=site,
        case_type="complaint",
        channel="letter",
        owner=cast.officer,
        patient_name="Iris Loopwell",
        patient_email="iris.loopwell@example.com",
        patient_address="9 Mill Row\nMillbridge MB1 2AB",
        account="I waited five hours in the emergency department and nobody told me why.",
        issues=[
            {"category": "communication", "severity": 2, "department": cast.ed, "summary": "Nobody explained the wait"}
        ],
    )

    # The officer asks the Emergency Department.
    sign_in(page, cast.officer)
    page.goto(f"/cases/{case.reference}/")
    page.get_by_role("link", name="Ask a department").click()
    page.wait_for_url(re.compile(r"/investigations/case/.+/new/$"))
    page.get_by_label("Department", exact=True).select_option(label="Emergency Department")
    page.get_by_label("Questions").fill("Why was the wait so long, and why was it not explained?")
    assert_accessible(page, "investigation request form")
    page.get_by_role("button", name="Ask a department").click()
    page.wait_for_url(re.compile(rf"/cases/{case.reference}/$"))
    assert page.get_by_text("Request sent to Emergency Department; its leads have been emailed.").is_visible()
    assert any(case.reference in m["Subject"] for m in smtp_server.to(cast.investigator.email))

    # The investigator answers.
    investigator = new_page()
    sign_in(investigator, cast.investigator)
    assert_accessible(investigator, "investigator's My work")
    investigator.get_by_role("link", name=case.reference).first.click()
    assert investigator.get_by_text("I waited five hours").is_visible()
    assert_accessible(investigator, "investigator's request")
    screenshot(investigator, "investigation-request")
    investigator.get_by_label("The department's statement").fill(
        "The department was at full capacity after a major incident."
    )
    investigator.get_by_label(re.compile("Finding on issue 1")).fill(
        "Triage was on time; the delay was not explained to the patient."
    )
    investigator.get_by_role("button", name="Send the answer").click()
    assert investigator.get_by_text("your answer has been sent").is_visible()

    # The officer records findings, promises an action and drafts the final response.
    page.goto(f"/cases/{case.reference}/")
    assert page.get_by_text("full capacity after a major incident").is_visible()
    page.get_by_role("link", name="Record findings and outcome").click()
    page.get_by_label(re.compile("Finding on issue 1")).fill("Staff did not tell Ms Loopwell why she was waiting.")
    page.get_by_label("Outcome of issue 1").select_option("upheld")
    page.get_by_label("Overall outcome").select_option("upheld")
    page.get_by_label("How the complaint was looked into").fill(
        "We read the department's records and the statement of the nurse in charge."
    )
    page.get_by_role("button", name="Record findings and outcome").click()
    page.get_by_role("link", name="Add a promised action").click()
    page.get_by_label("What will be done").fill("Update waiting-time boards every hour")
    page.get_by_label("Who will do it").fill("Emergency Department matron")
    page.get_by_label("By when").fill(date(2027, 1, 31).isoformat())
    page.get_by_role("button", name="Add a promised action").click()
    page.get_by_role("link", name="Draft a letter").click()
    page.get_by_label("Letter").select_option("final_response")
    page.get_by_role("button", name="Draft the letter").click()
    page.wait_for_url(re.compile(r"/letters/\d+/$"))
    assert page.get_by_text("Parliamentary and Health Service Ombudsman").is_visible()
    assert_accessible(page, "letter")
    page.get_by_role("button", name="Send for sign-off").click()
    assert page.get_by_text("Sent to a manager for sign-off.").is_visible()

    # The manager signs it and emails it.
    manager = new_page()
    sign_in(manager, cast.manager)
    manager.get_by_role("navigation", name="Main").get_by_role("link", name="Letters").click()
    assert_accessible(manager, "letters list")
    manager.get_by_role("link", name=case.reference).click()
    screenshot(manager, "letter-signoff")
    manager.get_by_role("button", name="Sign off").click()
    assert manager.get_by_text("Signed. The PDF is stored").is_visible()
    manager.get_by_role("button", name="Email it to the complainant").click()
    assert manager.get_by_text("Emailed to the complainant").is_visible()
    assert_accessible(manager, "signed letter")

    [delivered] = smtp_server.to("iris.loopwell@example.com")
    [attachment] = list(delivered.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    if os.environ.get("LIAISON_UPDATE_SCREENSHOTS") == "1":
        import pypdfium2

        pdf = pypdfium2.PdfDocument(attachment.get_content())
        pdf[0].render(scale=1.4).to_pil().save(SCREENSHOTS / "letter-final-response.png")
