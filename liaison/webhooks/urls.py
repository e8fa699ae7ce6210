from django.urls import path

from liaison.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.subscriptions, name="list"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/active/", views.subscription_active, name="active"),
    path("<int:pk>/delete/", views.subscription_delete_view, name="delete"),
    path("deliveries/<uuid:pk>/", views.delivery_detail, name="delivery"),
    path("deliveries/<uuid:pk>/resend/", views.delivery_resend_view, name="resend"),
]
