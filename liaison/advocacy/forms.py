"""Forms of the advocacy pages. Every posted value becomes a clear message, never a server error."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from liaison.advocacy import rules
from liaison.advocacy.models import Appeal, AppealOutcome, DocumentKind

DATE = forms.DateInput(attrs={"type": "date"})
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0"), "max_value": Decimal("9999999999.99")}


class AppealForm(forms.ModelForm):
    class Meta:
        model = Appeal
        fields = [
            "org_name",
            "org_kind",
            "plan_type",
            "level",
            "urgency",
            "timing",
            "decision_received_on",
            "service",
            "amount",
            "reason_given",
            "filed_on",
        ]
        widgets = {"decision_received_on": DATE, "filed_on": DATE, "reason_given": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "urgency": "Expedited when waiting could seriously harm the patient's life, health or ability to function.",
            "timing": "Employer and marketplace plans give more time to decide on a service already received.",
            "filed_on": "Leave empty while the appeal is being prepared.",
        }


class ContactForm(forms.Form):
    occurred_at = forms.DateTimeField(
        label="When", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    person = forms.CharField(label="Who you spoke to", max_length=200)
    reference_number = forms.CharField(label="Their reference number", max_length=100, required=False)
    said = forms.CharField(label="What was said", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of document", choices=[c for c in DocumentKind.choices if c[0] != DocumentKind.APPEAL_LETTER]
    )
    file = forms.FileField(label="File", help_text="PDF, Word (.docx), JPEG, PNG, GIF or plain text.")


class LetterForm(forms.Form):
    argument = forms.CharField(
        label="Why the decision is wrong",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="The medical reasons and the plan's own terms; the letter adds the facts of the appeal.",
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=AppealOutcome.choices)
    decision_on = forms.DateField(label="Date of the decision", widget=DATE)
    amount_recovered = forms.DecimalField(label="Amount recovered", initial=Decimal("0"), **MONEY)  # type: ignore[arg-type]


class RuleForm(forms.Form):
    key = forms.CharField(max_length=100, widget=forms.HiddenInput)
    amount = forms.IntegerField(label="Number", min_value=1, max_value=3650)
    unit = forms.ChoiceField(label="Counted in", choices=list(rules.UNITS.items()))
    reason = forms.CharField(label="Why this site differs", max_length=300)

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        try:
            rules.spec_for(key)
        except KeyError:
            raise forms.ValidationError("There is no such deadline rule.") from None
        return key


class ExtensionForm(forms.Form):
    days = forms.IntegerField(
        label="Days the plan added",
        min_value=1,
        max_value=rules.EXTENSION_MAX_DAYS,
        help_text=f"At most {rules.EXTENSION_MAX_DAYS} calendar days ({rules.EXTENSION_RULE_ID}).",
        error_messages={
            "max_value": f"The plan may extend by at most {rules.EXTENSION_MAX_DAYS} calendar days "
            f"({rules.EXTENSION_RULE_ID}).",
        },
    )
    reason = forms.CharField(label="Reason the plan gave", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    notified_on = forms.DateField(label="Date the patient was told", widget=DATE)


class RefusalForm(forms.Form):
    refused_on = forms.DateField(label="Date the plan refused the expedited review", widget=DATE)
