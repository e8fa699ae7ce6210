from django.urls import path

from liaison.public import views

app_name = "public"

urlpatterns = [
    path("p/<str:site_code>/", views.home, name="home"),
    path("p/<str:site_code>/tell-us/<slug:kind>/", views.form_step, name="form"),
    path("p/<str:site_code>/thank-you/", views.thanks, name="thanks"),
    path("p/<str:site_code>/progress/", views.progress, name="progress"),
    path("progress/<str:secret>/", views.progress_link, name="progress-link"),
]
