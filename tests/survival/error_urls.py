"""Two pages with a bug in them, for test_database_full_or_read_only: a bug must stay a 500, never become the
"try again later" page."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from liaison.accounts.models import User


def duplicate_user(request: HttpRequest) -> HttpResponse:
    existing = User.objects.order_by("pk").first()
    assert existing is not None
    User.objects.create(email=existing.email, full_name="A second account with the same address")
    return HttpResponse("saved")


def missing_table(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM a_table_no_migration_made")
    return HttpResponse("counted")


urlpatterns = [
    path("duplicate-user/", duplicate_user),
    path("missing-table/", missing_table),
]
