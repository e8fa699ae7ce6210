"""URLs of the advocacy app."""

from django.urls import path

from liaison.advocacy import views

app_name = "advocacy"

urlpatterns = [
    path("rules/", views.rules_settings, name="rules"),
    path("cases/<str:reference>/", views.appeal_page, name="appeal"),
    path("cases/<str:reference>/new/", views.appeal_new, name="new"),
    path("cases/<str:reference>/appeals/<int:pk>/<slug:step>/", views.appeal_step, name="step"),
    path("cases/<str:reference>/documents/<int:pk>/", views.document_download, name="document"),
]
