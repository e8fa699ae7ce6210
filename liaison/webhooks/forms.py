from __future__ import annotations

from django import forms

from liaison.org.models import Site
from liaison.webhooks.models import Event, Scope


class SubscriptionForm(forms.Form):
    name = forms.CharField(max_length=100, label="What receives it", help_text="E.g. “Risk management system”.")
    url = forms.CharField(
        max_length=500,
        label="Address (URL)",
        help_text="Where Liaison sends each event, by POST. It must start with https://.",
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    events = forms.MultipleChoiceField(
        choices=Event.choices, widget=forms.CheckboxSelectMultiple, label="Events to send"
    )
    scope = forms.ChoiceField(
        choices=Scope.choices,
        initial=Scope.MINIMAL,
        label="What each delivery may hold",
        help_text="Never the patient's or complainant's identity or contact details, nor any text they wrote.",
    )
    site = forms.ModelChoiceField(
        queryset=Site.objects.order_by("name"), required=False, label="Site", empty_label="Every site"
    )
