"""What the insights app stores: who asked to be sent which report."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ReportKind(models.TextChoices):
    BOARD = "board", "Monthly board report"


class ReportSubscription(models.Model):
    """A person who wants a site's monthly report by email: a link to the signed-in download, never the file.

    ``last_sent_for`` is the first day of the month in which the latest email went out. The sweep claims a
    month by moving it forward in one conditional UPDATE, so a re-run or a second worker sends nothing.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions")
    site = models.ForeignKey("org.Site", on_delete=models.CASCADE, related_name="report_subscriptions")
    kind = models.CharField(max_length=20, choices=ReportKind.choices, default=ReportKind.BOARD)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_for = models.DateField(
        null=True, blank=True, help_text="The first day of the month in which the report was last sent."
    )

    class Meta:
        ordering = ["site__name", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "site", "kind"], name="insights_one_subscription_per_report"),
            models.CheckConstraint(condition=models.Q(kind__in=ReportKind.values), name="insights_known_report_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.site_id} to {self.user_id}"
