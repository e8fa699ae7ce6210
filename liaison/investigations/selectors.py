"""Investigators see only the requests sent to their departments (minimum necessary, HIPAA-13)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.http import Http404

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.investigations.models import InvestigationRequest, RequestStatus


def requests_for_investigator(*, user: User) -> QuerySet[InvestigationRequest]:
    if not can(user, Cap.REQUEST_ANSWER):
        return InvestigationRequest.objects.none()
    return InvestigationRequest.objects.filter(
        department__in=user.departments.all(), department__site_id__in=user.site_ids
    ).select_related("case", "case__site", "department")


def open_requests_for_investigator(*, user: User) -> QuerySet[InvestigationRequest]:
    return requests_for_investigator(user=user).filter(status=RequestStatus.OPEN).order_by("due_date", "pk")


def get_request_for_investigator(*, user: User, pk: int) -> InvestigationRequest:
    try:
        return requests_for_investigator(user=user).get(pk=pk)
    except InvestigationRequest.DoesNotExist:
        raise Http404("No such request") from None


@dataclass(frozen=True)
class CaseForInvestigator:
    """What the department's investigator may read about the case behind a request, as plain values.

    On a restricted case the patient's name, MRN and account are None unless the officer shared them
    when sending the request (``InvestigationRequest.identity_shared``).
    """

    reference: str
    received_date: date
    event_date: date | None
    restricted: bool
    identity_shared: bool
    patient_known: bool
    patient_name: str | None
    patient_mrn: str | None
    account: str | None


def case_for_investigator(*, item: InvestigationRequest) -> CaseForInvestigator:
    case = item.case
    shared = item.identity_shared
    return CaseForInvestigator(
        reference=case.reference,
        received_date=case.received_at.astimezone(case.site.zone).date(),
        event_date=case.event_date,
        restricted=case.restricted,
        identity_shared=shared,
        patient_known=case.patient_known,
        patient_name=case.patient_name if shared else None,
        patient_mrn=case.patient_mrn if shared else None,
        account=case.account if shared else None,
    )


def view_label(*, shown: CaseForInvestigator, api: bool = False) -> str:
    """How the audit trail names an investigator's view, so a restricted case's views can be found."""
    notes = ["API"] if api else []
    if shown.restricted:
        notes.append("restricted case, identity shared" if shown.identity_shared else "restricted case")
    return "investigation request" + (f" ({', '.join(notes)})" if notes else "")
