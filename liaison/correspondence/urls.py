from django.urls import path

from liaison.correspondence import views

app_name = "correspondence"

urlpatterns = [
    path("", views.letter_list, name="list"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/", views.template_edit, name="template-edit"),
    path("new/<str:reference>/", views.letter_new, name="new"),
    path("<int:pk>/", views.letter_detail, name="detail"),
    path("<int:pk>/edit/", views.letter_edit, name="edit"),
    path("<int:pk>/pdf/", views.letter_pdf, name="pdf"),
    path("<int:pk>/<slug:step>/", views.letter_step, name="step"),
]
