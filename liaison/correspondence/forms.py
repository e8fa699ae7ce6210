from __future__ import annotations

from typing import Any

from django import forms

from liaison.correspondence.models import Language, LetterKind


class DraftForm(forms.Form):
    kind = forms.ChoiceField(choices=LetterKind.choices, label="Letter")
    language = forms.ChoiceField(choices=[("", "The complainant's language"), *Language.choices], required=False)
    large_print = forms.BooleanField(required=False, label="Large print")

    def __init__(self, *args: Any, kinds: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = [(k, label) for k, label in LetterKind.choices if k in kinds]  # type: ignore[attr-defined]


class EditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    subject = forms.CharField(max_length=300)
    body_html = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        label="Letter text",
        help_text=(
            "Paragraphs in <p>…</p>; <strong>, <em>, lists (<ul>, <ol>, <li>) and headings (<h2>, <h3>) are kept. "
            "Anything else is removed."
        ),
    )
    large_print = forms.BooleanField(required=False, label="Large print")


class ReturnForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What needs changing")


class TemplateForm(forms.Form):
    subject = forms.CharField(max_length=300)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24}),
        label="Template",
        help_text=(
            "Use the letter variables, such as {{ recipient.name }}, {{ case.reference }} and {{ site.name }}, "
            "with {% if %} and {% for %}. Tags that read other templates or files ({% include %}, {% extends %}, "
            "{% load %}) and {% debug %} are refused."
        ),
    )
    note = forms.CharField(max_length=300, required=False, label="What changed")


class ChecklistForm(forms.Form):
    """One box per element of a final response that the officer may give in their own words."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, items: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["confirmed"] = forms.MultipleChoiceField(
            required=False,
            choices=[(item.key, item.label) for item in items],
            widget=forms.CheckboxSelectMultiple,
            label="The letter gives each of these in its own words",
            initial=[item.key for item in items if item.confirmed],
        )
