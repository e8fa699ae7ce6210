from django.urls import path

from liaison.investigations import views

app_name = "investigations"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/evidence/<int:evidence_pk>/", views.evidence_download, name="evidence"),
    path("case/<str:reference>/new/", views.request_new, name="new"),
    path("case/<str:reference>/<int:pk>/<slug:action>/", views.request_manage, name="manage"),
]
