"""URLs of the meetings app."""

from django.urls import path

from liaison.meetings import views

app_name = "meetings"

urlpatterns = [
    path("new/<str:reference>/", views.schedule, name="schedule"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/outcome/", views.outcome, name="outcome"),
    path("<int:pk>/meeting.ics", views.ics, name="ics"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/letter/", views.draft_letter, name="letter"),
    path("<int:pk>/participants/add/", views.participant_add, name="participant_add"),
    path("<int:pk>/participants/<int:participant>/remove/", views.participant_remove, name="participant_remove"),
]
