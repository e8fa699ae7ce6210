"""Every case action, performed through its web view as a permitted user, and what it changed read back.

One row per declared action (liaison/cases/actions.py): the state it starts from, what is posted, and what
must be true afterwards — the fields, the newest timeline entry, the audit row and the clock. Each row also
names a state in which the action is refused, and the refusal must change nothing at all. A declared action
without a row here fails ``test_every_declared_action_has_a_row``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from conftest import Cast
from liaison.accounts.models import User
from liaison.audit.models import AuditEvent
from liaison.cases import rules, services, urls
from liaison.cases.actions import ACTIONS
from liaison.cases.models import Case, CaseLink, ExternalReferral, Issue, PromisedAction, TimelineEvent

Setup = Callable[[Cast, Case], Any]
Data = Callable[[Cast, Case], dict[str, Any]]


def _nothing(cast: Cast, case: Case) -> None:
    return None


def _ack(cast: Cast, case: Case) -> None:
    services.case_acknowledge(acting_user=cast.officer, case=case, how="phone")


def _start(cast: Cast, case: Case) -> None:
    services.case_start_investigation(acting_user=cast.officer, case=case)


def _respond(cast: Cast, case: Case) -> None:
    _ack(cast, case)
    services.case_record_response(acting_user=cast.officer, case=case)


def _closed(cast: Cast, case: Case) -> None:
    _respond(cast, case)
    services.case_close(acting_user=cast.officer, case=case)


def _as_concern(cast: Cast, case: Case) -> None:
    services.case_convert(acting_user=cast.officer, case=case, new_type="concern")


def _interim(cast: Cast, case: Case) -> None:
    services.case_record_interim_notice(
        acting_user=cast.outsider, case=case, sent_at=timezone.now(), followup_within_days=10
    )


def _other_case(cast: Cast, case: Case) -> Case:
    return services.case_open(acting_user=cast.officer, site=cast.rgh, case_type="complaint", channel="phone")


def _clock_day(case: Case, key: str) -> date | None:
    due = {clock.key: clock.due for clock in rules.clocks(case)}.get(key)
    return timezone.localdate(due, case.site.zone) if due else None


def _today() -> date:
    return timezone.localdate()


@dataclass
class Row:
    name: str
    data: Data
    expect: Callable[[Cast, Case], None]  # asserts the fields afterwards (the case is read back first)
    timeline: str  # the newest timeline entry of the case contains this
    audit: str  # the newest audit row about the case has this action
    refused_setup: Setup  # a state in which the action must be refused
    setup: Setup = _nothing
    refused_data: Data | None = None  # what is posted when refused (default: ``data``)
    case_type: str = "complaint"
    site: str = "rgh"  # "hpm": a US grievance, worked by the HPM officer (cast.outsider)
    case_fields: dict[str, Any] = field(default_factory=dict)


def _files(data: dict[str, Any]) -> dict[str, Any]:
    return data


ROWS = [
    Row(
        "acknowledge",
        data=lambda c, k: {"how": "phone"},
        expect=lambda c, k: (
            (k.status == "acknowledged" and k.acknowledged_at is not None and k.next_due_name != "Acknowledge")
            or pytest.fail(f"{k.status} {k.acknowledged_at} {k.next_due_name}")
        ),
        timeline="Acknowledged by phone",
        audit="case.acknowledged",
        refused_setup=_ack,
    ),
    Row(
        "start",
        data=lambda c, k: {},
        expect=lambda c, k: k.status == "under_investigation" or pytest.fail(k.status),
        timeline="Investigation started",
        audit="case.under_investigation",
        refused_setup=_closed,
    ),
    Row(
        "drafted",
        setup=_start,
        data=lambda c, k: {},
        expect=lambda c, k: k.status == "response_drafted" or pytest.fail(k.status),
        timeline="Response drafted",
        audit="case.response_drafted",
        refused_setup=_nothing,
    ),
    Row(
        "respond",
        setup=_ack,
        data=lambda c, k: {},
        expect=lambda c, k: (
            (k.status == "responded" and k.responded_at is not None and k.next_due_at is None)
            or pytest.fail(f"{k.status} {k.responded_at} {k.next_due_at}")
        ),
        timeline="Response sent",
        audit="case.responded",
        refused_setup=_nothing,
    ),
    Row(
        "informal",
        setup=_as_concern,
        data=lambda c, k: {"outcome": "resolved_first_contact", "note": "Apologised and moved the bed."},
        expect=lambda c, k: (
            (k.status == "closed" and k.informal_outcome == "resolved_first_contact" and k.closed_at is not None)
            or pytest.fail(k.status)
        ),
        timeline="Resolved informally and closed",
        audit="case.resolve_informally",
        refused_setup=_nothing,  # a complaint cannot be resolved informally
    ),
    Row(
        "interim",
        site="hpm",
        case_type="grievance",
        data=lambda c, k: {"followup_within_days": "10"},
        expect=lambda c, k: (
            (k.interim_notice_sent_at is not None and k.followup_within_days == 10)
            or pytest.fail(str(k.interim_notice_sent_at))
        ),
        timeline="Interim notice sent; written response promised within 10 days",
        audit="case.interim_notice",
        refused_setup=_interim,
    ),
    Row(
        "extension",
        data=lambda c, k: {"until": (_today() + timedelta(days=60)).isoformat(), "agreement": "Agreed by phone."},
        expect=lambda c, k: (
            (
                k.extension_agreed_until == _today() + timedelta(days=60)
                and _clock_day(k, "respond") == _today() + timedelta(days=60)
            )
            or pytest.fail(f"{k.extension_agreed_until} {k.next_due_at}")
        ),
        timeline="Response date extended to",
        audit="case.extension",
        refused_setup=_respond,
    ),
    Row(
        "phso-stage",
        data=lambda c, k: {"stage": "early_resolution"},
        expect=lambda c, k: k.phso_stage == "early_resolution" or pytest.fail(k.phso_stage),
        timeline="Handling: early resolution",
        audit="case.phso_stage",
        refused_setup=_closed,
    ),
    Row(
        "time-limit",
        case_fields={"event_date": date(2020, 1, 6), "awareness_date": date(2020, 1, 6)},
        data=lambda c, k: {
            "good_reason": "on",
            "fair_investigation_possible": "on",
            "notes": "In hospital for a year.",
        },
        expect=lambda c, k: (
            (k.time_limit_decided_at is not None and k.time_limit_good_reason)
            or pytest.fail(str(k.time_limit_decided_at))
        ),
        timeline="Time limit waived: the complaint proceeds",
        audit="case.time_limit_decision",
        refused_setup=lambda c, k: Case.objects.filter(pk=k.pk).update(event_date=_today(), awareness_date=None),
    ),
    Row(
        "close",
        setup=_respond,
        data=lambda c, k: {"note": "Nothing more to do."},
        expect=lambda c, k: (k.status == "closed" and k.closed_at is not None) or pytest.fail(k.status),
        timeline="Closed",
        audit="case.closed",
        refused_setup=_ack,  # a complaint cannot close before its response is sent
    ),
    Row(
        "reopen",
        setup=_closed,
        data=lambda c, k: {"reason": "They wrote again with new points."},
        expect=lambda c, k: (
            (k.status == "under_investigation" and k.closed_at is None and k.responded_at is None)
            or pytest.fail(k.status)
        ),
        timeline="Reopened",
        audit="case.under_investigation",
        refused_setup=_nothing,
        refused_data=lambda c, k: {"reason": "again"},
    ),
    Row(
        "withdraw",
        data=lambda c, k: {"reason": "They no longer wish to go on."},
        expect=lambda c, k: (k.status == "withdrawn" and k.next_due_at is None) or pytest.fail(k.status),
        timeline="Withdrawn by the complainant",
        audit="case.withdrawn",
        refused_setup=_closed,
    ),
    Row(
        "assign",
        data=lambda c, k: {"owner": str(c.manager.pk)},
        expect=lambda c, k: k.owner_id == c.manager.pk or pytest.fail(f"owner is {k.owner_id}"),
        timeline="Assigned to Mona Manager",
        audit="case.assign",
        refused_setup=_nothing,
        refused_data=lambda c, k: {"owner": str(c.outsider.pk)},  # not an officer at this site
    ),
    Row(
        "convert",
        data=lambda c, k: {"new_type": "concern"},
        expect=lambda c, k: k.case_type == "concern" or pytest.fail(k.case_type),
        timeline="Converted from complaint to concern; received date kept",
        audit="case.convert",
        refused_setup=_nothing,
        refused_data=lambda c, k: {"new_type": "complaint"},  # already one
    ),
    Row(
        "refer",
        data=lambda c, k: {"body": "ombudsman", "referred_on": _today().isoformat(), "reference": "PHSO-1"},
        expect=lambda c, k: (
            (k.status == "referred" and ExternalReferral.objects.filter(case=k, body="ombudsman").exists())
            or pytest.fail(k.status)
        ),
        timeline="Referred to Ombudsman",
        audit="case.referred",
        refused_setup=_nothing,
        refused_data=lambda c, k: {"body": "qio", "referred_on": _today().isoformat()},  # a US body
    ),
    Row(
        "findings",
        data=lambda c, k: {
            "outcome": "partly_upheld",
            "how_considered": "We read the notes and spoke to the nurse in charge.",
            **{f"finding_{i.pk}": "The bell rang for 40 minutes." for i in k.issues.all()},
            **{f"outcome_{i.pk}": "upheld" for i in k.issues.all()},
        },
        expect=lambda c, k: (
            (
                k.outcome == "partly_upheld"
                and k.investigation_completed_on is not None
                and list(k.issues.values_list("finding", "outcome")) == [("The bell rang for 40 minutes.", "upheld")]
            )
            or pytest.fail(k.outcome)
        ),
        timeline="Findings and outcome recorded",
        audit="case.findings",
        refused_setup=_nothing,
        refused_data=lambda c, k: {"outcome": "upheld", "how_considered": ""},
    ),
    Row(
        "promise",
        data=lambda c, k: {
            "description": "Check call bells every shift",
            "owner": "Ward 7 sister",
            "action_owner": str(c.manager.pk),
            "due_date": (_today() + timedelta(days=30)).isoformat(),
        },
        expect=lambda c, k: (
            PromisedAction.objects.filter(case=k, description="Check call bells every shift").exists()
            or pytest.fail("no action")
        ),
        timeline="Action promised: Check call bells every shift",
        audit="case.promised_action",
        refused_setup=_nothing,
        refused_data=lambda c, k: {
            "description": "x",
            "owner": "  ",
            "action_owner": str(c.manager.pk),
            "due_date": _today().isoformat(),
        },
    ),
    Row(
        "note",
        data=lambda c, k: {"kind": "call", "summary": "Spoke to the daughter", "duration_minutes": "12"},
        expect=lambda c, k: (
            TimelineEvent.objects.filter(case=k, kind="call", duration_minutes=12).exists() or pytest.fail("no call")
        ),
        timeline="Spoke to the daughter",
        audit="case.call",
        refused_setup=_nothing,
        refused_data=lambda c, k: {"kind": "call", "summary": "Spoke"},  # a call needs its length
    ),
    Row(
        "attach",
        data=lambda c, k: {"file": SimpleUploadedFile("notes.txt", b"Ward 7 notes", content_type="text/plain")},
        expect=lambda c, k: k.attachments.filter(original_name="notes.txt").exists() or pytest.fail("no file"),
        timeline="Attached notes.txt",
        audit="case.attachment",
        refused_setup=_nothing,
        refused_data=lambda c, k: {
            "file": SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 60, content_type="application/octet-stream")
        },
    ),
    Row(
        "link",
        data=lambda c, k: {"other_reference": _other_case(c, k).reference},
        expect=lambda c, k: CaseLink.objects.filter(from_case=k).exists() or pytest.fail("no link"),
        timeline="Linked to",
        audit="case.link",
        refused_setup=_nothing,
        refused_data=lambda c, k: {"other_reference": k.reference},  # itself
    ),
    Row(
        "restrict",
        data=lambda c, k: {"restricted": "on", "reason": "safeguarding", "users": [str(c.manager.pk)]},
        expect=lambda c, k: (
            (k.restricted and set(k.restricted_to.all()) == {c.officer, c.manager}) or pytest.fail("not restricted")
        ),
        timeline="Restricted to named people",
        audit="case.restrict",
        refused_setup=_nothing,
        refused_data=lambda c, k: {"restricted": "on", "reason": ""},
    ),
    Row(
        "issue",
        data=lambda c, k: {
            "category": "safety",
            "severity": "3",
            "stage_of_care": "ward_care",
            "department": str(c.cardiology.pk),
            "staff_group": "",
            "summary": "A fall on the ward",
        },
        expect=lambda c, k: (
            k.issues.filter(category="safety", department=c.cardiology, summary="A fall on the ward").exists()
            or pytest.fail("no issue")
        ),
        timeline="Issue added: Safety (clinical)",
        audit="case.issue_add",
        refused_setup=_nothing,
        refused_data=lambda c, k: {
            "category": "safety",
            "severity": "3",
            "stage_of_care": "ward_care",
            "department": str(c.hpm_er.pk),  # another site's department
            "summary": "x",
        },
    ),
]


def test_every_declared_action_has_a_row() -> None:
    rows = [row.name for row in ROWS]
    assert len(rows) == len(set(rows)), "two rows for one action"
    missing = sorted(set(ACTIONS) - set(rows))
    assert not missing, f"these case actions have no effect test row: {missing}"
    assert not set(rows) - set(ACTIONS), "a row for an action that is not declared"


# Every URL of the cases app either changes a case (and is tested for its effect) or only reads.
CHANGING_VIEWS = {
    "action": "ROWS above",
    "intake": "test_intake_keeps_an_issue_without_a_category and test_case_intake (e2e)",
    "edit": "test_editing_saves_the_fields_and_says_which_changed",
    "issue-edit": "test_editing_an_issue_recodes_it",
    "issue-remove": "test_removing_an_issue_deletes_it",
}
READ_ONLY_VIEWS = {"worklist", "detail", "attachment"}


def test_every_cases_url_is_known_as_changing_or_read_only() -> None:
    names = {p.name for p in urls.urlpatterns if isinstance(p, URLPattern)}
    unknown = names - set(CHANGING_VIEWS) - READ_ONLY_VIEWS
    assert not unknown, f"new case views need an effect test and an entry here: {sorted(unknown)}"


def _open(cast: Cast, row: Row) -> tuple[Case, User]:
    if row.site == "hpm":
        user = cast.outsider
        case = services.case_open(
            acting_user=user,
            site=cast.hpm,
            case_type=row.case_type,
            channel="phone",
            patient_name="Bo Testpatient",
            issues=[{"category": "communication", "severity": 1, "summary": "Not told about the discharge"}],
            **row.case_fields,
        )
    else:
        user = cast.officer
        case = services.case_open(
            acting_user=user,
            site=cast.rgh,
            case_type=row.case_type,
            channel="phone",
            patient_name="Ada Testpatient",
            issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Call bell"}],
            **row.case_fields,
        )
    return case, user


def _state(case: Case) -> dict[str, Any]:
    case = Case.objects.get(pk=case.pk)
    return {
        "row": {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields},
        "timeline": TimelineEvent.objects.filter(case=case).count(),
        "issues": list(Issue.objects.filter(case=case).values()),
        "audit": AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .exclude(action="view")
        .count(),
        "links": CaseLink.objects.filter(from_case=case).count(),
        "actions": PromisedAction.objects.filter(case=case).count(),
        "files": case.attachments.count(),
        "restricted_to": sorted(case.restricted_to.values_list("pk", flat=True)),
    }


def _post(client: Client, case: Case, name: str, data: dict[str, Any]) -> Any:
    return client.post(reverse("cases:action", args=[case.reference, name]), data)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_the_action_does_what_it_says(cast: Cast, as_user: Any, row: Row) -> None:
    case, user = _open(cast, row)
    row.setup(cast, case)
    case.refresh_from_db()
    response = _post(as_user(user), case, row.name, row.data(cast, case))
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.select_related("site").get(pk=case.pk)
    row.expect(cast, case)
    newest = TimelineEvent.objects.filter(case=case).order_by("-occurred_at", "-pk").first()
    assert newest is not None and row.timeline in newest.summary, newest and newest.summary
    assert newest.actor_id == user.pk
    audit = AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).exclude(action="view").first()
    assert audit is not None and audit.action == row.audit and audit.actor_id == user.pk, audit
    # The case page shows the result too (its newest timeline entry).
    page = as_user(user).get(reverse("cases:detail", args=[case.reference]))
    assert row.timeline in page.content.decode().replace("&#x27;", "'")


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_a_refused_action_changes_nothing(cast: Cast, as_user: Any, row: Row) -> None:
    case, user = _open(cast, row)
    row.refused_setup(cast, case)
    case.refresh_from_db()
    before = _state(case)
    data = (row.refused_data or row.data)(cast, case)
    response = _post(as_user(user), case, row.name, data)
    assert response.status_code == 200, f"expected the form again with a message, got {response.status_code}"
    assert 'class="error' in response.content.decode() or "errorlist" in response.content.decode()
    assert _state(case) == before


def test_assigning_puts_the_case_in_the_new_owners_my_cases_and_my_work(cast: Cast, as_user: Any) -> None:
    from liaison.investigations.services import investigation_answer, investigation_request

    case, _ = _open(cast, ROWS[0])
    request = investigation_request(
        acting_user=cast.officer,
        case=case,
        department=cast.ed,
        questions="What happened with the call bell?",
        due_date=_today() + timedelta(days=10),
    )
    investigation_answer(acting_user=cast.investigator, request=request, statement="It was broken.", findings={})
    _post(as_user(cast.officer), case, "assign", {"owner": str(cast.manager.pk)})
    manager = as_user(cast.manager)
    mine = manager.get(reverse("cases:worklist"), {"view": "mine"}).content.decode()
    assert case.reference in mine
    my_work = manager.get(reverse("home:my-work")).content.decode()
    assert "Departments have answered" in my_work and case.reference in my_work
    assert case.reference not in as_user(cast.officer).get(reverse("cases:worklist")).content.decode()


# -- The case's other steps: asking a department, its answer, and the letters -----------------------------------


@dataclass
class Step:
    """One workflow step outside the case's own actions, performed through its page as the person who does it."""

    name: str
    who: str  # the cast member who performs it
    prepare: Callable[[Cast, Case], Any]  # returns the object the step works on (request, letter) or None
    url: Callable[[Case, Any], str]
    data: Callable[[Cast, Case, Any], dict[str, Any]]
    expect: Callable[[Cast, Case, Any], bool]  # fields afterwards
    timeline: str
    audit: str
    refuse: Callable[[Cast, Case], Any]  # a state in which it must be refused; returns the object
    needs_pdf: bool = False


