from django.urls import path

from liaison.org import views

app_name = "org"

urlpatterns = [
    path("", views.site_list, name="site-list"),
    path("sites/<str:code>/", views.site_detail, name="site-detail"),
    path("sites/<str:code>/patient-records/", views.site_fhir, name="site-fhir"),
    path("sites/<str:code>/staff/", views.staff_directory, name="staff-directory"),
    path("sites/<str:code>/poster.pdf", views.site_poster, name="site-poster"),
    path("departments/<int:pk>/poster.pdf", views.department_poster, name="department-poster"),
    path("sites/<str:code>/departments/new/", views.department_create, name="department-create"),
    path("departments/<int:pk>/", views.department_detail, name="department-detail"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department-edit"),
]
