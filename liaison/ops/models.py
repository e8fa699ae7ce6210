"""Marks on what ``liaison generate`` made, so it can tell a synthetic database from a real one."""

from __future__ import annotations

from django.db import models


class SyntheticSite(models.Model):
    """A site the generator created. Every case at such a site is synthetic; a case anywhere else is real,
    and the generator refuses to touch a database that holds one."""

    site = models.OneToOneField("org.Site", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Synthetic site {self.site_id}"


class GenerationRun(models.Model):
    """One run of ``liaison generate``: what was asked, what was written and how long it took."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    seed = models.IntegerField()
    parameters = models.JSONField(default=dict)
    counts = models.JSONField(default=dict, help_text="Rows written, by table.")
    seconds = models.FloatField()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Generation run {self.pk} ({self.started_at:%Y-%m-%d %H:%M})"
