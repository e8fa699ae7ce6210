"""What a letter says: the variables its template sees, and the elements the law requires in it.

Managers edit letter templates, so a template sees plain values only (strings, numbers, dates and lists or
dictionaries of those), built here, and is filled in by the sandboxed engine in ``liaison.lib.sandbox``.

Apps above correspondence add variables of their own through :func:`register_letter_values` (correspondence may
not import them), e.g. feedback's ``satisfaction_survey``.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any, Protocol

import nh3
from django.utils import dateformat, timezone, translation

from liaison.cases import rules
from liaison.cases.models import Case, Outcome
from liaison.correspondence.models import Letter, LetterKind
from liaison.lib import sandbox
from liaison.org.models import Site

# The only HTML a letter body may contain (officers edit it; it is also printed to PDF).
ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3"}
PHSO_NAME = "Parliamentary and Health Service Ombudsman"


class LetterValues(Protocol):
    """Variables another app adds to a letter: plain values, for this case and kind of letter."""

    def __call__(self, case: Case, kind: str, *, language: str) -> dict[str, Any]: ...


_registered: list[tuple[LetterValues, dict[str, Any]]] = []


def register_letter_values(values: LetterValues, sample: dict[str, Any]) -> None:
    """Add ``values(case, kind, language=...)`` to every letter's variables, and ``sample`` (made-up values of
    the same shape) to the values a template is tried on when a manager saves it. Called from an app's ready()."""
    if not any(known is values for known, _sample in _registered):  # ready() may run twice in some test setups
        _registered.append((values, sample))


def sanitise(body: str) -> str:
    # "*": set() as well: an empty mapping alone still lets nh3's generic attributes (title, lang) through.
    # The HTML parser drops a byte-order mark that starts its input, so one left at the start of the result would
    # vanish at the next save: none is kept there, and sanitising a sanitised body changes nothing.
    return nh3.clean(body, tags=ALLOWED_TAGS, attributes={"*": set()}, link_rel=None).lstrip("\ufeff")


def render_template_text(source: str, context: dict[str, Any]) -> str:
    """Fill in a letter template; raises sandbox.TemplateRefused with a message for the template's author."""
    return sandbox.render(source, context)


def plain_text(body_html: str) -> str:
    text = nh3.clean(re.sub(r"<(br|/p|/li|/h2|/h3)\s*/?>", "\n", body_html), tags=set())
    return " ".join(html.unescape(text).split())


def _norm(text: str) -> str:
    return " ".join(html.unescape(text).split()).casefold()


_OUTCOMES_ES = {
    Outcome.UPHELD: "Fundada",
    Outcome.PARTLY_UPHELD: "Parcialmente fundada",
    Outcome.NOT_UPHELD: "No fundada",
    Outcome.UNABLE: "No se pudo investigar",
}


def outcome_label(code: str, language: str) -> str:
    if not code:
        return ""
    return _OUTCOMES_ES[Outcome(code)] if language == "es" else Outcome(code).label


def recipient(case: Case) -> SimpleNamespace:
    if case.complainant_is_patient:
        return SimpleNamespace(
            name=case.patient_name or "Patient", address=case.patient_address, email=case.patient_email
        )
    return SimpleNamespace(name=case.complainant_name, address=case.complainant_address, email=case.complainant_email)


def letter_kinds_for(case: Case) -> list[str]:
    """The letters that fit this case: the out-of-time decision only when the case is out of time (England's
    12-month rule, UK-2; the US rules have no such limit), and the extension letter only once an agreed extension
    is recorded (UK-8), since it confirms that agreement."""
    kinds = []
    for kind in LetterKind.values:
        if kind == LetterKind.OUT_OF_TIME_DECISION and not rules.time_limit(case).out_of_time:
            continue
        if kind == LetterKind.EXTENSION_AGREED and case.extension_agreed_until is None:
            continue
        kinds.append(kind)
    return kinds


