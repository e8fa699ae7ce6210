from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.db import models
from django.forms.models import fields_for_model

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, users_with
from liaison.lib.forms import ModelMultipleChoiceField
from liaison.org.models import Site
from liaison.org.services import FHIR_FIELDS


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


def _secure_url(value: str) -> None:
    parts = urlsplit(value)
    # Patient details must not cross the network in the clear; a server on this machine is the exception.
    if value and parts.scheme != "https" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        raise forms.ValidationError("Use an https:// address.")


def _formfield(field: models.Field[Any, Any]) -> forms.Field:
    made = field.formfield(assume_scheme="https") if isinstance(field, models.URLField) else field.formfield()
    assert made is not None
    return made


class SiteFhirForm(forms.Form):
    """The patient record system settings of one site (see liaison/org/fhir.py for the secret)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(Site, fields=FHIR_FIELDS, formfield_callback=_formfield))
        for name in ("fhir_base_url", "fhir_token_url"):
            self.fields[name].validators.append(_secure_url)
            self.fields[name].widget.attrs["spellcheck"] = "false"
        self.fields["fhir_mrn_system"].widget.attrs["spellcheck"] = "false"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("fhir_token_url") and not (data.get("fhir_client_id") or "").strip():
            self.add_error("fhir_client_id", "Enter the client id that goes with the token endpoint.")
        if data.get("fhir_token_url") and not data.get("fhir_base_url"):
            self.add_error("fhir_base_url", "Enter the FHIR server base URL, or clear the token endpoint.")
        return data
