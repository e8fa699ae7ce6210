"""The dashboard's and drill-down's filters: GET parameters, so a view can be bookmarked and shared.

None of them is a patient identifier, so they may appear in addresses and logs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.advocacy.models import AppealOutcome
from liaison.cases.models import CaseType
from liaison.insights.measures import BREAKDOWNS, MEASURES, Period
from liaison.org.models import Department, Site

_LONGEST_PERIOD_DAYS = 5 * 366


def last_full_month(today: date | None = None) -> Period:
    today = today or timezone.localdate()
    last_day = today.replace(day=1) - timedelta(days=1)
    return Period.month(last_day.year, last_day.month)


class InsightsFilterForm(forms.Form):
    FILTERS = ("site", "department", "case_type", "date_from", "date_to", "circulate")

    site = forms.ChoiceField(required=False, label="Site")
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), required=False, empty_label="All departments"
    )
    case_type = forms.ChoiceField(choices=[("", "All types"), *CaseType.choices], required=False, label="Type")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    circulate = forms.BooleanField(
        required=False,
        label="For wide circulation",
        help_text="Counts from 1 to 4 are shown as \u201c<5\u201d, so that nobody can be recognised.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.sites = list(Site.objects.filter(pk__in=[s for s in user.site_ids if can(user, Cap.INSIGHTS_READ, s)]))
        self.fields["site"].choices = [("", "All my sites"), *((s.code, s.name) for s in self.sites)]  # type: ignore[attr-defined]
        self.fields["department"].queryset = (  # type: ignore[attr-defined]
            Department.objects.filter(site__in=self.sites).select_related("site").order_by("site__code", "name")
        )
        self.fields["department"].label_from_instance = lambda d: f"{d.name} — {d.site.code}"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        default = last_full_month()
        start = cleaned.get("date_from") or default.start
        end = cleaned.get("date_to") or (default.end if not cleaned.get("date_from") else timezone.localdate())
        if end < start:
            raise forms.ValidationError("The period must end on or after the day it starts.")
        if (end - start).days > _LONGEST_PERIOD_DAYS:
            raise forms.ValidationError("Choose a period of five years or less.")
        cleaned["period"] = Period(start, end)
        code = cleaned.get("site") or ""
        cleaned["chosen_sites"] = [s for s in self.sites if s.code == code] if code else self.sites
        department = cleaned.get("department")
        if department is not None and department.site not in cleaned["chosen_sites"]:
            self.add_error("department", "Choose a department of the chosen site.")
        return cleaned


class DrillForm(InsightsFilterForm):
    """The filters plus what was clicked: a measure, or a value of a breakdown."""

    measure = forms.ChoiceField(required=False, choices=[("", "")] + [(k, m.name) for k, m in MEASURES.items()])
    part = forms.ChoiceField(required=False, choices=[("numerator", "counted"), ("denominator", "out of")])
    breakdown = forms.ChoiceField(required=False, choices=[("", "")] + [(k, b.name) for k, b in BREAKDOWNS.items()])
    value = forms.CharField(required=False, max_length=50)
    handling = forms.ChoiceField(required=False, choices=[("", ""), ("invited", "invited to the survey")])
    meetings = forms.ChoiceField(required=False, choices=[("", ""), ("resolved", "resolved after a meeting")])
    appeals = forms.ChoiceField(
        required=False, choices=[("", ""), ("decided", "appeals decided"), *AppealOutcome.choices]
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in ("measure", "breakdown", "handling", "appeals", "meetings")):
            raise forms.ValidationError("Choose a number on the dashboard to see the cases behind it.")
        return cleaned
