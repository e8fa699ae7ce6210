from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "liaison.knowledge"
    label = "knowledge"
