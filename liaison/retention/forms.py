"""Forms of the retention pages: a site's period for one kind of record, automatic purging, and a legal hold."""

from __future__ import annotations

from django import forms

from liaison.retention.models import MAX_YEARS, CountedFrom, RecordType


class RuleForm(forms.Form):
    site = forms.CharField(max_length=10, widget=forms.HiddenInput)
    record_type = forms.ChoiceField(choices=RecordType.choices, widget=forms.HiddenInput)
    years = forms.IntegerField(label="Years kept", min_value=1, max_value=MAX_YEARS)
    counted_from = forms.ChoiceField(label="Counted from", choices=CountedFrom.choices)
    source = forms.CharField(
        label="Where the period comes from",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The code, regulation or board decision, precisely enough for someone to check it.",
    )
    verified = forms.BooleanField(
        label="Checked against the source itself", required=False, help_text="Not a summary or a secondary copy."
    )


class AutomaticPurgeForm(forms.Form):
    site = forms.CharField(max_length=10, widget=forms.HiddenInput)
    automatic = forms.BooleanField(label="Purge this site's due records automatically, once a day", required=False)


class HoldForm(forms.Form):
    reference = forms.CharField(label="Case reference", max_length=32, help_text="For example RGH-2024-00012.")
    reason = forms.CharField(
        label="Why it must be kept",
        max_length=300,
        help_text="The claim, inquiry or review it is needed for. Kept on the case's timeline and in the audit trail.",
    )

    def clean_reference(self) -> str:
        return str(self.cleaned_data["reference"]).strip().upper()


class ReleaseForm(forms.Form):
    """The release button: which case, and whether to go back to its page afterwards."""

    reference = forms.CharField(max_length=32)
    back = forms.ChoiceField(choices=[("", "The holds"), ("case", "The case")], required=False)
