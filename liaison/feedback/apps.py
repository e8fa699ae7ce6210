from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "liaison.feedback"
    label = "feedback"

    def ready(self) -> None:
        from liaison.feedback.imports import IMPORT_LEASE
        from liaison.lib import periodic

        # An import whose worker was killed is marked failed within about a lease of going silent.
        periodic.register(task="liaison.feedback.tasks.import_jobs_sweep", every=IMPORT_LEASE)
