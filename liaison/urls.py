from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.i18n import set_language

from liaison.api.v1 import api_urls


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: answers without touching the database."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and tools ask for /favicon.ico whatever the pages link to; send them to the icon."""
    response = HttpResponseRedirect(static("favicon.svg"))
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response


urlpatterns = [
    path("", include("liaison.home.urls")),
    path("accounts/", include("liaison.accounts.urls")),
    path("org/", include("liaison.org.urls")),
    path("cases/", include("liaison.cases.urls")),
    path("investigations/", include("liaison.investigations.urls")),
    path("letters/", include("liaison.correspondence.urls")),
    path("api/v1/", api_urls()),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("liaison.public.urls")),
    path("", include("liaison.knowledge.urls")),
    path("feedback/imports/", include("liaison.feedback.import_urls")),
    path("", include("liaison.feedback.urls")),
    path("", include("liaison.improvement.urls")),
    path("", include("liaison.hiring.urls")),
    path("insights/", include("liaison.insights.urls")),
    path("meetings/", include("liaison.meetings.urls")),
    path("advocacy/", include("liaison.advocacy.urls")),
    path("audit/", include("liaison.audit.urls")),
    path("retention/", include("liaison.retention.urls")),
    path("webhooks/", include("liaison.webhooks.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
]
