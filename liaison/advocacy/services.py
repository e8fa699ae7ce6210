"""Every change to an appeal: checked, in one transaction, on the case timeline and in the audit trail."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can, require
from liaison.advocacy import rules
from liaison.advocacy.models import (
    Appeal,
    AppealOutcome,
    AppealStatus,
    DeadlineRule,
    Document,
    DocumentKind,
    PayerContact,
)
from liaison.advocacy.selectors import deadlines_for
from liaison.audit.services import audit_record, model_changes
from liaison.cases.models import Case, CaseType, TimelineKind
from liaison.cases.services import Change, change_case
from liaison.lib import sandbox
from liaison.lib.errors import ApplicationError
from liaison.lib.pdf import render_pdf
from liaison.lib.uploads import check_upload
from liaison.org.models import Site

APPEAL_FIELDS = (
    "org_name",
    "org_kind",
    "plan_type",
    "decision_received_on",
    "service",
    "amount",
    "reason_given",
    "urgency",
    "timing",
    "level",
    "filed_on",
)


def _require(user: User, site_id: int) -> None:
    require(user, Cap.ADVOCACY_WORK, site_id, what="work on advocacy appeals")


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, (date, datetime, Decimal)) else value


def _snapshot(appeal: Appeal) -> dict[str, Any]:
    return {
        f.attname: _plain(getattr(appeal, f.attname))
        for f in appeal._meta.concrete_fields
        if f.attname not in ("created_at", "updated_at")
    }


def _clean(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ApplicationError("; ".join(exc.messages), extra={"fields": exc.message_dict}) from exc


def _check_dates(appeal: Appeal) -> None:
    today = timezone.localdate()
    if appeal.decision_received_on and appeal.decision_received_on > today:
        raise ApplicationError("The date the decision was received cannot be in the future.")
    if appeal.filed_on and appeal.filed_on > today:
        raise ApplicationError("The filing date cannot be in the future.")
    if appeal.filed_on and appeal.decision_received_on and appeal.filed_on < appeal.decision_received_on:
        raise ApplicationError("An appeal cannot be filed before the decision it challenges was received.")


def _on_case(case: Case, *, acting_user: User, action: str, summary: str, details: dict[str, Any], work: Any) -> Any:
    """Do ``work`` inside the case's one change path: locked, on the timeline, audited, or not at all."""
    result: dict[str, Any] = {}

    def apply(locked: Case) -> Change:
        result["value"] = work(locked)
        return Change(summary, kind=TimelineKind.NOTE, details=details | {"appeal": result["value"].pk})

    change_case(case, acting_user=acting_user, action=action, apply=apply)
    return result["value"]