def _request(cast: Cast, case: Case) -> Any:
    from liaison.investigations.services import investigation_request

    return investigation_request(
        acting_user=cast.officer, case=case, department=cast.ed, questions="What happened?", due_date=_today()
    )


def _answered(cast: Cast, case: Case) -> Any:
    from liaison.investigations.services import investigation_answer

    return investigation_answer(acting_user=cast.investigator, request=_request(cast, case), statement="x", findings={})


def _draft(cast: Cast, case: Case, kind: str = "acknowledgement") -> Any:
    from liaison.correspondence.services import letter_draft

    return letter_draft(acting_user=cast.officer, case=case, kind=kind)


def _submitted(cast: Cast, case: Case) -> Any:
    from liaison.correspondence.services import letter_submit

    return letter_submit(acting_user=cast.officer, letter=_draft(cast, case))


def _signed(cast: Cast, case: Case) -> Any:
    from liaison.correspondence.services import letter_sign

    return letter_sign(acting_user=cast.manager, letter=_submitted(cast, case))


def _final_draft(cast: Cast, case: Case) -> Any:
    issue = case.issues.get()
    services.case_record_findings(
        acting_user=cast.officer,
        case=case,
        issue_findings={issue.pk: ("The bell was broken.", "upheld")},
        outcome="upheld",
        how_considered="We read the notes.",
    )
    services.case_add_promised_action(
        acting_user=cast.officer, case=case, description="Fix the bells", owner="Estates", due_date=_today()
    )
    return _draft(cast, case, "final_response")


