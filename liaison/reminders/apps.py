from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "liaison.reminders"
    label = "reminders"
