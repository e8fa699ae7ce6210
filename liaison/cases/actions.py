"""Every action an officer can take on a case, declared once: its form, the one service it calls, the message
it shows, and whether it still applies to the case as it stands (the case page offers only those).

A new action is one more :class:`CaseAction` here; ``tests/test_action_effects.py`` fails until it has a row
there that performs it and reads back what it changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone

from liaison.accounts.models import User
from liaison.cases import forms as case_forms
from liaison.cases import rules, selectors, services
from liaison.cases.models import Case, CaseType, Status
from liaison.lib.errors import ApplicationError


@dataclass(frozen=True)
class CaseAction:
    name: str  # the URL slug: /cases/<reference>/do/<name>/
    title: str  # the link text and the page heading
    form: type[forms.Form]
    perform: Callable[[User, Case, Any], str]  # calls one service with the cleaned form; returns the message
    applies: Callable[[Case], bool] = lambda case: True
    case_form: bool = False  # the form needs the case (choices that depend on it)

    def make_form(self, case: Case, data: Any = None, files: Any = None) -> forms.Form:
        kwargs: dict[str, Any] = {"case": case} if self.case_form else {}
        return self.form(data, files, **kwargs)


def _acknowledge(user: User, case: Case, form: Any) -> str:
    services.case_acknowledge(acting_user=user, case=case, how=form.cleaned_data["how"])
    return "Acknowledgement recorded."


def _start(user: User, case: Case, form: Any) -> str:
    services.case_start_investigation(acting_user=user, case=case)
    return "Investigation started."


def _drafted(user: User, case: Case, form: Any) -> str:
    services.case_mark_response_drafted(acting_user=user, case=case)
    return "Marked as drafted."


def _respond(user: User, case: Case, form: Any) -> str:
    services.case_record_response(acting_user=user, case=case, written_notice=form.cleaned_data["written_notice"])
    return "Response recorded."


def _close(user: User, case: Case, form: Any) -> str:
    services.case_close(acting_user=user, case=case, note=form.cleaned_data["note"])
    return "Case closed."


def _reopen(user: User, case: Case, form: Any) -> str:
    services.case_reopen(acting_user=user, case=case, reason=form.cleaned_data["reason"])
    return "Case reopened."


def _withdraw(user: User, case: Case, form: Any) -> str:
    services.case_withdraw(acting_user=user, case=case, reason=form.cleaned_data["reason"])
    return "Withdrawal recorded."


def _refer(user: User, case: Case, form: Any) -> str:
    services.case_refer_externally(acting_user=user, case=case, **form.cleaned_data)
    return "Referral recorded."


def _assign(user: User, case: Case, form: Any) -> str:
    owner = form.cleaned_data["owner"]
    services.case_assign(acting_user=user, case=case, owner=owner)
    return f"Assigned to {owner}." if owner else "The case is now unassigned."


def _convert(user: User, case: Case, form: Any) -> str:
    services.case_convert(acting_user=user, case=case, new_type=form.cleaned_data["new_type"])
    return "Type changed; the received date is kept."


def _time_limit(user: User, case: Case, form: Any) -> str:
    services.case_record_time_limit_decision(acting_user=user, case=case, **form.cleaned_data)
    return "Decision recorded."


def _extension(user: User, case: Case, form: Any) -> str:
    services.case_record_extension(acting_user=user, case=case, **form.cleaned_data)
    return "Extension recorded."


def _interim(user: User, case: Case, form: Any) -> str:
    services.case_record_interim_notice(acting_user=user, case=case, sent_at=timezone.now(), **form.cleaned_data)
    return "Interim notice recorded."


def _informal(user: User, case: Case, form: Any) -> str:
    services.case_resolve_informally(acting_user=user, case=case, **form.cleaned_data)
    return "Resolved and closed."


def _phso_stage(user: User, case: Case, form: Any) -> str:
    services.case_set_phso_stage(acting_user=user, case=case, stage=form.cleaned_data["stage"])
    return "Handling recorded."


def _findings(user: User, case: Case, form: Any) -> str:
    services.case_record_findings(acting_user=user, case=case, **form.service_arguments())
    return "Findings recorded."


def _promise(user: User, case: Case, form: Any) -> str:
    services.case_add_promised_action(acting_user=user, case=case, **form.cleaned_data)
    return "Action added."


def _note(user: User, case: Case, form: Any) -> str:
    data = form.cleaned_data
    services.case_add_note(
        acting_user=user,
        case=case,
        kind=data["kind"],
        summary=data["summary"],
        body=data["body"],
        duration_minutes=data["duration_minutes"],
    )
    return "Added to the timeline."


def _attach(user: User, case: Case, form: Any) -> str:
    services.case_add_attachment(acting_user=user, case=case, upload=form.cleaned_data["file"])
    return "File attached."


def _link(user: User, case: Case, form: Any) -> str:
    data = form.cleaned_data
    other = selectors.cases_for_user(user=user).filter(reference=data["other_reference"].strip().upper()).first()
    if other is None:
        raise ApplicationError("No case with that reference that you can see.")
    if data["merge"]:
        services.case_merge(acting_user=user, duplicate=case, into=other)
        return f"Merged into {other.reference}."
    services.case_link(acting_user=user, case=case, other=other)
    return f"Linked to {other.reference}."


def _restrict(user: User, case: Case, form: Any) -> str:
    data = form.cleaned_data
    services.case_set_restriction(
        acting_user=user, case=case, restricted=data["restricted"], reason=data["reason"], users=data["users"]
    )
    return "Access updated."


def _issue(user: User, case: Case, form: Any) -> str:
    services.issue_add(acting_user=user, case=case, **form.cleaned_data)
    return "Issue added."


def _is_open(case: Case) -> bool:
    return case.is_open


ACTIONS: dict[str, CaseAction] = {
    action.name: action
    for action in [
        CaseAction(
            "acknowledge",
            "Record the acknowledgement",
            case_forms.AcknowledgeForm,
            _acknowledge,
            applies=lambda c: c.status == Status.NEW,
        ),
        CaseAction(
            "start",
            "Start the investigation",
            forms.Form,
            _start,
            applies=lambda c: c.status in (Status.NEW, Status.ACKNOWLEDGED),
        ),
        CaseAction(
            "drafted",
            "Mark the response drafted",
            forms.Form,
            _drafted,
            applies=lambda c: c.status == Status.UNDER_INVESTIGATION,
        ),
        CaseAction(
            "respond",
            "Record the response sent",
            case_forms.RespondForm,
            _respond,
            applies=lambda c: c.status in (Status.ACKNOWLEDGED, Status.UNDER_INVESTIGATION, Status.RESPONSE_DRAFTED),
        ),
        CaseAction(
            "informal",
            "Resolve informally",
            case_forms.InformalForm,
            _informal,
            applies=lambda c: c.case_type == CaseType.CONCERN and c.is_open,
        ),
        CaseAction(
            "interim",
            "Record the 7-day interim notice",
            case_forms.InterimForm,
            _interim,
            applies=rules.interim_notice_applies,
        ),
        CaseAction(
            "extension",
            "Record an agreed extension",
            case_forms.ExtensionForm,
            _extension,
            applies=rules.extension_applies,
        ),
        CaseAction(
            "phso-stage",
            "Early resolution or detailed investigation",
            case_forms.PhsoStageForm,
            _phso_stage,
            applies=lambda c: c.site.policy_pack == "england_nhs" and c.is_open,
        ),
        CaseAction(
            "time-limit",
            "Decide on the time limit",
            case_forms.TimeLimitForm,
            _time_limit,
            applies=lambda c: rules.time_limit(c).out_of_time,
        ),
        CaseAction("close", "Close the case", case_forms.CloseForm, _close, applies=_is_open),
        CaseAction("reopen", "Reopen the case", case_forms.ReasonForm, _reopen, applies=lambda c: not c.is_open),
        CaseAction(
            "withdraw", "Record a withdrawal by the complainant", case_forms.ReasonForm, _withdraw, applies=_is_open
        ),
        CaseAction("assign", "Assign", case_forms.AssignForm, _assign, case_form=True),
        CaseAction("convert", "Convert to another type", case_forms.ConvertForm, _convert, applies=_is_open),
        CaseAction(
            "refer",
            "Refer externally",
            case_forms.ReferForm,
            _refer,
            case_form=True,
            applies=lambda c: c.is_open or c.status == Status.CLOSED,
        ),
        CaseAction("findings", "Record findings and outcome", case_forms.FindingsForm, _findings, case_form=True),
        CaseAction("promise", "Add a promised action", case_forms.PromisedActionForm, _promise, case_form=True),
        CaseAction("note", "Add to the timeline", case_forms.NoteForm, _note),
        CaseAction("attach", "Attach a file", case_forms.AttachForm, _attach),
        CaseAction("link", "Link or merge a duplicate", case_forms.LinkForm, _link),
        CaseAction("restrict", "Restrict access", case_forms.RestrictForm, _restrict, case_form=True),
        CaseAction("issue", "Add an issue", case_forms.IssueForm, _issue, case_form=True),
    ]
}

# Offered in the case page's Actions panel (the others have their own place on the page).
SIDE_PANEL = [
    "acknowledge",
    "start",
    "drafted",
    "respond",
    "close",
    "informal",
    "interim",
    "extension",
    "phso-stage",
    "time-limit",
    "reopen",
    "withdraw",
    "assign",
    "convert",
    "refer",
    "attach",
    "link",
    "restrict",
]


def offered(case: Case) -> list[CaseAction]:
    """The side-panel actions that still apply to ``case``."""
    return [ACTIONS[name] for name in SIDE_PANEL if ACTIONS[name].applies(case)]
