from __future__ import annotations

from typing import Any

from django import forms

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, users_with
from liaison.lib.forms import ModelMultipleChoiceField
from liaison.org.models import Site


class DepartmentForm(forms.Form):
    name = forms.CharField(max_length=200)
    code = forms.CharField(max_length=20, required=False, help_text="Optional short code, e.g. ED.")
    leads = ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Department leads are told about investigation requests sent to the department.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="In use")

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A lead is told of the department's investigation requests, so only people who may be sent them.
        self.fields["leads"].queryset = users_with(Cap.REQUEST_RECEIVE, site).order_by("full_name")  # type: ignore[attr-defined]
