from django.urls import path

from liaison.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("new/", views.intake, name="intake"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/edit/", views.edit, name="edit"),
    path("<str:reference>/do/<slug:name>/", views.action, name="action"),
    path("<str:reference>/issues/<int:pk>/edit/", views.issue_edit, name="issue-edit"),
    path("<str:reference>/issues/<int:pk>/remove/", views.issue_remove, name="issue-remove"),
    path("<str:reference>/attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
