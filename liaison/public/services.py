"""Turning a public submission into a case in the site's triage queue, and checking progress safely."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.permissions import Cap, users_with
from liaison.audit.services import audit_record
from liaison.cases import rules
from liaison.cases.models import Attachment, Case, CaseType, Channel, ConsentMethod, Status
from liaison.cases.services import case_add_attachment, case_open_by_system
from liaison.lib.emails import send_templated, site_url
from liaison.lib.errors import ApplicationError
from liaison.lib.ratelimit import allow, key_for
from liaison.org.models import Department, Site
from liaison.public.models import PublicAccess
from liaison.reminders.models import ReminderLog

KIND_TO_TYPE = {"complaint": CaseType.COMPLAINT, "compliment": CaseType.COMPLIMENT, "question": CaseType.ENQUIRY}
_SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I to misread


def _hash_secret(secret: str) -> str:
    normalised = secret.upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(f"liaison-progress:{normalised}".encode()).hexdigest()


def new_secret() -> str:
    raw = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


@dataclass(frozen=True)
class Submitted:
    case: Case
    secret: str
    files_refused: int


class FloodError(ApplicationError):
    """Too many submissions: the office is alerted and the person asked to try again or phone."""


def _alert_flood(site: Site, hour: str) -> None:
    managers = sorted(users_with(Cap.OVERSEE, site).values_list("email", flat=True))
    try:
        with transaction.atomic():
            ReminderLog.objects.create(
                kind="public_flood",
                object_type="org.site",
                object_id=str(site.pk),
                occurrence=hour,
                recipients=", ".join(managers),
            )
            send_templated("public_flood", {"site": site, "hour": hour}, to=managers)
    except IntegrityError:
        pass  # already alerted this hour


def submission_allowed(site: Site, client: str) -> None:
    """Per-address and per-site limits; a flood alerts the site's managers (once an hour)."""
    if not allow("submit-ip", client, limit=settings.LIAISON_PUBLIC_SUBMISSIONS_PER_ADDRESS, window=timedelta(hours=1)):
        raise FloodError("too_many_from_address")
    if not allow(
        "submit-site", key_for(site.code), limit=settings.LIAISON_PUBLIC_SUBMISSIONS_PER_SITE, window=timedelta(hours=1)
    ):
        _alert_flood(site, timezone.now().strftime("%Y-%m-%dT%H"))
        raise FloodError("too_many_for_site")


def _uploads_today(site: Site) -> int:
    start = timezone.now() - timedelta(days=1)
    total = Attachment.objects.filter(case__site=site, uploaded_by__isnull=True, uploaded_at__gte=start).aggregate(
        t=Sum("size")
    )["t"]
    return int(total or 0)


