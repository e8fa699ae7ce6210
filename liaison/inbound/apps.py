from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "liaison.inbound"
    label = "inbound"
    verbose_name = "Inbound email"