def appeal_record(*, acting_user: User, case: Case, **fields: Any) -> Appeal:
    """Record an appeal (or a complaint to an agency) on an advocacy case."""
    _require(acting_user, case.site_id)
    if case.case_type != CaseType.ADVOCACY:
        raise ApplicationError("Appeals are recorded on advocacy cases only. Change the case type first.")
    unknown = set(fields) - set(APPEAL_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown appeal fields: {', '.join(sorted(unknown))}.")
    appeal = Appeal(case=case, created_by=acting_user, **fields)
    if appeal.filed_on:
        appeal.status = AppealStatus.FILED
    _clean(appeal, exclude=["case", "created_by"])
    _check_dates(appeal)

    def work(locked: Case) -> Appeal:
        appeal.case = locked
        appeal.save()
        return appeal

    return _on_case(
        case,
        acting_user=acting_user,
        action="advocacy_appeal_record",
        summary=f"Appeal recorded: {appeal.get_level_display().lower()} with {appeal.org_name}",
        details={"after": _snapshot(appeal)},
        work=work,
    )


def appeal_update(*, acting_user: User, appeal: Appeal, **fields: Any) -> Appeal:
    """Change the facts of an appeal; recording a filing date moves a prepared appeal to filed."""
    case = appeal.case
    _require(acting_user, case.site_id)
    unknown = set(fields) - set(APPEAL_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown appeal fields: {', '.join(sorted(unknown))}.")
    if not appeal.is_open:
        raise ApplicationError("This appeal is decided; its facts can no longer change.")

    def work(locked: Case) -> Appeal:
        row = Appeal.objects.select_for_update().get(pk=appeal.pk)
        before = _snapshot(row)
        for name, value in fields.items():
            setattr(row, name, value)
        if row.filed_on and row.status == AppealStatus.PREPARING:
            row.status = AppealStatus.FILED
        if not row.filed_on and row.status == AppealStatus.FILED:
            row.status = AppealStatus.PREPARING
        _clean(row)
        _check_dates(row)
        row.save()
        work.changes = model_changes(before, _snapshot(row))  # type: ignore[attr-defined]
        return row

    with transaction.atomic():
        row = _on_case(
            case,
            acting_user=acting_user,
            action="advocacy_appeal_update",
            summary=f"Appeal with {appeal.org_name} changed",
            details={},
            work=work,
        )
        audit_record(
            action="advocacy.appeal_update",
            actor=acting_user,
            obj=row,
            site=case.site,
            details={"changes": work.changes},  # type: ignore[attr-defined]
        )
    appeal.refresh_from_db()
    return appeal


def contact_log(
    *, acting_user: User, appeal: Appeal, occurred_at: datetime, person: str, reference_number: str = "", said: str
) -> PayerContact:
    """Log one contact with the payer or agency: when, whom, their reference, what was said."""
    case = appeal.case
    _require(acting_user, case.site_id)
    if occurred_at > timezone.now():
        raise ApplicationError("A contact cannot be logged in the future.")
    contact = PayerContact(
        appeal=appeal,
        occurred_at=occurred_at,
        person=person.strip(),
        reference_number=reference_number.strip(),
        said=said.strip(),
        logged_by=acting_user,
    )
    _clean(contact, exclude=["appeal", "logged_by"])

    def work(locked: Case) -> Appeal:
        contact.save()
        return appeal

    _on_case(
        case,
        acting_user=acting_user,
        action="advocacy_contact",
        summary=f"Spoke with {contact.person} at {appeal.org_name}"
        + (f" (their reference {contact.reference_number})" if contact.reference_number else ""),
        details={"contact_person": contact.person, "reference_number": contact.reference_number},
        work=work,
    )
    return contact


def _store(
    appeal: Appeal, *, kind: str, name: str, content: bytes, content_type: str, text: str, user: User
) -> Document:
    digest = hashlib.sha256(content).hexdigest()
    document = Document(
        appeal=appeal,
        kind=kind,
        original_name=name[:255],
        content_type=content_type,
        size=len(content),
        sha256=digest,
        text=text,
        added_by=user,
    )
    document.file.save(f"{appeal.case.reference}-{kind}-{digest[:12]}", ContentFile(content), save=False)
    document.save()
    return document


def document_add(*, acting_user: User, appeal: Appeal, kind: str, upload: UploadedFile) -> Document:
    """Keep a denial letter, medical necessity letter or other paper on the appeal (checked like case files)."""
    case = appeal.case
    _require(acting_user, case.site_id)
    if kind not in DocumentKind.values:
        raise ApplicationError("Choose what kind of document this is.")
    content_type = check_upload(upload)
    upload.seek(0)
    content = upload.read()

    def work(locked: Case) -> Document:
        return _store(
            appeal,
            kind=kind,
            name=upload.name or "file",
            content=content,
            content_type=content_type,
            text="",
            user=acting_user,
        )

    return _on_case(
        case,
        acting_user=acting_user,
        action="advocacy_document",
        summary=f"{DocumentKind(kind).label} added to the appeal with {appeal.org_name}",
        details={"kind": kind, "sha256": hashlib.sha256(content).hexdigest()},
        work=work,
    )


DEFAULT_LETTER = (
    "Dear {{ organisation }},\n"
    "\n"
    'Re: appeal of your decision received on {{ decision_received_on|date:"j F Y" }}{% if '
    "their_reference %} (your reference {{ their_reference }}){% endif %}\n"
    "\n"
    "We write on behalf of {{ patient_name }} to ask you to review your decision about {{ service "
    "}}{% if amount %}, an amount of {{ currency }}{{ amount }}{% endif %}.\n"
    "\n"
    "{% if reason_given %}Your reason for the decision was: {{ reason_given }}\n"
    "\n"
    "{% endif %}{{ argument }}\n"
    "\n"
    "{% if expedited %}We ask for an expedited review: waiting for the standard timeframe could "
    "seriously harm the patient's health or ability to function.\n"
    "\n"
    "{% endif %}Please send your decision to {{ site_name }}, quoting our reference {{ "
    "case_reference }}.\n"
    "\n"
    "Yours sincerely,\n"
    "{{ officer_name }}\n"
    "{{ site_name }}"
)


def letter_context(appeal: Appeal, *, argument: str, officer: User) -> dict[str, Any]:
    """The plain values an appeal letter template may print (no model instances: the sandbox rule)."""
    case = appeal.case
    last_contact = appeal.contacts.exclude(reference_number="").first()
    return {
        "organisation": appeal.org_name,
        "decision_received_on": appeal.decision_received_on,
        "their_reference": last_contact.reference_number if last_contact else "",
        "patient_name": case.patient_name or case.complainant_name or "the patient",
        "service": appeal.service,
        "amount": appeal.amount,
        "currency": appeal.currency,
        "reason_given": appeal.reason_given,
        "argument": argument,
        "expedited": appeal.urgency == "expedited",
        "site_name": case.site.name,
        "case_reference": case.reference,
        "officer_name": officer.full_name,
        "level": appeal.get_level_display(),
    }


def appeal_letter_draft(
    *, acting_user: User, appeal: Appeal, argument: str, template: str = DEFAULT_LETTER
) -> Document:
    """Fill in the appeal letter, render it to PDF and keep both on the appeal as an appeal letter."""
    case = appeal.case
    _require(acting_user, case.site_id)
    if not argument.strip():
        raise ApplicationError("Say why the decision is wrong: the letter needs your argument.")
    # Plain text out (the PDF template escapes it once); the sandbox still sees only plain values.
    source = "{% autoescape off %}" + template + "{% endautoescape %}"
    text = sandbox.render(source, letter_context(appeal, argument=argument.strip(), officer=acting_user))
    pdf = render_pdf(
        "advocacy/appeal_letter_pdf.html",
        {
            "site_name": case.site.name,
            "case_reference": case.reference,
            "date": timezone.localdate(timezone.now(), case.site.zone),
            "paragraphs": [p for p in text.split("\n\n") if p.strip()],
        },
    )

    def work(locked: Case) -> Document:
        return _store(
            appeal,
            kind=DocumentKind.APPEAL_LETTER,
            name=f"{case.reference}-appeal-letter.pdf",
            content=pdf,
            content_type="application/pdf",
            text=text,
            user=acting_user,
        )

    return _on_case(
        case,
        acting_user=acting_user,
        action="advocacy_letter",
        summary=f"Appeal letter to {appeal.org_name} drafted",
        details={"sha256": hashlib.sha256(pdf).hexdigest()},
        work=work,
    )


def outcome_record(
    *, acting_user: User, appeal: Appeal, outcome: str, decision_on: date, amount_recovered: Decimal = Decimal("0")
) -> Appeal:
    """The payer's decision on the appeal (or its withdrawal) and what was recovered for the patient."""
    case = appeal.case
    _require(acting_user, case.site_id)
    if outcome not in AppealOutcome.values:
        raise ApplicationError("Choose an outcome: overturned, upheld, partly overturned or withdrawn.")
    if not appeal.is_open:
        raise ApplicationError("This appeal already has an outcome.")
    if decision_on > timezone.localdate():
        raise ApplicationError("The decision date cannot be in the future.")
    if decision_on < appeal.decision_received_on:
        raise ApplicationError("The appeal decision cannot come before the decision it challenges.")
    if amount_recovered < 0:
        raise ApplicationError("The amount recovered cannot be negative.")
    if outcome in (AppealOutcome.UPHELD, AppealOutcome.WITHDRAWN) and amount_recovered:
        raise ApplicationError("Nothing is recovered when the denial is upheld or the appeal withdrawn.")
    if appeal.amount is not None and amount_recovered > appeal.amount:
        raise ApplicationError("The amount recovered cannot be more than the amount at stake.")

    def work(locked: Case) -> Appeal:
        row = Appeal.objects.select_for_update().get(pk=appeal.pk)
        row.outcome, row.decision_on, row.amount_recovered = outcome, decision_on, amount_recovered
        row.status = AppealStatus.WITHDRAWN if outcome == AppealOutcome.WITHDRAWN else AppealStatus.DECIDED
        _clean(row)
        row.save()
        return row

    _on_case(
        case,
        acting_user=acting_user,
        action="advocacy_outcome",
        summary=f"Appeal with {appeal.org_name}: {AppealOutcome(outcome).label.lower()}",
        details={"outcome": outcome, "decision_on": str(decision_on), "amount_recovered": str(amount_recovered)},
        work=work,
    )
    appeal.refresh_from_db()
    return appeal


def _decision_due(appeal: Appeal) -> date | None:
    return next((d.due for d in deadlines_for(appeal) if d.key == "decide"), None)


def extension_record(*, acting_user: User, appeal: Appeal, days: int, reason: str, notified_on: date) -> Appeal:
    """The plan took more time to decide (INS-4): up to 14 calendar days, with its reason and the day the
    patient was told. The decision-due date moves by that many days."""
    case = appeal.case
    _require(acting_user, case.site_id)
    if appeal.plan_type not in rules.EXTENSION_PLANS:
        raise ApplicationError(
            f"RULES.md gives an extension rule ({rules.EXTENSION_RULE_ID}) for Medicaid managed care appeals only."
        )
    if not appeal.is_open or appeal.status != AppealStatus.FILED:
        raise ApplicationError("Only a filed appeal still waiting for a decision can be extended.")
    if appeal.extension_days:
        raise ApplicationError(
            f"An extension of {appeal.extension_days} days is already recorded; "
            f"{rules.EXTENSION_RULE_ID} allows one of up to {rules.EXTENSION_MAX_DAYS} calendar days."
        )
    if not 1 <= days <= rules.EXTENSION_MAX_DAYS:
        raise ApplicationError(
            f"The plan may extend by at most {rules.EXTENSION_MAX_DAYS} calendar days "
            f"({rules.EXTENSION_RULE_ID}, {rules.EXTENSION_SOURCE}); {days} is not allowed."
        )
    if not reason.strip():
        raise ApplicationError("Say what reason the plan gave for the extension.")
    if notified_on > timezone.localdate():
        raise ApplicationError("The date the patient was told cannot be in the future.")
    if appeal.filed_on and notified_on < appeal.filed_on:
        raise ApplicationError("The patient cannot have been told of an extension before the appeal was filed.")
    before = _decision_due(appeal)
    if before is None:
        raise ApplicationError("This appeal has no decision-due date to extend: set the rule's number first.")

    def work(locked: Case) -> Appeal:
        row = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if row.extension_days:
            raise ApplicationError("An extension is already recorded on this appeal.")
        row.extension_days, row.extension_reason, row.extension_notified_on = days, reason.strip()[:500], notified_on
        _clean(row)
        row.save()
        return row

    row = _on_case(
        case,
        acting_user=acting_user,
        action="advocacy_extension",
        summary=f"Appeal with {appeal.org_name}: the plan extended the decision by {days} days "
        f"({rules.EXTENSION_RULE_ID})",
        details={
            "rule_id": rules.EXTENSION_RULE_ID,
            "days": days,
            "notified_on": str(notified_on),
            "decision_due_before": str(before),
            "decision_due_after": str(before + timedelta(days=days)),
        },
        work=work,
    )
    appeal.refresh_from_db()
    return row


def expedited_refusal_record(*, acting_user: User, appeal: Appeal, refused_on: date) -> Appeal:
    """The plan refused to review the appeal on the expedited timeframe (INS-3): the decision moves to the
    standard timeframe."""
    case = appeal.case
    _require(acting_user, case.site_id)
    if appeal.plan_type not in rules.REFUSAL_PLANS:
        raise ApplicationError(
            f"RULES.md gives the expedited refusal rule ({rules.REFUSAL_RULE_ID}) for Medicaid managed care "
            "appeals only."
        )
    if appeal.urgency != "expedited":
        raise ApplicationError("This appeal did not ask for an expedited review.")
    if not appeal.is_open or appeal.status != AppealStatus.FILED:
        raise ApplicationError("Record the filing date first: only a filed, undecided appeal can be refused.")
    if appeal.expedited_refused_on:
        raise ApplicationError("A refusal of the expedited review is already recorded on this appeal.")
    if refused_on > timezone.localdate():
        raise ApplicationError("The date of the refusal cannot be in the future.")
    if appeal.filed_on and refused_on < appeal.filed_on:
        raise ApplicationError("The plan cannot refuse an expedited review before the appeal was filed.")
    before = _decision_due(appeal)

    def work(locked: Case) -> Appeal:
        row = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if row.expedited_refused_on:
            raise ApplicationError("A refusal of the expedited review is already recorded on this appeal.")
        row.expedited_refused_on = refused_on
        row.save()
        work.after = _decision_due(row)  # type: ignore[attr-defined]
        return row

    with transaction.atomic():
        row = _on_case(
            case,
            acting_user=acting_user,
            action="advocacy_expedited_refused",
            summary=f"Appeal with {appeal.org_name}: expedited review refused, moved to the standard timeframe "
            f"({rules.REFUSAL_RULE_ID})",
            details={
                "rule_id": rules.REFUSAL_RULE_ID,
                "refused_on": str(refused_on),
                "decision_due_before": str(before),
            },
            work=work,
        )
        audit_record(
            action="advocacy.expedited_refused",
            actor=acting_user,
            obj=row,
            site=case.site,
            details={
                "rule_id": rules.REFUSAL_RULE_ID,
                "refused_on": str(refused_on),
                "decision_due_before": str(before),
                "decision_due_after": str(work.after),  # type: ignore[attr-defined]
            },
        )
    appeal.refresh_from_db()
    return row


def can_set_rules(user: User, site_id: int) -> bool:
    return can(user, Cap.ADVOCACY_WORK, site_id) and can(user, Cap.OVERSEE, site_id)


def rule_set(*, acting_user: User, site: Site, key: str, amount: int, unit: str, reason: str) -> DeadlineRule:
    """A manager sets the site's own number for one deadline rule; audited with before and after."""
    if not can_set_rules(acting_user, site.pk):
        raise ApplicationError("Only a manager at this site can change the deadline rules.")
    try:
        spec = rules.spec_for(key)
    except KeyError:
        raise ApplicationError("There is no such deadline rule.") from None
    if unit not in rules.UNITS:
        raise ApplicationError(f"Choose how to count: {', '.join(rules.UNITS.values())}.")
    if not 1 <= amount <= 3650:
        raise ApplicationError("The number must be between 1 and 3650.")
    if not reason.strip():
        raise ApplicationError("Say why this site uses a different number (for example, the state's own limit).")
    with transaction.atomic():
        existing = DeadlineRule.objects.select_for_update().filter(site=site, key=key).first()
        before = (
            {"amount": existing.amount, "unit": existing.unit}
            if existing
            else {
                "amount": spec.amount,
                "unit": spec.unit,
            }
        )
        row = existing or DeadlineRule(site=site, key=key)
        row.amount, row.unit, row.reason, row.set_by = amount, unit, reason.strip()[:300], acting_user
        _clean(row, exclude=["site", "set_by"])
        row.save()
        audit_record(
            action="advocacy.rule_set",
            actor=acting_user,
            obj=row,
            site=site,
            details={"key": key, "rule_id": spec.rule_id, "before": before, "after": {"amount": amount, "unit": unit}},
        )
    return row


def rule_reset(*, acting_user: User, site: Site, key: str) -> None:
    """Go back to the number in RULES.md (or to none)."""
    if not can_set_rules(acting_user, site.pk):
        raise ApplicationError("Only a manager at this site can change the deadline rules.")
    with transaction.atomic():
        row = DeadlineRule.objects.select_for_update().filter(site=site, key=key).first()
        if row is None:
            raise ApplicationError("This rule already uses its default.")
        audit_record(
            action="advocacy.rule_reset",
            actor=acting_user,
            obj=row,
            site=site,
            details={"key": key, "before": {"amount": row.amount, "unit": row.unit}},
        )
        row.delete()
