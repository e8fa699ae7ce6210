"""The public forms. Every text is length-limited and stripped of control characters; output is escaped."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.lib.uploads import ALLOWED_DESCRIPTION
from liaison.org.models import Department, Site

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PUBLIC_MAX_FILE_MB = 10
PUBLIC_MAX_FILES = 3


def clean_text(value: str) -> str:
    return _CONTROL.sub("", value or "").strip()


class PublicTextField(forms.CharField):
    def to_python(self, value: Any) -> str:
        return clean_text(super().to_python(value) or "")


class WhatForm(forms.Form):
    happened_on = forms.DateField(
        required=False,
        label=_("When did it happen?"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("An approximate date is fine. Leave it empty if you are not sure."),
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(),
        required=False,
        label=_("Where in the hospital?"),
        empty_label=_("I am not sure"),
    )
    what = PublicTextField(max_length=5000, label=_("What happened?"), widget=forms.Textarea(attrs={"rows": 8}))
    informal = forms.BooleanField(
        required=False,
        label=_("I would like this sorted out informally, without a formal complaint"),
        help_text=_("You can still make a formal complaint later."),
    )

    def __init__(self, *args: Any, site: Site, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(site=site, is_active=True).order_by("name")  # type: ignore[attr-defined]
        self.fields["department"].label_from_instance = lambda d: d.name  # type: ignore[attr-defined]
        if kind == "compliment":
            self.fields["what"].label = _("What would you like to thank us for?")
        elif kind == "question":
            self.fields["what"].label = _("What would you like to ask?")
            self.fields["happened_on"].widget = forms.HiddenInput()
        if kind != "complaint":
            del self.fields["informal"]

    def clean_happened_on(self) -> Any:
        day = self.cleaned_data.get("happened_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("This date is in the future."))
        return day


class WhoForm(forms.Form):
    about = forms.ChoiceField(
        choices=[("me", _("Me")), ("someone", _("Someone else (I am writing for them)"))],
        widget=forms.RadioSelect,
        label=_("Who is this about?"),
        initial="me",
    )
    patient_name = PublicTextField(max_length=200, required=False, label=_("The patient's full name"))
    patient_dob = forms.DateField(
        required=False, label=_("The patient's date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    relationship = PublicTextField(
        max_length=100,
        required=False,
        label=_("Your relationship to the patient"),
        help_text=_("For example: daughter, husband, carer."),
    )
    consent = forms.BooleanField(
        required=False,
        label=_("The patient has agreed that I can act for them, or I have the legal authority to do so"),
        help_text=_(
            "We may ask the patient to confirm. We cannot share the patient's information without their consent."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("about") == "someone":
            if not data.get("relationship"):
                self.add_error("relationship", _("Tell us your relationship to the patient."))
            if not data.get("consent"):
                self.add_error(
                    "consent", _("Confirm that the patient agrees, or that you have the authority to act for them.")
                )
        return data


class OutcomeForm(forms.Form):
    outcome = PublicTextField(
        max_length=2000,
        label=_("What would put it right for you?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: an apology, an explanation, a change so it does not happen again."),
    )


class ContactForm(forms.Form):
    name = PublicTextField(max_length=200, label=_("Your full name"))
    email = forms.EmailField(
        required=False, label=_("Email"), help_text=_("We will send your reference and updates here.")
    )
    phone = PublicTextField(max_length=50, required=False, label=_("Phone"))
    language = forms.ChoiceField(
        choices=[("en", "English"), ("es", "Español")], label=_("Which language should we use?")
    )
    interpreter = forms.BooleanField(required=False, label=_("I would like an interpreter"))
    accessibility = PublicTextField(
        max_length=300,
        required=False,
        label=_("Anything that would help you, such as large print or a phone call instead of letters"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("Give us an email address or a phone number so we can reply."))
        return data


class CheckForm(forms.Form):
    file1 = forms.FileField(required=False, label=_("Add a file"))
    file2 = forms.FileField(required=False, label=_("Add another file"))
    file3 = forms.FileField(required=False, label=_("Add another file"))
    # A honeypot: hidden from people, filled in by form-filling robots.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def files_list(self) -> list[Any]:
        return [self.cleaned_data[f] for f in ("file1", "file2", "file3") if self.cleaned_data.get(f)]

    def clean(self) -> dict[str, Any]:
        from liaison.lib.errors import ApplicationError
        from liaison.lib.uploads import check_upload

        data = super().clean() or {}
        for name in ("file1", "file2", "file3"):
            upload = data.get(name)
            if not upload:
                continue
            if upload.size > PUBLIC_MAX_FILE_MB * 1024 * 1024:
                self.add_error(name, _("This file is too big: the limit is %(mb)s MB.") % {"mb": PUBLIC_MAX_FILE_MB})
                continue
            try:
                check_upload(upload)
            except ApplicationError:
                self.add_error(
                    name, _("This kind of file cannot be sent. Use %(kinds)s.") % {"kinds": ALLOWED_DESCRIPTION}
                )
        return data


class ProgressForm(forms.Form):
    reference = PublicTextField(max_length=32, label=_("Your reference"), help_text=_("For example RGH-2026-00042."))
    secret = PublicTextField(
        max_length=40, label=_("Your progress code"), help_text=_("The code we gave you with your reference.")
    )
