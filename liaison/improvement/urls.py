from django.urls import path

from liaison.improvement import views

app_name = "improvement"

urlpatterns = [
    path("improvements/", views.action_list, name="list"),
    path("improvements/new/", views.action_new, name="new"),
    path("improvements/<int:pk>/", views.action_detail, name="detail"),
    path("p/<str:site_code>/you-said-we-did/", views.you_said_we_did, name="you-said-we-did"),
]
