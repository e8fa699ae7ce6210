from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "liaison.improvement"
    label = "improvement"

    def ready(self) -> None:
        from liaison.improvement.reminders import remind_actions_due_tomorrow
        from liaison.reminders.services import register_sweep_step

        register_sweep_step(remind_actions_due_tomorrow)
