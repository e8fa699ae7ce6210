from django.urls import path

from liaison.feedback import import_views as views

app_name = "feedback_import"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("uploads/<str:stored>/mapping/", views.mapping, name="mapping"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job-progress"),
    path("jobs/<int:pk>/resume/", views.job_resume, name="job-resume"),
    path("jobs/<int:pk>/rejected-rows.csv", views.rejections_csv, name="rejections-csv"),
    path("sites/<str:code>/feedback.csv", views.export, name="export"),
]
