"""The reports page and the download behind it (a GET, so that a scheduled email can link to a report).

A report or site the reader may not produce is a 404, as for any object they may not see. Each visit to the
page and each download is audited; what the download holds is built by ``reports.produce``.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone

from liaison.accounts.models import User
from liaison.audit.services import audit_record
from liaison.insights.reports import KINDS
from liaison.insights.reports.base import (
    ReportKind,
    ReportRefused,
    last_financial_year,
    last_full_month,
    period_words,
)
from liaison.insights.reports.forms import ReportForm
from liaison.insights.reports.produce import (
    kinds_for,
    may_produce,
    reader_sites,
    report_produce,
    usual_period,
)
from liaison.lib.dbrouter import reads_from_replica
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _in_a_sentence(title: str) -> str:
    return title if title[:2].isupper() else title[0].lower() + title[1:]


def _usual_words(sites: list[Site], kinds: list[ReportKind]) -> str:
    today = timezone.localdate(timezone.now(), sites[0].zone) if sites else timezone.localdate()
    words = f"Leave both dates empty for the usual period: the last full month ({period_words(last_full_month(today))})"
    yearly = [_in_a_sentence(kind.title) for kind in kinds if kind.default_period == "financial_year"]
    if yearly:
        words += f"; for the {' and the '.join(yearly)}, the last financial year"
        words += f" ({period_words(last_financial_year(today))})"
    return words + "."


def _page(
    request: HttpRequest, form: ReportForm, *, status: int = 200, refused: ReportRefused | None = None
) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "insights/reports/index.html",
        {"form": form, "kinds": kinds_for(user), "refused": refused},
        status=status,
    )


def _form(request: HttpRequest, data: QueryDict | None = None) -> ReportForm:
    user = _user(request)
    sites, kinds = list(reader_sites(user)), kinds_for(user)
    return ReportForm(data, kinds=kinds, sites=sites, usual=_usual_words(sites, kinds))


def reports_index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not kinds_for(user):
        raise Http404
    audit_record(action="report.view", actor=user, object_type="report", details={"page": "reports"})
    return _page(request, _form(request))


@reads_from_replica
def report_download(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not kinds_for(user):
        raise Http404
    # A site or report the reader may not produce is not there for them: 404 before any validation.
    sites = {site.code: site for site in reader_sites(user)}
    site_code, kind_key = request.GET.get("site", ""), request.GET.get("kind", "")
    if site_code and site_code not in sites:
        raise Http404
    if site_code and kind_key in KINDS and not may_produce(user, KINDS[kind_key], sites[site_code]):
        raise Http404
    form = _form(request, request.GET)
    if not form.is_valid():
        return _page(request, form, status=400)
    site, kind = sites[form.cleaned_data["site"]], KINDS[form.cleaned_data["kind"]]
    period = form.chosen_period() or usual_period(kind, site)
    try:
        produced = report_produce(
            acting_user=user,
            kind=kind.key,
            site=site,
            period=period,
            fmt=form.cleaned_data["format"],
            table=form.cleaned_data["table"],
        )
    except ReportRefused as refused:
        return _page(request, form, status=409, refused=refused)
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _page(request, form, status=400)
    response = HttpResponse(produced.content, content_type=produced.content_type)
    response["Content-Disposition"] = f'attachment; filename="{produced.filename}"'
    return response
