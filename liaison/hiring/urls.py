from django.urls import path

from liaison.hiring import views

app_name = "hiring"

urlpatterns = [
    path("practice/", views.practice_home, name="practice"),
    path("practice/q/<slug:key>/", views.practice_question, name="question"),
    path("practice/answers/<int:pk>/", views.practice_attempt, name="attempt"),
]
