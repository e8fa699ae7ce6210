from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Liaison at size: synthetic data for measuring, backup and restore."""

    name = "liaison.ops"
    label = "ops"
