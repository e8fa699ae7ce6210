from django.urls import path

from liaison.public import handling_views, views

app_name = "public"

urlpatterns = [
    path("p/<str:site_code>/", views.home, name="home"),
    path("p/<str:site_code>/tell-us/<slug:kind>/", views.form_step, name="form"),
    path("p/<str:site_code>/thank-you/", views.thanks, name="thanks"),
    path("p/<str:site_code>/progress/", views.progress, name="progress"),
    path("progress/<str:secret>/", views.progress_link, name="progress-link"),
    # Complainant satisfaction with how a complaint was handled (liaison/feedback/handling.py).
    path("how-we-did/", handling_views.handling_survey, name="handling"),
    path("how-we-did/thanks/", handling_views.handling_thanks, name="handling-thanks"),
    path("how-we-did/<str:code>/", handling_views.handling_link, name="handling-link"),
]