def _reload(obj: Any) -> Any:
    return type(obj).objects.get(pk=obj.pk)


STEPS = [
    Step(
        "request",
        who="officer",
        prepare=_nothing,
        url=lambda k, o: reverse("investigations:new", args=[k.reference]),
        data=lambda c, k, o: {"department": c.ed.pk, "questions": "Why was the bell not answered?"},
        expect=lambda c, k, o: _requests(k).filter(department=c.ed, status="open").exists(),
        timeline="Investigation request sent to Emergency Department",
        audit="investigation.request",
        refuse=_nothing,
    ),
    Step(
        "answer",
        who="investigator",
        prepare=_request,
        url=lambda k, o: reverse("investigations:detail", args=[o.pk]),
        data=lambda c, k, o: {"answer": "1", "statement": "The bell was unplugged for cleaning."},
        expect=lambda c, k, o: (
            _reload(o).status == "answered" and _reload(o).statement == "The bell was unplugged for cleaning."
        ),
        timeline="Emergency Department answered the investigation request",
        audit="investigation.answer",
        refuse=_answered,
    ),
    Step(
        "draft",
        who="officer",
        prepare=_nothing,
        url=lambda k, o: reverse("correspondence:new", args=[k.reference]),
        data=lambda c, k, o: {"kind": "acknowledgement", "language": ""},
        expect=lambda c, k, o: _letters(k).filter(kind="acknowledgement", status="draft").exists(),
        timeline="Acknowledgement drafted",
        audit="letter.draft",
        refuse=_nothing,
    ),
    Step(
        "confirm",
        who="officer",
        prepare=_final_draft,
        url=lambda k, o: reverse("correspondence:step", args=[o.pk, "confirm"]),
        data=lambda c, k, o: {"version": o.version, "confirmed": ["how_considered"]},
        expect=lambda c, k, o: list(_reload(o).confirmed_elements) == ["how_considered"],
        timeline="Checklist confirmed",
        audit="letter.confirm_elements",
        refuse=_final_draft,
    ),
    Step(
        "submit",
        who="officer",
        prepare=_draft,
        url=lambda k, o: reverse("correspondence:step", args=[o.pk, "submit"]),
        data=lambda c, k, o: {},
        expect=lambda c, k, o: _reload(o).status == "awaiting_signoff",
        timeline="Acknowledgement sent for sign-off",
        audit="letter.submit",
        refuse=_submitted,
    ),
    Step(
        "return",
        who="manager",
        prepare=_submitted,
        url=lambda k, o: reverse("correspondence:step", args=[o.pk, "return"]),
        data=lambda c, k, o: {"reason": "Please add the leaflet."},
        expect=lambda c, k, o: _reload(o).status == "draft",
        timeline="Letter returned to draft",
        audit="letter.return",
        refuse=_draft,
    ),
    Step(
        "sign",
        who="manager",
        prepare=_submitted,
        url=lambda k, o: reverse("correspondence:step", args=[o.pk, "sign"]),
        data=lambda c, k, o: {},
        expect=lambda c, k, o: _reload(o).status == "signed" and bool(_reload(o).pdf_sha256),
        timeline="Acknowledgement signed by Mona Manager",
        audit="letter.sign",
        refuse=_draft,
        needs_pdf=True,
    ),
    Step(
        "post",
        who="officer",
        prepare=_signed,
        url=lambda k, o: reverse("correspondence:step", args=[o.pk, "post"]),
        data=lambda c, k, o: {},
        # Posting the acknowledgement is the acknowledgement: the case's clock moves on.
        expect=lambda c, k, o: _reload(o).status == "posted" and k.status == "acknowledged",
        timeline="Acknowledged by letter",
        audit="case.acknowledged",
        refuse=_submitted,
        needs_pdf=True,
    ),
]