def needs_qio_paragraph(case: Case) -> bool:
    """US-11: a Medicare beneficiary's concern about quality of care or premature discharge."""
    return case.medicare_beneficiary and bool({"quality_of_care", "premature_discharge"} & set(case.topics or []))


def _site_values(site: Site) -> dict[str, str]:
    """The site as a letter sees it: its published contacts and the US agencies, and who signs, by name."""
    responsible = site.responsible_person
    return {
        "name": site.name,
        "code": site.code,
        "address": site.address,
        "complaints_contact_name": site.complaints_contact_name,
        "complaints_contact_phone": site.complaints_contact_phone,
        "complaints_contact_email": site.complaints_contact_email,
        "complaints_contact_address": site.complaints_contact_address,
        "responsible_person": responsible.full_name if responsible else "",
        "responsible_person_title": site.responsible_person_title,
        "state_agency_name": site.state_agency_name,
        "state_agency_contact": site.state_agency_contact,
        "qio_name": site.qio_name,
        "qio_contact": site.qio_contact,
    }


def letter_context(case: Case, kind: str, *, drafted_by: Any, language: str = "en") -> dict[str, Any]:
    """Every variable a letter template may use, as plain values (see letters/README.md)."""
    site = case.site
    zone = site.zone
    signer_user = (
        site.responsible_person if kind == LetterKind.FINAL_RESPONSE and site.responsible_person else drafted_by
    )
    signer_title = (
        site.responsible_person_title
        if signer_user == site.responsible_person and site.responsible_person_title
        else "Patient Relations"
    )
    clocks = {clock.key: clock for clock in rules.clocks(case)}
    respond = clocks.get("respond") or clocks.get("final_response") or clocks.get("interim_notice")
    time_limit = rules.time_limit(case)
    interim_date = None
    if case.interim_notice_sent_at and case.followup_within_days:
        interim_date = timezone.localdate(case.interim_notice_sent_at, zone) + timedelta(days=case.followup_within_days)
    to = recipient(case)
    context: dict[str, Any] = {
        "site": _site_values(site),
        "case": {
            "reference": case.reference,
            "received_date": timezone.localdate(case.received_at, zone),
            "event_date": case.event_date,
            "type_label": str(case.get_case_type_display()),
        },
        "recipient": {"name": to.name, "address": to.address, "email": to.email},
        "recipient_is_patient": case.complainant_is_patient,
        "patient_name": case.patient_name,
        "today": timezone.localdate(timezone.now(), zone),
        "signer": {"name": signer_user.full_name, "title": signer_title},
        "officer": {"name": (case.owner or drafted_by).full_name},
        "response_due": timezone.localdate(respond.due, zone) if respond else None,
        "discussion_offer": True,
        "issues": [
            {
                "summary": i.summary,
                "category": str(i.get_category_display()),
                "finding": i.finding,
                "outcome": str(i.get_outcome_display()) if i.outcome else "",
            }
            for i in case.issues.order_by("pk")
        ],
        "overall_outcome": outcome_label(case.outcome, language),
        "how_considered": case.how_considered,
        "learning": case.learning,
        "actions": [
            {"description": a.description, "owner": a.owner, "due_date": a.due_date}
            for a in case.promised_actions.all()
        ],
        "completion_date": case.investigation_completed_on,
        "medicare_qio": needs_qio_paragraph(case),
        "interim": {"followup_within_days": case.followup_within_days or 0, "followup_date": interim_date},
        "extension": {"until": case.extension_agreed_until, "agreement": case.extension_agreement},
        "time_limit": {
            "limit_date": time_limit.limit_date,
            "proceeds": bool(case.time_limit_good_reason and case.time_limit_fair_investigation_possible),
            "reasons": case.time_limit_decision_notes,
        },
        "request": {"department": "", "questions": "", "due_date": None},
        "account_excerpt": (case.account or "")[:300],
    }
    for values, _sample in _registered:
        context.update(values(case, kind, language=language))
    return context


