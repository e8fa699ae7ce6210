from __future__ import annotations

import segno
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.audit.services import audit_record
from liaison.lib.emails import site_url
from liaison.lib.errors import ApplicationError
from liaison.lib.pdf import render_pdf
from liaison.org import selectors, services
from liaison.org.fhir import has_secret, secret_variable
from liaison.org.forms import DepartmentForm, SiteFhirForm
from liaison.org.models import Department, Site


def _user(request: HttpRequest) -> User:
    if not request.user.is_authenticated:
        raise Http404
    return request.user


def site_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can(user, Cap.ORG_READ):
        raise Http404
    sites = selectors.sites_for_user(user=user).prefetch_related("departments")
    return render(request, "org/site_list.html", {"sites": sites})


def site_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    site = selectors.get_site_for_user(user=user, code=code)
    departments = site.departments.prefetch_related("leads").order_by("name")
    return render(
        request,
        "org/site_detail.html",
        {
            "site": site,
            "departments": departments,
            "can_edit": selectors.user_can_edit_site(user=user, site=site),
            "can_admin": can(user, Cap.ADMIN),
        },
    )


def staff_directory(request: HttpRequest, code: str) -> HttpResponse:
    site = selectors.get_site_for_user(user=_user(request), code=code)
    # PostgreSQL refuses a NUL byte in a text parameter; no name holds one, so it is dropped.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    page = Paginator(selectors.staff_directory(site=site, query=query), 50).get_page(request.GET.get("page"))
    return render(request, "org/staff_directory.html", {"site": site, "page": page, "query": query})


def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    department = selectors.get_department_for_user(user=user, pk=pk)
    return render(
        request,
        "org/department_detail.html",
        {
            "department": department,
            "leads": department.leads.order_by("full_name"),
            "staff": department.staff.filter(is_active=True).order_by("full_name"),
            "can_edit": selectors.user_can_edit_site(user=user, site=department.site),
        },
    )


def department_create(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    site = selectors.get_site_for_user(user=user, code=code)
    if not selectors.user_can_edit_site(user=user, site=site):
        raise Http404
    form = DepartmentForm(request.POST or None, site=site)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(
                acting_user=user,
                site=site,
                name=form.cleaned_data["name"],
                code=form.cleaned_data["code"],
                leads=form.cleaned_data["leads"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Department “{department.name}” added.")
            return redirect("org:department-detail", pk=department.pk)
    return render(request, "org/department_form.html", {"form": form, "site": site, "department": None})


def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    department = selectors.get_department_for_user(user=user, pk=pk)
    if not selectors.user_can_edit_site(user=user, site=department.site):
        raise Http404
    initial = {
        "name": department.name,
        "code": department.code,
        "leads": department.leads.all(),
        "is_active": department.is_active,
    }
    form = DepartmentForm(request.POST or None, site=department.site, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.department_update(acting_user=user, department=department, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Department saved.")
            return redirect("org:department-detail", pk=department.pk)
    return render(
        request, "org/department_form.html", {"form": form, "site": department.site, "department": department}
    )


def _poster(request: HttpRequest, site: Site, department: Department | None) -> HttpResponse:
    url = site_url(reverse("public:form", args=[site.code, "complaint"]))
    if department is not None:
        url += f"?department={department.pk}"
    qr_svg = segno.make(url, error="m").svg_inline(scale=10, title="QR code")
    pdf = render_pdf("org/poster_pdf.html", {"site": site, "department": department, "url": url, "qr_svg": qr_svg})
    audit_record(action="poster.print", actor=_user(request), obj=department or site, site=site)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"poster-{site.code}{'-' + (department.code or str(department.pk)) if department else ''}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def site_poster(request: HttpRequest, code: str) -> HttpResponse:
    site = selectors.get_site_for_user(user=_user(request), code=code)
    return _poster(request, site, None)


def department_poster(request: HttpRequest, pk: int) -> HttpResponse:
    department = selectors.get_department_for_user(user=_user(request), pk=pk)
    return _poster(request, department.site, department)


def site_fhir(request: HttpRequest, code: str) -> HttpResponse:
    """An administrator's settings of the site's patient record system, with a connection test."""
    user = _user(request)
    if not can(user, Cap.ADMIN):
        raise Http404
    site = selectors.get_site_for_user(user=user, code=code)
    form = SiteFhirForm(request.POST or None, initial={name: getattr(site, name) for name in services.FHIR_FIELDS})
    if request.method == "POST" and "check" in request.POST:
        # The test uses the settings as saved, so what it proves is what officers will get.
        form = SiteFhirForm(initial={name: getattr(site, name) for name in services.FHIR_FIELDS})
        try:
            said = services.site_fhir_check(acting_user=user, site=site)
        except ApplicationError as exc:
            messages.error(request, f"The connection test failed. {exc.message}")
        else:
            messages.success(request, f"The connection works: {said}")
        return redirect("org:site-fhir", code=site.code)
    if request.method == "POST" and form.is_valid():
        try:
            services.site_fhir_update(acting_user=user, site=site, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Patient record settings saved.")
            return redirect("org:site-fhir", code=site.code)
    return render(
        request,
        "org/site_fhir.html",
        {"site": site, "form": form, "secret_variable": secret_variable(site), "has_secret": has_secret(site)},
    )