def _requests(case: Case) -> Any:
    from liaison.investigations.models import InvestigationRequest

    return InvestigationRequest.objects.filter(case=case)


def _letters(case: Case) -> Any:
    from liaison.correspondence.models import Letter

    return Letter.objects.filter(case=case)


def _newest_audit_by(user: User) -> AuditEvent | None:
    return AuditEvent.objects.filter(actor=user).exclude(action__in=["view", "case.list_view", "auth.login"]).first()


def _skip_without_pdf(step: Step) -> None:
    from liaison.lib.pdf import PDF_MISSING_REASON, pdf_available

    if step.needs_pdf and not pdf_available():
        pytest.skip(PDF_MISSING_REASON)


@pytest.mark.parametrize("step", STEPS, ids=[step.name for step in STEPS])
def test_the_workflow_step_does_what_it_says(cast: Cast, as_user: Any, step: Step) -> None:
    _skip_without_pdf(step)
    case, _ = _open(cast, ROWS[0])
    target = step.prepare(cast, case)
    user = getattr(cast, step.who)
    response = as_user(user).post(step.url(case, target), step.data(cast, case, target))
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.select_related("site").get(pk=case.pk)
    assert step.expect(cast, case, target)
    summaries = list(TimelineEvent.objects.filter(case=case).order_by("-pk").values_list("summary", flat=True)[:3])
    assert any(step.timeline in s for s in summaries), summaries
    audit = _newest_audit_by(user)
    assert audit is not None and audit.action == step.audit, audit


@pytest.mark.parametrize("step", STEPS, ids=[step.name for step in STEPS])
def test_a_refused_workflow_step_changes_nothing(cast: Cast, as_user: Any, step: Step) -> None:
    _skip_without_pdf(step)
    case, _ = _open(cast, ROWS[0])
    target = step.refuse(cast, case)
    user = getattr(cast, step.who)
    data = step.data(cast, case, target) if target is not None else {}
    if step.name == "request":
        data = {"department": cast.hpm_er.pk, "questions": "x"}  # another site's department
    elif step.name == "draft":
        data = {"kind": "no-such-letter"}
    elif step.name == "confirm":
        data = {"version": target.version, "confirmed": ["issue:999999"]}  # not on the checklist
    url = step.url(case, target)
    before = (_state(case), list(_requests(case).values()), list(_letters(case).values()))
    audits = AuditEvent.objects.exclude(action__in=["view", "case.list_view", "auth.login"]).count()
    response = as_user(user).post(url, data)
    assert response.status_code in (200, 302)
    assert (_state(case), list(_requests(case).values()), list(_letters(case).values())) == before
    assert AuditEvent.objects.exclude(action__in=["view", "case.list_view", "auth.login"]).count() == audits
