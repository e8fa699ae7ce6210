from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.feedback.models import QuestionKind, Sentiment, Survey
from liaison.feedback.services import FFT_CHOICES, LIKERT_CHOICES
from liaison.lib.language import in_staff_language, staff_language_if_other
from liaison.org.models import Department, Site


class SiteChoiceForm(forms.Form):
    """Which site a new survey or improvement action is for, among the sites where the user may do that work.

    A GET form above the main one: the site decides which departments and owners the main form offers.
    """

    site = forms.ChoiceField(label="Site")

    def __init__(self, *args: Any, user: User, cap: Cap, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "choose_%s")
        super().__init__(*args, **kwargs)
        work_site_ids = [pk for pk in user.site_ids if can(user, cap, pk)]
        self.sites = list(Site.objects.filter(pk__in=work_site_ids, is_active=True).order_by("name"))
        self.fields["site"].choices = [(site.code, site.name) for site in self.sites]  # type: ignore[attr-defined]

    @property
    def is_needed(self) -> bool:
        """Only someone who works at more than one site has anything to choose."""
        return len(self.sites) > 1


class SurveyForm(forms.Form):
    title = forms.CharField(max_length=200)
    intro = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Introduction")
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), required=False, empty_label="The whole site"
    )

    def __init__(self, *args: Any, site_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(site_id=site_id, is_active=True)  # type: ignore[attr-defined]
        self.fields["department"].label_from_instance = lambda d: d.name  # type: ignore[attr-defined]


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(choices=QuestionKind.choices, label="Type")
    text = forms.CharField(max_length=300, label="Question")
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Options (one per line)",
        help_text="For one or several choices.",
    )
    required = forms.BooleanField(required=False)


class AnswerForm(forms.Form):
    """The public survey, built from its questions."""

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Staff wrote the questions and options: they keep their words, marked with their language.
        self.staff_language = staff_language_if_other()
        for q in survey.questions.all():
            name = str(q.pk)
            common: dict[str, Any] = {"label": in_staff_language(q.text), "required": q.required}
            if q.kind == QuestionKind.FFT:
                self.fields[name] = forms.TypedChoiceField(
                    choices=[(v, _(label)) for v, label in FFT_CHOICES], coerce=int, widget=forms.RadioSelect, **common
                )
            elif q.kind == QuestionKind.LIKERT:
                self.fields[name] = forms.ChoiceField(
                    choices=[(c, _(c)) for c in LIKERT_CHOICES], widget=forms.RadioSelect, **common
                )
            elif q.kind == QuestionKind.LIKELIHOOD:
                self.fields[name] = forms.TypedChoiceField(
                    choices=[(i, str(i)) for i in range(11)],
                    coerce=int,
                    widget=forms.RadioSelect(attrs={"class": "scale"}),
                    help_text=_("0 = not at all likely, 10 = extremely likely"),
                    **common,
                )
            elif q.kind == QuestionKind.YES_NO:
                self.fields[name] = forms.ChoiceField(
                    choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect, **common
                )
            elif q.kind == QuestionKind.SINGLE:
                self.fields[name] = forms.ChoiceField(
                    choices=[(c, in_staff_language(c)) for c in q.choices], widget=forms.RadioSelect, **common
                )
            elif q.kind == QuestionKind.MULTIPLE:
                self.fields[name] = forms.MultipleChoiceField(
                    choices=[(c, in_staff_language(c)) for c in q.choices],
                    widget=forms.CheckboxSelectMultiple,
                    **common,
                )
            else:
                self.fields[name] = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 5}), **common)
        self.fields["consent"] = forms.BooleanField(
            required=False,
            label=_("You may contact me about my answers"),
            help_text=_("Leave this unticked to stay anonymous."),
        )
        self.fields["name"] = forms.CharField(required=False, max_length=200, label=_("Your name"))
        self.fields["email"] = forms.EmailField(required=False, label=_("Email"))
        self.fields["phone"] = forms.CharField(required=False, max_length=50, label=_("Phone"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("consent") and not (data.get("email") or data.get("phone")):
            raise forms.ValidationError(_("To be contacted, give us an email address or a phone number."))
        return data


class ResponseFilterForm(forms.Form):
    """The answers list's filters, read from the address."""

    theme = forms.CharField(required=False, max_length=200)
    sentiment = forms.TypedChoiceField(choices=Sentiment.choices, coerce=int, required=False, empty_value=None)
    needs_review = forms.BooleanField(required=False)


class CorrectionForm(forms.Form):
    themes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    sentiment = forms.TypedChoiceField(choices=Sentiment.choices, coerce=int)

    def __init__(self, *args: Any, labels: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = [(label, label) for label in labels]  # type: ignore[attr-defined]


class DashboardForm(forms.Form):
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), required=False, empty_label="All departments"
    )
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")

    def __init__(self, *args: Any, site_ids: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(site_id__in=site_ids).select_related("site")  # type: ignore[attr-defined]
        self.fields["department"].label_from_instance = lambda d: f"{d.name} — {d.site.code}"  # type: ignore[attr-defined]