def public_submit(*, site: Site, kind: str, answers: dict[str, Any], files: list[Any], language: str) -> Submitted:
    """Create the case (channel web form, received now, unassigned) and the progress secret; email the confirmation."""
    what, who, contact = answers.get("what", {}), answers.get("who", {}), answers["contact"]
    about_someone = who.get("about") == "someone"
    department = (
        Department.objects.filter(pk=what.get("department"), site=site).first() if what.get("department") else None
    )
    case_type = KIND_TO_TYPE[kind]
    if kind == "complaint" and what.get("informal"):
        case_type = CaseType.CONCERN
    patient_name = who.get("patient_name") or ("" if about_someone else contact["name"])
    fields: dict[str, Any] = {
        "event_date": date.fromisoformat(what["happened_on"]) if what.get("happened_on") else None,
        "account": what.get("what", ""),
        "desired_outcome": answers.get("outcome", {}).get("outcome", ""),
        "patient_known": bool(patient_name),
        "patient_name": patient_name,
        "patient_dob": date.fromisoformat(who["patient_dob"]) if who.get("patient_dob") else None,
        "complainant_is_patient": not about_someone,
        "preferred_language": contact.get("language") or language,
        "interpreter_needed": bool(contact.get("interpreter")),
        "accessibility_needs": contact.get("accessibility", ""),
        "reported_department": department,
        "requested_formal_or_response": kind == "complaint" and not what.get("informal"),
    }
    if about_someone:
        fields.update(
            complainant_name=contact["name"],
            complainant_relationship=who.get("relationship", ""),
            complainant_email=contact.get("email", ""),
            complainant_phone=contact.get("phone", ""),
            consent_method=ConsentMethod.WEB_STATEMENT if who.get("consent") else ConsentMethod.NOT_YET,
            consent_date=timezone.localdate() if who.get("consent") else None,
        )
    else:
        fields.update(patient_email=contact.get("email", ""), patient_phone=contact.get("phone", ""))
    secret = new_secret()
    refused = 0
    with transaction.atomic():
        case = case_open_by_system(
            site=site,
            case_type=case_type,
            channel=Channel.WEB_FORM,
            received_at=timezone.now(),
            source="web form",
            **fields,
        )
        PublicAccess.objects.create(case=case, secret_hash=_hash_secret(secret))
        budget = settings.LIAISON_PUBLIC_DAILY_UPLOAD_MB * 1024 * 1024 - _uploads_today(site)
        for upload in files:
            if upload.size > budget:
                refused += 1
                continue
            case_add_attachment(acting_user=None, case=case, upload=upload)
            budget -= upload.size
        audit_record(
            action="public.submit",
            obj=case,
            site=site,
            details={"kind": kind, "files": len(files) - refused, "files_refused": refused},
        )
        email = contact.get("email")
        if email:
            context = {
                "site": site,
                "reference": case.reference,
                "secret": secret,
                "kind": kind,
                "progress_url": site_url(reverse("public:progress-link", args=[secret])),
                "name": contact["name"],
            }
            transaction.on_commit(
                lambda: send_templated(f"public_confirmation_{fields['preferred_language']}", context, to=[email])
            )
    return Submitted(case=case, secret=secret, files_refused=refused)


# -- Progress checks ---------------------------------------------------------------------------------------

PUBLIC_STAGES = {
    Status.NEW: "received",
    Status.ACKNOWLEDGED: "acknowledged",
    Status.UNDER_INVESTIGATION: "investigating",
    Status.RESPONSE_DRAFTED: "investigating",
    Status.RESPONDED: "responded",
    Status.CLOSED: "closed",
    Status.WITHDRAWN: "withdrawn",
    Status.REFERRED: "referred",
}


@dataclass(frozen=True)
class Progress:
    """Only what the complainant may see: never the account, the findings or anyone's name but the office's."""

    reference: str
    site: Site
    stage: str
    received: date
    acknowledged: date | None
    response_due: date | None
    responded: date | None


def _progress(case: Case) -> Progress:
    zone = case.site.zone
    due = None
    for clock in rules.running_clocks(case):
        if clock.key in ("respond", "final_response", "interim_notice"):
            due = timezone.localdate(clock.due, zone)
            break
    return Progress(
        reference=case.reference,
        site=case.site,
        stage=PUBLIC_STAGES[Status(case.status)],
        received=timezone.localdate(case.received_at, zone),
        acknowledged=timezone.localdate(case.acknowledged_at, zone) if case.acknowledged_at else None,
        response_due=due,
        responded=timezone.localdate(case.responded_at, zone) if case.responded_at else None,
    )


def progress_lookup(*, reference: str, secret: str, site: Site | None = None) -> Progress | None:
    """The same None for an unknown reference and for a wrong secret, so neither can be guessed."""
    access = PublicAccess.objects.select_related("case", "case__site").filter(secret_hash=_hash_secret(secret)).first()
    if access is None or (reference and access.case.reference != reference.strip().upper()):
        return None
    if site is not None and access.case.site_id != site.pk:
        return None
    case = access.case
    if case.merged_into_id:
        case = Case.objects.select_related("site").get(pk=case.merged_into_id)
    audit_record(action="public.progress_check", obj=case, site=case.site)
    return _progress(case)
