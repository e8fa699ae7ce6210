"""The reports: a page to choose one, and its download (GET, so that an email can link to it)."""

from django.urls import path

from liaison.insights import report_views

urlpatterns = [
    path("", report_views.reports_index, name="reports"),
    path("download/", report_views.report_download, name="report_download"),
]
