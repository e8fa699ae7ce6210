from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "liaison.improvement"
    label = "improvement"
