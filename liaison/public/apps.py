from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "liaison.public"
    label = "public"

    def ready(self) -> None:
        from datetime import timedelta

        from liaison.lib import periodic

        periodic.register(task="liaison.public.tasks.attempts_prune", every=timedelta(hours=1))
