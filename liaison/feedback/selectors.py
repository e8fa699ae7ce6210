"""Reading feedback with the user's scope, and the dashboard's numbers."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.http import Http404

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.feedback.models import FeedbackResponse, FeedbackTally, Survey
from liaison.lib.pagination import capped_count
from liaison.lib.redact import redact_comment
from liaison.org.models import Department


def responses_for_user(*, user: User) -> QuerySet[FeedbackResponse]:
    if not can(user, Cap.FEEDBACK_DASHBOARD):
        return FeedbackResponse.objects.none()
    return FeedbackResponse.objects.filter(site_id__in=user.site_ids)


def responses_needing_review(responses: QuerySet[FeedbackResponse]) -> QuerySet[FeedbackResponse]:
    """The answers the model was unsure of and no officer has corrected yet, newest first.

    ``needs_review`` is cleared by a correction, so the flag alone is the rule; the partial index
    ``feedback_needs_review_idx`` holds only these rows, in this order.
    """
    return responses.filter(needs_review=True).order_by("-received_on", "-pk")


# The dashboard counts answers waiting for review no further than this: past it the number is "more than".
REVIEW_COUNT_CAP = 10_000


def needs_review_count(*, scope: DashboardScope) -> int:
    """How many answers in the dashboard's scope wait for an officer's check (up to ``REVIEW_COUNT_CAP + 1``)."""
    return capped_count(responses_needing_review(scope.answers()), REVIEW_COUNT_CAP)


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


@dataclass(frozen=True)
class DashboardScope:
    """Which answers the dashboard counts: the sites, optionally one department and a range of days."""

    site_ids: tuple[int, ...]
    department_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def answers(self) -> QuerySet[FeedbackResponse]:
        found = FeedbackResponse.objects.filter(site_id__in=self.site_ids)
        if self.department_id:
            found = found.filter(department_id=self.department_id)
        if self.date_from:
            found = found.filter(received_on__gte=self.date_from)
        if self.date_to:
            found = found.filter(received_on__lte=self.date_to)
        return found

    def tallies(self, kind: str) -> QuerySet[FeedbackTally]:
        found = FeedbackTally.objects.filter(site_id__in=self.site_ids, kind=kind)
        if self.department_id:
            found = found.filter(department_key=self.department_id)
        if self.date_from:
            found = found.filter(day__gte=self.date_from)
        if self.date_to:
            found = found.filter(day__lte=self.date_to)
        return found


# How many of the latest answers are read for example comments: enough to find two for each common theme,
# never the whole table.
EXAMPLE_ROWS_READ = 3000


def dashboard(*, scope: DashboardScope, verbatim: bool = False, examples_per_theme: int = 2) -> Dashboard:
    """The counts from the running tallies (``liaison.feedback.tallies``), a handful of grouped sums whatever
    the number of answers; example comments from the latest answers only.

    Example comments are as written only when ``verbatim`` (for those who work on feedback); otherwise
    names, numbers, emails and dates are taken out first, as the hiring drills do: an executive sees what
    was said, not who said it or about whom.
    """
    result = Dashboard()

    def summed(kind: str, *by: str) -> list[dict[str, Any]]:
        return list(scope.tallies(kind).order_by().values(*by).annotate(n=Sum("count")).filter(n__gt=0))

    result.total = sum(row["n"] for row in summed("total", "kind"))
    fft = {int(row["key"]): row["n"] for row in summed("fft", "key")}
    likelihood = {row["key"]: row["n"] for row in summed("ltr", "key")}
    months: dict[str, dict[int, int]] = defaultdict(dict)
    for month, sentiment, count in _sentiment_by_month(scope):
        months[month][sentiment] = count
    themes = Counter({row["key"]: row["n"] for row in summed("theme", "key")})
    names = dict(Department.objects.filter(site_id__in=scope.site_ids).values_list("pk", "name"))
    by_department: dict[str, Counter[str]] = defaultdict(Counter)
    for grouped in summed("theme", "department_key", "key"):
        by_department[names.get(grouped["department_key"], "Whole site")][grouped["key"]] += grouped["n"]
    result.fft_total = sum(fft.values())
    if result.fft_total:
        result.fft_positive = 100 * (fft.get(1, 0) + fft.get(2, 0)) / result.fft_total
        result.fft_negative = 100 * (fft.get(4, 0) + fft.get(5, 0)) / result.fft_total
    result.likelihood_total = sum(likelihood.values())
    if result.likelihood_total:
        net = likelihood.get("promoter", 0) - likelihood.get("detractor", 0)
        result.likelihood_score = 100 * net / result.likelihood_total
    result.sentiment_by_month = sorted((month, counts) for month, counts in months.items())
    result.themes = themes.most_common(12)
    result.themes_by_department = dict(by_department)
    if examples_per_theme:
        result.examples = _examples(scope, [t for t, _ in result.themes], examples_per_theme, verbatim=verbatim)
    return result


def _sentiment_by_month(scope: DashboardScope) -> list[tuple[str, int, int]]:
    rows = (
        scope.tallies("sentiment")
        .order_by()
        .annotate(year=ExtractYear("day"), month=ExtractMonth("day"))
        .values("year", "month", "key")
        .annotate(n=Sum("count"))
        .filter(n__gt=0)
    )
    return [(f"{row['year']:04d}-{row['month']:02d}", int(row["key"]), row["n"]) for row in rows]


def _examples(scope: DashboardScope, themes: list[str], per_theme: int, *, verbatim: bool) -> dict[str, list[str]]:
    wanted = set(themes)
    examples: dict[str, list[str]] = defaultdict(list)
    latest = (
        scope.answers()
        .exclude(comment="")
        .order_by("-received_on", "-pk")
        .values_list("themes", "comment", "contact_name")[:EXAMPLE_ROWS_READ]
    )
    for row_themes, comment, contact in latest:
        for theme in row_themes or []:
            if theme not in wanted or len(examples[theme]) >= per_theme:
                continue
            # Redact the whole comment before cutting it, so half an email address cannot slip through.
            example = (comment if verbatim else redact_comment(comment, names=[contact]))[:280]
            if example not in examples[theme]:
                examples[theme].append(example)
        if all(len(examples[t]) >= per_theme for t in wanted):
            break
    return dict(examples)


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
