from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "liaison.org"
    label = "org"
