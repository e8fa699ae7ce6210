from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, users_with
from liaison.knowledge.models import Category, Language, Visibility
from liaison.org.models import Site

BODY_HELP = (
    'Paragraphs in <p>…</p>; <strong>, <em>, lists, headings (<h2>, <h3>) and links (<a href="https://…">) '
    "are kept, anything else is removed. Quote the site's rules with {{ pack.acknowledge_working_days }}, "
    "{{ pack.response_months }}, {{ pack.time_limit_months }}, {{ pack.interim_days }}, {{ pack.state_agency_name }}, "
    "{{ pack.qio_name }} … and its contacts with {{ site.complaints_contact_phone }} and the like."
)


class PublicSearchForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, label=_("Search"))


class StaffSearchForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, label="Search")
    due = forms.BooleanField(required=False, label="Due for review (within 30 days or overdue)")


def _owner_field(sites: Any) -> forms.ModelChoiceField[User]:
    owners = users_with(Cap.KNOWLEDGE_OWN).filter(sites__in=sites).distinct().order_by("full_name")
    return forms.ModelChoiceField(queryset=owners, required=False, help_text="Keeps the article accurate.")


class _ContentFields(forms.Form):
    category = forms.ChoiceField(choices=Category.choices)
    visibility = forms.ChoiceField(
        choices=Visibility.choices, help_text="Internal articles are seen only by the office's staff."
    )
    review_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Review by")
    title = forms.CharField(max_length=200)
    summary = forms.CharField(max_length=400, required=False, help_text="One or two sentences shown in lists.")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "true"}), label="Text", help_text=BODY_HELP
    )
    note = forms.CharField(max_length=300, required=False, label="What changed")


class ArticleForm(_ContentFields):
    site = forms.ModelChoiceField(queryset=Site.objects.none())
    key = forms.SlugField(
        max_length=80,
        help_text="Lower-case words joined by hyphens, e.g. how-to-complain. A translation uses the same key.",
    )
    language = forms.ChoiceField(choices=Language.choices)

    field_order = [
        "site",
        "key",
        "language",
        "category",
        "visibility",
        "owner",
        "review_date",
        "title",
        "summary",
        "body",
    ]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = Site.objects.filter(pk__in=user.site_ids, is_active=True)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["owner"] = _owner_field(sites)
        self.order_fields(self.field_order)
        self.fields.pop("note")


class EditForm(_ContentFields):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = _owner_field(Site.objects.filter(pk=site.pk))
        self.order_fields(["version", "category", "visibility", "owner", "review_date", "title", "summary", "body"])


class SendForm(forms.Form):
    article = forms.TypedChoiceField(coerce=int, label="Article to send")

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["article"].choices = choices  # type: ignore[attr-defined]
