from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "liaison.cases"
    label = "cases"
