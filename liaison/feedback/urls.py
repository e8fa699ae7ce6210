from django.urls import path

from liaison.feedback import views

app_name = "feedback"

urlpatterns = [
    path("feedback/", views.dashboard, name="dashboard"),
    path("feedback/responses/", views.response_list, name="responses"),
    path("feedback/responses/<int:pk>/", views.response_detail, name="response"),
    path("feedback/surveys/", views.survey_list, name="surveys"),
    path("feedback/surveys/<int:pk>/", views.survey_detail, name="survey"),
    path("feedback/surveys/<int:pk>/poster.pdf", views.survey_poster, name="survey-poster"),
    path("s/<str:key>/", views.answer, name="answer"),
    path("s/<str:key>/thanks/", views.answer_thanks, name="answer-thanks"),
]
