from __future__ import annotations

from django import forms


class AuditSearchForm(forms.Form):
    user = forms.CharField(required=False, label="User (email)", max_length=254)
    action = forms.CharField(required=False, max_length=64, help_text="e.g. auth.login, view, user.create")
    object_type = forms.CharField(required=False, label="Object type", max_length=64, help_text="e.g. accounts.user")
    object_id = forms.CharField(required=False, label="Object id", max_length=64)
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("The “From” date must not be after the “To” date.")
        return data
