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
