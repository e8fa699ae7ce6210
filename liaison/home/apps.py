from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "liaison.home"
    label = "home"
