from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "liaison.policies"
    label = "policies"
