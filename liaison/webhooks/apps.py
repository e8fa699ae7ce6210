from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "liaison.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from datetime import timedelta

        from django.conf import settings

        from liaison.cases import hooks as case_hooks
        from liaison.feedback import hooks as feedback_hooks
        from liaison.lib import periodic
        from liaison.reminders.services import register_sweep_step
        from liaison.webhooks import events

        # Each change writes its deliveries in its own transaction (the outbox)...
        case_hooks.on_case_event(events.on_case_event)
        feedback_hooks.on_import_finished(events.on_import_finished)
        # ...missed deadlines are found by the reminders sweep...
        register_sweep_step(events.deadlines_missed_sweep)
        # ...and the worker sends them, and the retries when they fall due.
        periodic.register(
            task="liaison.webhooks.tasks.deliver", every=timedelta(seconds=settings.LIAISON_WEBHOOK_POLL_SECONDS)
        )
        # What was delivered or failed long ago goes, with its log.
        periodic.register(task="liaison.webhooks.tasks.prune", every=timedelta(hours=6))
