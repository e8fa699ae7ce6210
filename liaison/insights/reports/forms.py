"""The reports page's one form, read from the query string so that a download can be a plain link."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms

from liaison.insights.measures import Period
from liaison.insights.reports.base import ReportKind
from liaison.insights.reports.render import FORMATS
from liaison.org.models import Site

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)
LONGEST = timedelta(days=5 * 366)
FORMAT_LABELS = {"pdf": "PDF (to read and print)", "csv": "CSV (the tables, for other tools)", "xlsx": "XLSX (Excel)"}


class ReportForm(forms.Form):
    """``kind``, ``site``, ``from``, ``to``, ``format`` and ``table``: the names a scheduled email's link uses.

    The dates may both be left out for the report's usual period; ``from`` and ``to`` are not Python names,
    so those two fields are added in ``__init__``.
    """

    kind = forms.ChoiceField(label="Report")
    site = forms.ChoiceField(label="Site")
    format = forms.ChoiceField(label="Format", choices=[(f, FORMAT_LABELS[f]) for f in FORMATS], initial="pdf")
    table = forms.SlugField(
        label="One table only (CSV)",
        required=False,
        max_length=40,
        help_text="Leave empty to get every table in one file, each under its title.",
    )

    def __init__(self, *args: Any, kinds: list[ReportKind], sites: list[Site], usual: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.key, k.title) for k in kinds]  # type: ignore[attr-defined]
        self.fields["site"].choices = [(s.code, f"{s.name} ({s.code})") for s in sites]  # type: ignore[attr-defined]
        dates = {"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()}
        self.fields["from"] = forms.DateField(
            label="From", required=False, widget=forms.DateInput(attrs=dates), help_text=usual
        )
        self.fields["to"] = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs=dates))
        self.order_fields(["kind", "site", "from", "to", "format", "table"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if (start is None) != (end is None) and not self.has_error("from") and not self.has_error("to"):
            raise forms.ValidationError("Give both dates, or leave both empty for the report's usual period.")
        if start is not None and end is not None:
            if not (EARLIEST <= start <= LATEST and EARLIEST <= end <= LATEST):
                raise forms.ValidationError(f"Choose dates between {EARLIEST:%Y} and {LATEST:%Y}.")
            if end < start:
                raise forms.ValidationError("The period must end on or after its first day.")
            if end - start > LONGEST:
                raise forms.ValidationError("A report covers five years at most.")
        if data.get("table") and data.get("format") != "csv":
            self.add_error("table", "A single table can be chosen for CSV only.")
        return data

    def chosen_period(self) -> Period | None:
        """The dates given, or None for the report's usual period."""
        start, end = self.cleaned_data.get("from"), self.cleaned_data.get("to")
        return Period(start, end) if start is not None and end is not None else None
