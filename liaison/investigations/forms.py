from __future__ import annotations

from typing import Any

from django import forms

from liaison.cases.models import Issue
from liaison.org.models import Department


class AnswerForm(forms.Form):
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="The department's statement",
        help_text="What happened, from the department's records and the staff involved.",
    )
    evidence = forms.FileField(
        required=False, label="Evidence (optional)", help_text="PDF, Word, image or text file, up to 20 MB."
    )

    def __init__(self, *args: Any, issues: list[Issue], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index, issue in enumerate(issues, start=1):
            self.fields[f"finding_{issue.pk}"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                label=f"Finding on issue {index}: {issue.summary}",
            )

    def findings(self) -> dict[int, str]:
        return {
            int(name.removeprefix("finding_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("finding_") and value
        }


class MoreTimeForm(forms.Form):
    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="New date")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why more time is needed")


class RequestForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.none())
    questions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), help_text="What the department should answer."
    )
    due_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Answer due",
        help_text="Leave empty for the site's usual time.",
    )

    def __init__(self, *args: Any, site_id: int, restricted: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(site_id=site_id, is_active=True).order_by("name")  # type: ignore[attr-defined]
        self.fields["department"].label_from_instance = lambda department: department.name  # type: ignore[attr-defined]
        if restricted:
            # Only a restricted case asks: any other case shows the department who the patient is, as it must
            # to find the records. Unticked unless the officer decides the department needs to know.
            self.fields["share_identity"] = forms.BooleanField(
                required=False,
                initial=False,
                label="Share the patient's identity with the investigator",
                help_text="This case is restricted. Unless you tick this, the department sees the questions and "
                "the issues, but not the patient's name, MRN or account.",
            )


class ReassignForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.none(), label="Send it to")

    def __init__(self, *args: Any, site_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(site_id=site_id, is_active=True).order_by("name")  # type: ignore[attr-defined]
        self.fields["department"].label_from_instance = lambda department: department.name  # type: ignore[attr-defined]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("grant", "Grant the new date"), ("refuse", "Refuse: keep the current date")], widget=forms.RadioSelect
    )
