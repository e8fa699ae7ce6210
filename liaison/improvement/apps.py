from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "liaison.improvement"
    label = "improvement"

    def ready(self) -> None:
        from liaison.cases.hooks import on_action_promised
        from liaison.improvement.reminders import remind_actions_due_tomorrow
        from liaison.improvement.services import action_create_for_promise
        from liaison.reminders.services import register_sweep_step

        register_sweep_step(remind_actions_due_tomorrow)
        # Every action promised in a response letter becomes an improvement action, in the same transaction.
        on_action_promised(action_create_for_promise)
