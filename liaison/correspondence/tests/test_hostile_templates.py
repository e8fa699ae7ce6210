"""Letter templates are edited by managers: whatever they write, a letter shows only the letter's own values.

Hostile bodies are saved through the real template editor (service and web page) and drafted through the real
letter service and pages; the output must hold no password, secret, or other patient's data, refused bodies
must be a form error naming the problem, and nothing may be a server error.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from conftest import Cast
from liaison.cases.models import Case
from liaison.cases.services import case_open, case_set_restriction
from liaison.correspondence import services
from liaison.correspondence.content import letter_context, sample_letter_context
from liaison.correspondence.models import Letter, LetterKind, LetterTemplate
from liaison.correspondence.services import LETTERS_DIR
from liaison.correspondence.tests.test_letters import england  # noqa: F401 - the investigated England case
from liaison.lib import sandbox
from liaison.lib.errors import ApplicationError
from liaison.lib.tests.hostile_templates import LEAK_BODY, REFUSED, REFUSED_IDS, secrets_absent

KIND = "acknowledgement"


@pytest.fixture
def others(cast: Cast) -> dict[str, Case]:
    """Two more patients at the same site: one restricted (staff as patient), one ordinary."""
    restricted = case_open(
        acting_user=cast.manager,
        site=cast.rgh,
        case_type="complaint",
        channel="letter",
        owner=cast.manager,
        patient_name="Rita Restricted",
        patient_address="9 Secret Lane",
        account="A member of staff complains about their own care.",
    )
    case_set_restriction(
        acting_user=cast.manager, case=restricted, restricted=True, reason="staff_as_patient", users=[]
    )
    ordinary = case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="phone",
        patient_name="Paul Otherpatient",
        patient_address="4 Elm Row",
    )
    return {"restricted": Case.objects.get(pk=restricted.pk), "ordinary": ordinary}


def current_template() -> LetterTemplate:
    services.templates_sync()
    return services.template_current(pack="england_nhs", kind=KIND, language="en")


def secrets(cast: Cast, *patients: Case) -> list[str]:
    found: list[str] = [settings.SECRET_KEY, cast.manager.password, cast.officer.password, "manager@rgh.example"]
    found += ["officer@rgh.example"]
    for case in patients:
        found += [case.patient_name, case.patient_address]
    return found


def test_a_template_reaching_for_models_is_saved_but_the_drafted_letter_shows_no_secret(
    cast: Cast,
    england: Case,  # noqa: F811
    others: dict[str, Case],
) -> None:
    services.template_update(acting_user=cast.manager, template=current_template(), subject="Hello", body=LEAK_BODY)

    letter = services.letter_draft(acting_user=cast.officer, case=england, kind=KIND, language="en")

    assert letter.template.body == services.sanitise_template(LEAK_BODY)
    assert secrets_absent(letter.subject + letter.body_html, *secrets(cast, *others.values())) == []


def test_a_letter_for_a_restricted_case_shows_no_more_than_the_letter_variables(
    cast: Cast,
    england: Case,  # noqa: F811
    others: dict[str, Case],
) -> None:
    services.template_update(acting_user=cast.manager, template=current_template(), subject="Hi", body=LEAK_BODY)

    letter = services.letter_draft(acting_user=cast.manager, case=others["restricted"], kind=KIND, language="en")

    # case.patient_name, case.patient_address and case.restricted_to are not letter variables: they print nothing.
    assert secrets_absent(letter.body_html, *secrets(cast, england, others["ordinary"], others["restricted"])) == []


def test_the_template_editor_saves_a_reaching_template_and_the_letter_page_shows_no_secret(
    as_user: Any,
    cast: Cast,
    england: Case,  # noqa: F811
    others: dict[str, Case],
) -> None:
    template = current_template()
    manager: Client = as_user(cast.manager)
    saved = manager.post(
        reverse("correspondence:template-edit", args=[template.pk]),
        {"subject": "Your complaint {{ site.responsible_person.password }}", "body": LEAK_BODY, "note": "test"},
    )
    assert saved.status_code == 302
    officer: Client = as_user(cast.officer)
    drafted = officer.post(reverse("correspondence:new", args=[england.reference]), {"kind": KIND, "language": "en"})
    assert drafted.status_code == 302
    letter = Letter.objects.get(case=england)
    page = officer.get(reverse("correspondence:detail", args=[letter.pk]))
    assert page.status_code == 200
    assert secrets_absent(page.content.decode(), *secrets(cast, *others.values())) == []
    assert letter.subject == "Your complaint"


@pytest.mark.parametrize(("name", "body", "message"), REFUSED, ids=REFUSED_IDS)
def test_the_template_editor_refuses_a_hostile_template_with_a_form_error(
    as_user: Any, cast: Cast, name: str, body: str, message: str
) -> None:
    template = current_template()
    response = as_user(cast.manager).post(
        reverse("correspondence:template-edit", args=[template.pk]),
        {"subject": "Hello", "body": f"<p>Dear {{{{ recipient.name }}}},</p>{body}", "note": ""},
    )
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert error.startswith("The template's text has an error: ") and message in error
    assert LetterTemplate.objects.filter(pack="england_nhs", kind=KIND, language="en").count() == 1


def test_the_subject_is_checked_too(cast: Cast) -> None:
    with pytest.raises(ApplicationError, match=re.escape("The template's subject has an error: Line 1: the {% debug")):
        services.template_update(acting_user=cast.manager, template=current_template(), subject="{% debug %}", body="x")


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [row for row in REFUSED if row[0] in ("include", "debug", "nested-loops", "output-over-1mb")],
    ids=["include", "debug", "nested-loops", "output-over-1mb"],
)
def test_a_hostile_template_saved_before_the_checks_is_a_form_error_when_drafting(
    as_user: Any,
    cast: Cast,
    england: Case,  # noqa: F811
    name: str,
    body: str,
    message: str,
) -> None:
    old = current_template()
    LetterTemplate.objects.create(pack=old.pack, kind=KIND, language="en", version=2, subject="Hello", body=body)

    response = as_user(cast.officer).post(
        reverse("correspondence:new", args=[england.reference]), {"kind": KIND, "language": "en"}
    )

    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert error.startswith("The acknowledgement template (version 2) cannot be used: ") and message in error
    assert error.endswith("Ask a manager to correct it.")
    assert not Letter.objects.filter(case=england).exists()


@pytest.mark.parametrize("kind", LetterKind.values)
def test_the_letter_context_holds_plain_values_only(cast: Cast, england: Case, kind: str) -> None:  # noqa: F811
    sandbox.assert_plain(letter_context(england, kind, drafted_by=cast.officer, language="en"))


def _variables_in_shipped_letters() -> set[str]:
    paths: set[str] = set()
    for path in LETTERS_DIR.glob("*/*.html"):
        text = path.read_text(encoding="utf-8")
        for expression in re.findall(r"{{\s*([\w.]+)", text) + re.findall(r"{%\s*(?:if|for \w+ in)\s+([\w.]+)", text):
            paths.add(expression)
    return paths


def _lookup(context: dict[str, Any], path: str) -> bool:
    loops = {
        "issue": context["issues"][0],
        "action": context["actions"][0],
        "forloop": {"counter": 1, "first": True, "last": True},
    }
    value: Any = {**context, **loops}
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def test_every_variable_the_shipped_letters_use_is_in_the_letter_context(cast: Cast, england: Case) -> None:  # noqa: F811
    context = letter_context(england, "final_response", drafted_by=cast.officer, language="en")
    used = _variables_in_shipped_letters()
    assert len(used) > 40
    # Nora has an email address, so her letter has no survey (test_letter_survey checks a letter that has one).
    assert context["satisfaction_survey"] is None
    assert sorted(p for p in used if not p.startswith("satisfaction_survey.") and not _lookup(context, p)) == []
    # ... and the sample values a template is tried on when saved have the same shape.
    assert sorted(path for path in used if not _lookup(sample_letter_context(), path)) == []


def test_the_letter_values_are_the_cases_own(cast: Cast, england: Case) -> None:  # noqa: F811
    context = letter_context(england, "final_response", drafted_by=cast.officer, language="en")
    assert context["site"]["name"] == "Riverside General Hospital"
    assert context["site"]["responsible_person"] == "Mona Manager"
    assert context["signer"] == {"name": "Mona Manager", "title": "Chief Executive"}
    assert context["recipient"]["name"] == "Nora Lettertest"
    assert context["issues"] == [
        {
            "summary": "Transfer not explained",
            "category": "Communication (relationships)",
            "finding": "Staff did not explain the plan before the move.",
            "outcome": "Upheld",
        }
    ]
    assert [a["description"] for a in context["actions"]] == ["Brief all ward staff on explaining transfers"]


def test_every_shipped_letter_is_accepted_by_the_template_editor_checks() -> None:
    paths = sorted(LETTERS_DIR.glob("*/*.html"))
    assert len(paths) == 32
    for path in paths:
        subject, _, body = path.read_text(encoding="utf-8").partition("\n")
        for source in (subject.removeprefix("Subject:"), services.sanitise_template(body)):
            assert sandbox.render(source, sample_letter_context()).strip(), path.name
