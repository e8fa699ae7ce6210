from datetime import datetime

from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "liaison.meetings"
    label = "meetings"

    def ready(self) -> None:
        from liaison.correspondence.content import register_letter_values
        from liaison.inbound.hooks import on_message_filed
        from liaison.meetings.letters import SAMPLE, meeting_letter_values
        from liaison.meetings.reminders import remind_meetings_tomorrow
        from liaison.meetings.replies import read_calendar_replies
        from liaison.reminders.services import register_sweep_step

        register_sweep_step(remind_meetings_tomorrow)
        on_message_filed(read_calendar_replies)
        register_letter_values(meeting_letter_values, SAMPLE)

        from datetime import timedelta

        from django.db.models import Exists, OuterRef, Q

        from liaison.cases.hooks import WorklistFilter, register_worklist_filter
        from liaison.meetings.models import Meeting, MeetingStatus

        def meeting_soon(now: datetime) -> Q:
            upcoming = Meeting.objects.filter(
                case_id=OuterRef("pk"),
                status=MeetingStatus.SCHEDULED,
                starts_at__gte=now,
                starts_at__lt=now + timedelta(days=14),
            )
            return Q(Exists(upcoming))

        register_worklist_filter(WorklistFilter("meeting_soon", "A meeting in the next two weeks", meeting_soon))
