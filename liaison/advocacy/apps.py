from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "liaison.advocacy"
    label = "advocacy"

    def ready(self) -> None:
        from liaison.advocacy.reminders import remind_appeal_deadlines
        from liaison.reminders.services import register_sweep_step

        register_sweep_step(remind_appeal_deadlines)

        from django.db.models import Exists, OuterRef, Q

        from liaison.advocacy.models import OPEN_APPEAL_STATUSES, Appeal
        from liaison.advocacy.selectors import DUE_SOON_DAYS, case_ids_with_appeal_due_soon
        from liaison.cases.hooks import WorklistFilter, register_worklist_filter

        register_worklist_filter(
            WorklistFilter(
                "open_appeal",
                "An appeal in progress",
                lambda now: Q(Exists(Appeal.objects.filter(case_id=OuterRef("pk"), status__in=OPEN_APPEAL_STATUSES))),
            )
        )
        register_worklist_filter(
            WorklistFilter(
                "appeal_due_soon",
                f"An appeal deadline in the next {DUE_SOON_DAYS} days",
                lambda now: Q(pk__in=case_ids_with_appeal_due_soon(now)),
            )
        )
