from django.urls import path

from liaison.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("p/<str:site_code>/info/", views.public_list, name="public-list"),
    path("p/<str:site_code>/info/<slug:key>/", views.public_detail, name="public-detail"),
    path("knowledge/", views.staff_list, name="staff-list"),
    path("knowledge/new/", views.article_new, name="staff-new"),
    path("knowledge/send/<str:reference>/", views.article_send, name="send"),
    path("knowledge/<int:pk>/", views.article_detail, name="staff-detail"),
    path("knowledge/<int:pk>/edit/", views.article_edit, name="staff-edit"),
]
