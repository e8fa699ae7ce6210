"""Reading feedback with the user's scope, and the dashboard's numbers."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.feedback.models import FeedbackResponse, Survey
from liaison.lib.redact import redact_comment


def responses_for_user(*, user: User) -> QuerySet[FeedbackResponse]:
    if not can(user, Cap.FEEDBACK_DASHBOARD):
        return FeedbackResponse.objects.none()
    return FeedbackResponse.objects.filter(site_id__in=user.site_ids)


def get_response_for_user(*, user: User, pk: int) -> FeedbackResponse:
    if not can(user, Cap.FEEDBACK_WORK):
        raise Http404
    try:
        return responses_for_user(user=user).select_related("site", "department", "survey", "case").get(pk=pk)
    except FeedbackResponse.DoesNotExist:
        raise Http404 from None


def surveys_for_user(*, user: User) -> QuerySet[Survey]:
    if not can(user, Cap.FEEDBACK_WORK):
        return Survey.objects.none()
    return Survey.objects.filter(site_id__in=user.site_ids).select_related("site", "department")


def get_survey_for_user(*, user: User, pk: int) -> Survey:
    try:
        return surveys_for_user(user=user).get(pk=pk)
    except Survey.DoesNotExist:
        raise Http404 from None


@dataclass
class Dashboard:
    total: int = 0
    fft_total: int = 0
    fft_positive: float | None = None
    fft_negative: float | None = None
    likelihood_total: int = 0
    likelihood_score: float | None = None
    sentiment_by_month: list[tuple[str, dict[int, int]]] = field(default_factory=list)
    themes: list[tuple[str, int]] = field(default_factory=list)
    themes_by_department: dict[str, Counter[str]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)


def dashboard(
    *, responses: QuerySet[FeedbackResponse], verbatim: bool = False, examples_per_theme: int = 2
) -> Dashboard:
    """One pass over the rows in the filter (values only), so it stays cheap for a department's year.

    Example comments are as written only when ``verbatim`` (for those who work on feedback); otherwise
    names, numbers, emails and dates are taken out first, as the hiring drills do: an executive sees what
    was said, not who said it or about whom.
    """
    result = Dashboard()
    fft = Counter[int]()
    likelihood = Counter[str]()
    months: dict[str, Counter[int]] = defaultdict(Counter)
    themes = Counter[str]()
    by_department: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[str, list[str]] = defaultdict(list)
    rows = responses.values_list(
        "received_on", "fft_score", "likelihood", "sentiment", "themes", "department__name", "comment", "contact_name"
    ).order_by("-received_on")
    for received_on, fft_score, ltr, sentiment, row_themes, department, comment, contact in rows.iterator(
        chunk_size=5000
    ):
        result.total += 1
        if fft_score:
            fft[fft_score] += 1
        if ltr is not None:
            likelihood["promoter" if ltr >= 9 else "detractor" if ltr <= 6 else "passive"] += 1
        if sentiment:
            months[_month(received_on)][sentiment] += 1
        for theme in row_themes or []:
            themes[theme] += 1
            by_department[department or "Whole site"][theme] += 1
            if not comment or len(examples[theme]) >= examples_per_theme:
                continue
            # Redact the whole comment before cutting it, so half an email address cannot slip through.
            example = (comment if verbatim else redact_comment(comment, names=[contact]))[:280]
            if example not in examples[theme]:
                examples[theme].append(example)
    result.fft_total = sum(fft.values())
    if result.fft_total:
        result.fft_positive = 100 * (fft[1] + fft[2]) / result.fft_total
        result.fft_negative = 100 * (fft[4] + fft[5]) / result.fft_total
    result.likelihood_total = sum(likelihood.values())
    if result.likelihood_total:
        result.likelihood_score = 100 * (likelihood["promoter"] - likelihood["detractor"]) / result.likelihood_total
    result.sentiment_by_month = sorted((month, dict(counts)) for month, counts in months.items())
    result.themes = themes.most_common(12)
    result.themes_by_department = dict(by_department)
    result.examples = dict(examples)
    return result


def _month(day: date) -> str:
    return f"{day:%Y-%m}"


def bar_chart(items: list[tuple[str, int]], *, width: int = 640, bar_height: int = 22) -> dict[str, Any]:
    """Geometry for a horizontal bar chart drawn as server-side SVG (no JavaScript needed)."""
    top = max((value for _, value in items), default=0) or 1
    label_width = 260
    bars = []
    for index, (label, value) in enumerate(items):
        length = (width - label_width - 60) * value / top
        bars.append(
            {
                "label": label,
                "value": value,
                "y": index * (bar_height + 8),
                "x": label_width,
                "length": round(length, 1),
                "text_y": index * (bar_height + 8) + bar_height * 0.7,
            }
        )
    return {
        "width": width,
        "height": max(len(items) * (bar_height + 8), bar_height),
        "bar_height": bar_height,
        "label_width": label_width,
        "bars": bars,
    }


def sentiment_chart(months: list[tuple[str, dict[int, int]]], *, width: int = 640, height: int = 200) -> dict[str, Any]:
    """Share of negative (4–5) answers per month, as points of a line chart in SVG."""
    points = []
    step = width / max(len(months), 1)
    for index, (month, counts) in enumerate(months):
        total = sum(counts.values()) or 1
        negative = 100 * (counts.get(4, 0) + counts.get(5, 0)) / total
        positive = 100 * (counts.get(1, 0) + counts.get(2, 0)) / total
        points.append(
            {
                "month": month,
                "negative": round(negative),
                "positive": round(positive),
                "x": round(step * index + step / 2, 1),
                "y_negative": round(height - height * negative / 100, 1),
                "y_positive": round(height - height * positive / 100, 1),
            }
        )
    return {
        "width": width,
        "height": height,
        "points": points,
        "negative_path": " ".join(f"{p['x']},{p['y_negative']}" for p in points),
        "positive_path": " ".join(f"{p['x']},{p['y_positive']}" for p in points),
    }
