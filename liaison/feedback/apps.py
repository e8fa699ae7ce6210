from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "liaison.feedback"
    label = "feedback"