def sample_letter_context() -> dict[str, Any]:
    """Made-up values for every letter variable, to try a template on when a manager saves it."""
    day = date(2026, 1, 15)
    issue = {"summary": "Sample issue", "category": "Communication", "finding": "Sample finding", "outcome": "Upheld"}
    context: dict[str, Any] = {
        "site": {
            "name": "Sample Hospital",
            "code": "SAMPLE",
            "address": "1 Sample Road",
            "complaints_contact_name": "Patient Relations",
            "complaints_contact_phone": "0100 000 000",
            "complaints_contact_email": "relations@example.org",
            "complaints_contact_address": "1 Sample Road",
            "responsible_person": "Sam Sample",
            "responsible_person_title": "Chief Executive",
            "state_agency_name": "State agency",
            "state_agency_contact": "State agency contact",
            "qio_name": "Sample QIO",
            "qio_contact": "QIO contact",
        },
        "case": {"reference": "SAMPLE-1", "received_date": day, "event_date": day, "type_label": "Complaint"},
        "recipient": {"name": "Alex Sample", "address": "2 Sample Street", "email": "alex@example.org"},
        "recipient_is_patient": True,
        "patient_name": "Alex Sample",
        "today": day,
        "signer": {"name": "Sam Sample", "title": "Chief Executive"},
        "officer": {"name": "Olly Sample"},
        "response_due": day,
        "discussion_offer": True,
        "issues": [issue, {**issue, "outcome": ""}],
        "overall_outcome": "Upheld",
        "how_considered": "Sample text",
        "learning": "Sample text",
        "actions": [{"description": "Sample action", "owner": "Ward manager", "due_date": day}],
        "completion_date": day,
        "medicare_qio": True,
        "interim": {"followup_within_days": 10, "followup_date": day},
        "extension": {"until": day, "agreement": "Sample text"},
        "time_limit": {"limit_date": day, "proceeds": True, "reasons": "Sample text"},
        "request": {"department": "Sample department", "questions": "Sample text", "due_date": day},
        "account_excerpt": "Sample text",
    }
    for _values, sample in _registered:
        context.update(copy.deepcopy(sample))
    return context


@dataclass(frozen=True)
class ChecklistItem:
    """An element of a final response that the officer may give in their own words and confirm."""

    key: str  # "how_considered", "outcome", "actions", "issue:<pk>"
    label: str  # what the rule requires, for the officer
    recorded: str  # what the case records, shown beside the checkbox
    ready: bool  # the case records it (nothing to confirm otherwise)
    found: bool  # the letter carries the recorded words themselves
    confirmed: bool  # the officer confirmed the letter gives it in other words

    @property
    def met(self) -> bool:
        return self.ready and (self.found or self.confirmed)


def _first_line(value: str) -> str:
    return value.strip().splitlines()[0][:80] if value.strip() else ""


