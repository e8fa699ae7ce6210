from django.apps import AppConfig


class HiringConfig(AppConfig):
    name = "liaison.hiring"
    label = "hiring"
