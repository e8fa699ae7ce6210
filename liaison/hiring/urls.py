from django.urls import path

from liaison.hiring import panel_views, views

app_name = "hiring"

urlpatterns = [
    path("practice/", views.practice_home, name="practice"),
    path("practice/q/<slug:key>/", views.practice_question, name="question"),
    path("practice/answers/<int:pk>/", views.practice_attempt, name="attempt"),
    path("hiring/", panel_views.vacancy_list, name="vacancies"),
    path("hiring/<int:pk>/", panel_views.vacancy_detail, name="vacancy"),
    path("hiring/interviews/<int:pk>/", panel_views.interview_detail, name="interview"),
]
