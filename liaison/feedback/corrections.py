"""Officers' corrections, for the next training run (`liaison feedback train --with-corrections`)."""

from __future__ import annotations

from collections.abc import Iterator

from liaison.feedback.models import FeedbackResponse


def load_corrections() -> Iterator[tuple[str, list[str], int | None]]:
    for text, themes, sentiment in (
        FeedbackResponse.objects.filter(corrected_at__isnull=False)
        .exclude(comment="")
        .values_list("comment", "themes", "sentiment")
        .iterator()
    ):
        yield text, list(themes or []), sentiment
