from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "liaison.public"
    label = "public"
