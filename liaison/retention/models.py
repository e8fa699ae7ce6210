"""How long each kind of record keeps its personal content, per site, and the record of each purge run.

A site that has set nothing uses its policy pack's defaults (``defaults.py``); a row here is the site's own
choice and replaces the default for that kind of record only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RecordType(models.TextChoices):
    CASE_FILE = "case_file", "Case files (complaints, grievances and every other case)"
    FEEDBACK_TEXT = "feedback_text", "Feedback answers with free text"
    MEETING = "meeting", "Meeting records"
    APPEAL = "appeal", "Appeal records"


class CountedFrom(models.TextChoices):
    CLOSURE = "closure", "the case's closure"
    RECEIVED = "received", "the day it was received"
    MEETING_DATE = "meeting_date", "the day of the meeting"
    DECISION = "decision", "the appeal's decision"


# Where each kind of record may be counted from. A case file only from its closure: counting from receipt
# could remove a file while later work on it (a reopening, an ombudsman review) is still recent.
COUNTING_POINTS: dict[str, tuple[str, ...]] = {
    RecordType.CASE_FILE: (CountedFrom.CLOSURE,),
    RecordType.FEEDBACK_TEXT: (CountedFrom.RECEIVED,),
    RecordType.MEETING: (CountedFrom.CLOSURE, CountedFrom.MEETING_DATE),
    RecordType.APPEAL: (CountedFrom.CLOSURE, CountedFrom.DECISION),
}

MAX_YEARS = 100


class RetentionRule(models.Model):
    """A site's own retention period for one kind of record, with where the number comes from."""

    site = models.ForeignKey("org.Site", on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=20, choices=RecordType.choices)
    years = models.PositiveSmallIntegerField(help_text="Whole years the personal content is kept.")
    counted_from = models.CharField(max_length=20, choices=CountedFrom.choices)
    source = models.TextField(help_text="Where the period comes from, in words a reviewer can check.")
    verified = models.BooleanField(
        default=False, help_text="Someone checked the period against the source itself (not a summary of it)."
    )
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["site", "record_type"]
        constraints = [
            models.UniqueConstraint(fields=["site", "record_type"], name="retention_one_rule_per_site_type"),
            models.CheckConstraint(
                condition=models.Q(years__gte=1, years__lte=MAX_YEARS), name="retention_years_1_100"
            ),
            models.CheckConstraint(
                condition=models.Q(record_type__in=RecordType.values), name="retention_known_record_type"
            ),
            models.CheckConstraint(
                condition=models.Q(counted_from__in=CountedFrom.values), name="retention_known_counting_point"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_type}: {self.years} years from {self.counted_from}"


class SitePurgeSetting(models.Model):
    """Whether the worker purges a site's records on its own. Off until a manager turns it on."""

    site = models.OneToOneField("org.Site", on_delete=models.CASCADE, related_name="+")
    automatic = models.BooleanField(default=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Automatic purge {'on' if self.automatic else 'off'} for site {self.site_id}"


class PurgeTrigger(models.TextChoices):
    SCHEDULE = "schedule", "The worker's daily sweep"
    COMMAND = "command", "The retention purge command"


class PurgeRun(models.Model):
    """One purge of one site. A scheduled run claims its site and day, so the worker purges once a day at most."""

    site = models.ForeignKey("org.Site", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The day of the run at the site.")
    trigger = models.CharField(max_length=10, choices=PurgeTrigger.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Empty if the run stopped part way.")
    counts = models.JSONField(default=dict, blank=True, help_text="Records purged, per kind of record.")

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day"],
                condition=models.Q(trigger="schedule"),
                name="retention_one_scheduled_run_per_site_day",
            ),
            models.CheckConstraint(condition=models.Q(trigger__in=PurgeTrigger.values), name="retention_known_trigger"),
        ]

    def __str__(self) -> str:
        return f"Purge of site {self.site_id} on {self.day} ({self.trigger})"
