from datetime import timedelta

from django.apps import AppConfig

# Checkpoints pin the head of the trail outside the database. "At least daily" is the promise; every six
# hours keeps the stretch that only the chain vouches for short, and a worker also checkpoints as it starts.
CHECKPOINT_EVERY = timedelta(hours=6)


class AuditConfig(AppConfig):
    name = "liaison.audit"
    label = "audit"

    def ready(self) -> None:
        from liaison.lib import periodic

        periodic.register(task="liaison.audit.tasks.checkpoint", every=CHECKPOINT_EVERY)
