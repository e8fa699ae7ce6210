from django.urls import path

from liaison.home import views

app_name = "home"

urlpatterns = [path("", views.my_work, name="my-work")]
