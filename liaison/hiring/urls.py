from django.urls import path

from liaison.hiring import drill_views, panel_views, views

app_name = "hiring"

urlpatterns = [
    path("practice/", views.practice_home, name="practice"),
    path("practice/q/<slug:key>/", views.practice_question, name="question"),
    path("practice/answers/<int:pk>/", views.practice_attempt, name="attempt"),
    path("practice/drills/", drill_views.drill_list, name="drills"),
    path("practice/drills/<int:pk>/", drill_views.drill_detail, name="drill"),
    path("practice/drills/responses/<int:pk>/", drill_views.drill_response, name="drill-response"),
    path("practice/drills/from-case/<str:reference>/", drill_views.drill_new, name="drill-new"),
    path("hiring/", panel_views.vacancy_list, name="vacancies"),
    path("hiring/<int:pk>/", panel_views.vacancy_detail, name="vacancy"),
    path("hiring/interviews/<int:pk>/", panel_views.interview_detail, name="interview"),
    path("hiring/<int:pk>/kit.pdf", panel_views.kit_pdf, name="kit-pdf"),
    path("hiring/interviews/<int:pk>/sheet.pdf", panel_views.sheet_pdf, name="sheet-pdf"),
]
