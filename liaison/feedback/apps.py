from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "liaison.feedback"
    label = "feedback"

    def ready(self) -> None:
        from liaison.correspondence.content import register_letter_values
        from liaison.feedback.handling import SAMPLE_LETTER_VALUES, handling_invitations_sweep, handling_letter_values
        from liaison.feedback.imports import IMPORT_LEASE
        from liaison.lib import periodic
        from liaison.reminders.services import register_sweep_step

        # An import whose worker was killed is marked failed within about a lease of going silent.
        periodic.register(task="liaison.feedback.tasks.import_jobs_sweep", every=IMPORT_LEASE)
        # Complainants of complaints closed since the last sweep are asked how their complaint was handled.
        register_sweep_step(handling_invitations_sweep)
        # Those without an email address get the survey's address and code in the final response instead.
        register_letter_values(handling_letter_values, SAMPLE_LETTER_VALUES)
