"""Download views: the worklist as CSV or XLSX, with the worklist's own filters and permissions."""

from __future__ import annotations

from dataclasses import asdict

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.cases import selectors
from liaison.cases.forms import WorklistForm
from liaison.cases.views import recall_search
from liaison.insights.exports import case_header, case_rows, download_response
from liaison.lib.dbrouter import reads_from_replica


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@require_GET
@reads_from_replica
def export_cases(request: HttpRequest, fmt: str) -> StreamingHttpResponse | FileResponse | HttpResponse:
    """The worklist's cases, every page of them, for whoever may see that worklist and export."""
    user = _user(request)
    if not (can(user, Cap.CASE_READ) and can(user, Cap.INSIGHTS_EXPORT)):
        raise Http404
    data = request.GET
    search_id = (data.get("search") or "")[:20]
    search_text = recall_search(request, search_id) if search_id else None
    back = QueryDict(mutable=True)
    for name in WorklistForm.FILTERS:
        if name in data:
            back[name] = data[name]
    if search_id and search_text is None:
        # The worklist falls back to every case; a download must not hand over more than the user asked for.
        back_url = f"{reverse('cases:worklist')}?{back.urlencode()}"
        return render(request, "insights/exports/search_expired.html", {"back_url": back_url}, status=410)
    filters = WorklistForm(data, user=user).filters(search_text)
    cases = selectors.worklist(user=user, filters=filters)
    identity = selectors.can_see_identity(user)
    # The validated values ("" is "any"), not the raw parameters: nothing a user typed reaches the trail.
    chosen = {name.rstrip("_"): value for name, value in asdict(filters).items() if name != "q"}
    count = cases.count()
    return download_response(
        request,
        filename="liaison-cases",
        fmt=fmt,
        header=case_header(identity=identity),
        rows=case_rows(cases, identity=identity),
        audit_action="export.cases",
        audit_object_type="cases.case",
        audit_details={
            "via": "worklist",
            "filters": chosen,
            "search": bool(search_text),  # that words narrowed it, never the words
            "identity": identity,
            "rows": count,
        },
        sheet_title="Cases",
        rows_expected=count,
    )
