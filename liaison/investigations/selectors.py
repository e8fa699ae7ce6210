"""Investigators see only the requests sent to their departments (minimum necessary, HIPAA-13)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from liaison.accounts.models import Role, User
from liaison.investigations.models import InvestigationRequest, RequestStatus


def requests_for_investigator(*, user: User) -> QuerySet[InvestigationRequest]:
    if not user.has_role(Role.INVESTIGATOR):
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