def response_checklist(letter: Letter) -> list[ChecklistItem]:
    """The substance of a final response: how the complaint was looked into, the conclusion on each issue, the
    overall outcome and the actions. An officer rewords these for the reader, so each is met when the letter
    carries the recorded words or when the officer has confirmed, element by element, that the letter gives it."""
    if letter.kind != LetterKind.FINAL_RESPONSE:
        return []
    case = letter.case
    us = case.site.policy_pack == "us_cms"
    text = _norm(plain_text(letter.body_html))
    confirmed = letter.confirmed_elements or {}

    def says(fragment: str) -> bool:
        return bool(fragment.strip()) and _norm(fragment) in text

    items = [
        ChecklistItem(
            "how_considered",
            "the steps taken to investigate (US-15)" if us else "how the complaint was considered (UK-7)",
            case.how_considered,
            bool(case.how_considered.strip()),
            says(_first_line(case.how_considered)),
            "how_considered" in confirmed,
        ),
        ChecklistItem(
            "outcome",
            "the results of the grievance process (US-15)" if us else "the overall conclusion (UK-7)",
            outcome_label(case.outcome, letter.language),
            bool(case.outcome),
            bool(case.outcome) and says(outcome_label(case.outcome, letter.language)),
            "outcome" in confirmed,
        ),
    ]
    for index, issue in enumerate(case.issues.order_by("pk"), start=1):
        outcome = issue.get_outcome_display() if issue.outcome else "no outcome recorded"
        items.append(
            ChecklistItem(
                f"issue:{issue.pk}",
                f"the finding and conclusion on issue {index} ({'US-15' if us else 'UK-7'})",
                f"{issue.summary} — {outcome}: {issue.finding or 'no finding recorded'}",
                bool(issue.finding.strip() and issue.outcome),
                says(issue.summary),
                f"issue:{issue.pk}" in confirmed,
            )
        )
    if not us:
        actions = list(case.promised_actions.all())
        upheld = case.outcome in (Outcome.UPHELD, Outcome.PARTLY_UPHELD)
        if actions or upheld:
            items.append(
                ChecklistItem(
                    "actions",
                    "confirmation of the actions taken or to be taken (UK-7)",
                    "; ".join(a.description for a in actions) or "no actions recorded",
                    bool(actions),
                    bool(actions) and all(says(a.description) for a in actions),
                    "actions" in confirmed,
                )
            )
    return items


def missing_elements(letter: Letter, *, signer: Any = None) -> list[str]:
    """Every element the law requires in a final response that this letter lacks, named for the officer.

    Names, contacts, dates and the ombudsman paragraph are checked in the text; the substance (see
    :func:`response_checklist`) must be recorded on the case, and either quoted or confirmed by the officer."""
    if letter.kind != LetterKind.FINAL_RESPONSE:
        return []
    case = letter.case
    site = case.site
    text = _norm(plain_text(letter.body_html))
    missing: list[str] = []

    def says(fragment: str) -> bool:
        return bool(fragment.strip()) and _norm(fragment) in text

    def formatted(day: date | None) -> list[str]:
        if day is None:
            return []
        with translation.override(letter.language):
            return [dateformat.format(day, fmt) for fmt in ("F j, Y", "j F Y", r"j \d\e F \d\e Y", "Y-m-d")]

    checklist = response_checklist(letter)
    issues = [item for item in checklist if item.key.startswith("issue:")]
    for item in checklist:
        if item.met or item.key.startswith("issue:"):
            continue
        missing.append(item.label if item.ready else f"{item.label}: record it on the case first")
    if not issues:
        missing.append("at least one issue with its finding and conclusion")
    elif not all(item.met for item in issues):
        unmet = [item for item in issues if not item.met]
        label = (
            "a result for every issue raised (US-15)"
            if site.policy_pack == "us_cms"
            else "the conclusions on every issue (UK-7)"
        )
        if any(not item.ready for item in unmet):
            label += ": record a finding and an outcome for every issue on the case first"
        missing.append(label)
    if site.policy_pack == "us_cms":
        if not says(site.complaints_contact_name):
            missing.append("the name of the hospital contact person (US-15)")
        if not any(says(text_date) for text_date in formatted(case.investigation_completed_on)):
            missing.append("the date of completion (US-15)")
        if needs_qio_paragraph(case) and not says(site.qio_name):
            missing.append("the QIO paragraph: the right to a Quality Improvement Organization review (US-11)")
        if not says(site.state_agency_name):
            missing.append("the State survey agency contact (US-18)")
    else:
        responsible = site.responsible_person
        if responsible is None or not says(responsible.full_name) or (signer is not None and signer != responsible):
            missing.append("signature by the site's responsible person (UK-7)")
        if PHSO_NAME.casefold() not in text:
            missing.append("the Ombudsman (PHSO) paragraph (UK-7)")
    return missing
