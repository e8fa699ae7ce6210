from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from liaison.accounts.permissions import Cap, can
from liaison.audit.forms import AuditSearchForm
from liaison.audit.sealing import seal_pending
from liaison.audit.selectors import audit_search
from liaison.audit.services import audit_record
from liaison.lib.csvsafe import csv_rows

EXPORT_HEADER = [
    "seq",
    "time_utc",
    "user",
    "action",
    "object_type",
    "object_id",
    "site_id",
    "ip_address",
    "user_agent",
    "details",
    "hash",
]


def _require_auditor(request: HttpRequest) -> None:
    if not can(request.user, Cap.AUDIT_READ):  # type: ignore[arg-type]
        raise Http404


def _filters(request: HttpRequest) -> tuple[AuditSearchForm, dict[str, Any]]:
    form = AuditSearchForm(request.GET or None)
    return form, (form.cleaned_data if form.is_valid() else {})


def search(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    seal_pending(wait=False)  # so that the newest events show their places in the chain
    form, filters = _filters(request)
    page = Paginator(audit_search(filters=filters).select_related("site"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/search.html", {"form": form, "page": page, "query": query.urlencode()})


def export(request: HttpRequest) -> StreamingHttpResponse:
    _require_auditor(request)
    form, filters = _filters(request)
    if request.GET and not form.is_valid():
        raise Http404
    seal_pending(wait=False)
    events = audit_search(filters=filters)
    audit_record(
        action="audit.export",
        actor=request.user,
        object_type="audit.auditevent",
        details={"filters": {k: v for k, v in filters.items() if v}, "rows": events.count()},
    )

    def rows() -> Iterator[list[Any]]:
        for e in events.iterator(chunk_size=2000):
            yield [
                "" if e.seq is None else e.seq,
                e.occurred_at.isoformat(),
                e.actor_email,
                e.action,
                e.object_type,
                e.object_id,
                e.site_id or "",
                e.ip_address or "",
                e.user_agent,
                e.details,
                e.hash or "",
            ]

    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(csv_rows(EXPORT_HEADER, rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="liaison-audit-{stamp}.csv"'
    return response
