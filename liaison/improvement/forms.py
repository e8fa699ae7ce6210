from __future__ import annotations

from typing import Any

from django import forms

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, users_with
from liaison.feedback.themes import THEME_LABELS
from liaison.org.models import Department

FEEDBACK_NOT_FOUND = "That feedback could not be found, or it is not yours to see. The action will not be linked to it."


class SourceForm(forms.Form):
    """Where a new action starts from: the site, and the feedback it answers (from a link or hidden fields)."""

    site = forms.CharField(required=False, max_length=20)
    feedback = forms.IntegerField(required=False, min_value=1)


class ActionForm(forms.Form):
    what = forms.CharField(max_length=300, label="What will change")
    why = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why: the evidence")
    theme = forms.ChoiceField(choices=[("", "—"), *[(t, t) for t in THEME_LABELS]], required=False)
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, site_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(site_id=site_id, is_active=True)  # type: ignore[attr-defined]
        self.fields["department"].label_from_instance = lambda d: d.name  # type: ignore[attr-defined]
        # An auditor stays independent of what they audit, even one who also holds another role.
        self.fields["owner"].queryset = (  # type: ignore[attr-defined]
            users_with(Cap.IMPROVEMENT_OWN, site_id).exclude(pk__in=users_with(Cap.AUDIT_READ)).order_by("full_name")
        )


class CompleteForm(forms.Form):
    evidence = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Evidence that it is done")
    public = forms.BooleanField(required=False, label="Show on the public “You said, we did” page")
    you_said = forms.CharField(max_length=300, required=False, label="You said (plain words)")
    we_did = forms.CharField(max_length=300, required=False, label="We did (plain words)")
