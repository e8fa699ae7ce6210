from django.apps import AppConfig


class InvestigationsConfig(AppConfig):
    name = "liaison.investigations"
    label = "investigations"
