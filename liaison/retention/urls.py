"""URLs of the retention app."""

from django.urls import path

from liaison.retention import views

app_name = "retention"

urlpatterns = [
    path("", views.index, name="index"),
    path("rules/", views.rule_save, name="rule-save"),
    path("automatic/", views.automatic_save, name="automatic-save"),
    path("holds/", views.holds, name="holds"),
    path("holds/release/", views.hold_release, name="hold-release"),
]
