from __future__ import annotations

from typing import Any

from django import forms

from liaison.accounts.models import Role, User
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
        self.fields["leads"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(sites=site, is_active=True, role_grants__role__in=[Role.INVESTIGATOR, Role.MANAGER])
            .distinct()
            .order_by("full_name")
        )
