"""Everything under /insights/: the dashboards and drill-downs, the exports and the reports."""

from django.urls import include, path

app_name = "insights"

urlpatterns = [
    path("", include("liaison.insights.dashboard_urls")),
    path("exports/", include("liaison.insights.export_urls")),
    path("reports/", include("liaison.insights.report_urls")),
]
