from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can, users_with
from liaison.cases import hooks, rules
from liaison.cases.models import (
    Case,
    CaseType,
    Channel,
    ConsentMethod,
    ExternalBody,
    HcatCategory,
    InformalOutcome,
    Issue,
    Outcome,
    PhsoStage,
    Priority,
    RestrictionReason,
    StageOfCare,
    Status,
    TimelineKind,
)
from liaison.cases.rules import RED_FLAGS
from liaison.cases.selectors import WorklistFilters
from liaison.lib.forms import ModelMultipleChoiceField
from liaison.org.models import Department, Site, StaffGroup

LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("pl", "Polish"),
    ("ur", "Urdu"),
    ("pa", "Punjabi"),
    ("so", "Somali"),
    ("zh", "Chinese"),
    ("ar", "Arabic"),
    ("bn", "Bengali"),
    ("other", "Another language"),
]
TOPICS = [
    ("abuse", "Abuse"),
    ("neglect", "Neglect"),
    ("billing", "Billing"),
    ("medicare_billing_rights", "Medicare billing rights (42 CFR 489)"),
    ("quality_of_care", "Quality of care"),
    ("premature_discharge", "Premature discharge"),
]
RISK = [(i, str(i)) for i in range(1, 6)]
CONSEQUENCE = [(1, "1 — negligible"), (2, "2 — minor"), (3, "3 — moderate"), (4, "4 — major"), (5, "5 — catastrophic")]
LIKELIHOOD = [(1, "1 — rare"), (2, "2 — unlikely"), (3, "3 — possible"), (4, "4 — likely"), (5, "5 — almost certain")]


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class CaseDetailsForm(forms.Form):
    """The fields shared by intake and editing."""

    event_date = forms.DateField(required=False, label="When it happened", widget=_date_input())
    awareness_date = forms.DateField(required=False, label="When they became aware, if later", widget=_date_input())
    patient_known = forms.BooleanField(required=False, initial=True, label="The patient is known")
    patient_name = forms.CharField(required=False, max_length=200, label="Patient's name")
    patient_mrn = forms.CharField(required=False, max_length=40, label="Patient's MRN (hospital number)")
    patient_dob = forms.DateField(required=False, label="Patient's date of birth", widget=_date_input())
    patient_phone = forms.CharField(required=False, max_length=50, label="Patient's phone")
    patient_email = forms.EmailField(required=False, label="Patient's email")
    patient_address = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Patient's address"
    )
    complainant_is_patient = forms.BooleanField(
        required=False, initial=True, label="The patient is raising it themselves"
    )
    complainant_name = forms.CharField(required=False, max_length=200, label="Representative's name")
    complainant_relationship = forms.CharField(required=False, max_length=100, label="Relationship to the patient")
    complainant_phone = forms.CharField(required=False, max_length=50, label="Representative's phone")
    complainant_email = forms.EmailField(required=False, label="Representative's email")
    complainant_address = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Representative's address"
    )
    consent_method = forms.ChoiceField(
        required=False, choices=[("", "—"), *ConsentMethod.choices], label="Consent or authority to act"
    )
    consent_date = forms.DateField(required=False, label="Date consent was given", widget=_date_input())
    preferred_language = forms.ChoiceField(choices=LANGUAGES, initial="en")
    interpreter_needed = forms.BooleanField(required=False)
    accessibility_needs = forms.CharField(required=False, max_length=300)
    desired_outcome = forms.CharField(
        required=False, label="What they want to happen", widget=forms.Textarea(attrs={"rows": 2})
    )
    account = forms.CharField(
        required=False, label="Their account, in their words", widget=forms.Textarea(attrs={"rows": 5})
    )
    risk_consequence = forms.TypedChoiceField(choices=CONSEQUENCE, coerce=int, initial=1, label="Consequence")
    risk_likelihood = forms.TypedChoiceField(choices=LIKELIHOOD, coerce=int, initial=1, label="Likelihood")
    red_flags = forms.MultipleChoiceField(
        required=False,
        choices=[(k, v[0]) for k, v in RED_FLAGS.items()],
        widget=forms.CheckboxSelectMultiple,
        label="Red flags",
    )
    topics = forms.MultipleChoiceField(
        required=False, choices=TOPICS, widget=forms.CheckboxSelectMultiple, label="Topics"
    )
    resolved_at_time_by_staff_present = forms.BooleanField(
        required=False, label="Resolved at the time by staff present"
    )
    postponed = forms.BooleanField(required=False, label="Resolution postponed")
    referred = forms.BooleanField(required=False, label="Referred to other staff to resolve later")
    requires_investigation = forms.BooleanField(required=False, label="Needs investigation")
    requires_further_action = forms.BooleanField(required=False, label="Needs further action")
    requested_formal_or_response = forms.BooleanField(
        required=False, label="Asked for a formal complaint or a response"
    )
    medicare_beneficiary = forms.BooleanField(required=False, label="Medicare beneficiary")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("patient_known") and not (data.get("patient_name") or "").strip():
            self.add_error("patient_name", "Enter the patient's name, or untick “The patient is known”.")
        if not data.get("complainant_is_patient") and not (data.get("complainant_name") or "").strip():
            self.add_error("complainant_name", "Enter the representative's name.")
        today = timezone.localdate()
        for name in ("event_date", "awareness_date", "patient_dob", "consent_date"):
            if data.get(name) and data[name] > today:
                self.add_error(name, "This date is in the future.")
        return data


class IntakeForm(CaseDetailsForm):
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(), empty_label=None, widget=forms.Select(attrs={"autofocus": True})
    )
    case_type = forms.ChoiceField(choices=CaseType.choices, initial=CaseType.COMPLAINT, label="Type")
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    received_at = forms.DateTimeField(
        required=False,
        label="Received",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for now. In the site's local time.",
    )
    issue_category = forms.ChoiceField(
        choices=[("", "—"), *HcatCategory.choices], required=False, label="Main issue (HCAT category)"
    )
    issue_severity = forms.TypedChoiceField(
        choices=[(1, "1 — low"), (2, "2 — medium"), (3, "3 — high")], coerce=int, initial=1, label="Severity"
    )
    issue_department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False, label="Department")
    issue_stage = forms.ChoiceField(choices=StageOfCare.choices, initial=StageOfCare.OTHER, label="Stage of care")
    issue_staff_group = forms.ChoiceField(
        choices=[("", "Not known"), *StaffGroup.choices], required=False, label="Staff group"
    )
    issue_summary = forms.CharField(required=False, max_length=300, label="Issue in a line")
    assign_to_me = forms.BooleanField(required=False, initial=True, label="Assign to me")

    field_order = [
        "site",
        "case_type",
        "channel",
        "received_at",
        "patient_known",
        "patient_name",
        "patient_mrn",
        "patient_dob",
    ]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = Site.objects.filter(pk__in=user.site_ids, is_active=True).order_by("name")
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        departments = Department.objects.filter(site__in=sites, is_active=True).select_related("site")
        self.fields["issue_department"].queryset = departments  # type: ignore[attr-defined]
        self.fields["issue_department"].label_from_instance = lambda d: f"{d.name} — {d.site.code}"  # type: ignore[attr-defined]

    def full_clean(self) -> None:
        super().full_clean()
        # One element per page may have autofocus: after a refused save it is the error summary (intake.html).
        if self.errors:
            self.fields["site"].widget.attrs.pop("autofocus", None)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        department = data.get("issue_department")
        if department and data.get("site") and department.site_id != data["site"].pk:
            self.add_error("issue_department", "Choose a department of the same site.")
        if data.get("issue_category") and not (data.get("issue_summary") or "").strip():
            self.add_error("issue_summary", "Describe the issue in a line.")
        received = data.get("received_at")
        if received and received > timezone.now():
            self.add_error("received_at", "The received time cannot be in the future.")
        return data


class CaseEditForm(CaseDetailsForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    agreed_response_date = forms.DateField(
        required=False, label="Response date agreed with the complainant", widget=_date_input()
    )

    @staticmethod
    def initial_for(case: Case) -> dict[str, Any]:
        names = [n for n in CaseEditForm.base_fields if n != "version"]
        return {**{n: getattr(case, n) for n in names}, "version": case.version}


class WorklistForm(forms.Form):
    """The worklist's filters: GET parameters without patient identifiers (the search words are posted)."""

    FILTERS = ("view", "case_type", "status", "priority", "department", "due", "with")

    view = forms.ChoiceField(
        choices=[("mine", "My cases"), ("unassigned", "Unassigned"), ("site", "All at my sites")], required=False
    )
    case_type = forms.ChoiceField(choices=[("", "Any type"), *CaseType.choices], required=False, label="Type")
    status = forms.ChoiceField(choices=[("open", "Open"), ("", "Any status"), *Status.choices], required=False)
    priority = forms.ChoiceField(choices=[("", "Any priority"), *Priority.choices], required=False)
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), required=False, empty_label="Any department"
    )
    due = forms.ChoiceField(
        choices=[("", "Any"), ("overdue", "Overdue"), ("due_soon", "Due soon"), ("on_track", "On track")],
        required=False,
        label="Due",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # "With": what other apps register (a meeting coming up, an appeal deadline); the field is named
        # "with" in the address, which is not a Python name, so it is added here.
        self.fields["with"] = forms.ChoiceField(
            choices=[("", "Anything"), *((f.key, f.label) for f in hooks.worklist_filters())],
            required=False,
            label="With",
        )
        self.fields["department"].queryset = Department.objects.filter(site_id__in=user.site_ids).select_related("site")  # type: ignore[attr-defined]
        self.fields["department"].label_from_instance = lambda d: f"{d.name} — {d.site.code}"  # type: ignore[attr-defined]

    def filters(self, search_text: str | None) -> WorklistFilters:
        """What the worklist (and its download) shows for these parameters; invalid values count as "any"."""
        self.is_valid()
        cleaned: dict[str, Any] = getattr(self, "cleaned_data", {})
        data = self.data
        return WorklistFilters(
            view=cleaned.get("view") or ("mine" if can(self.user, Cap.CASE_IDENTITY) else "site"),
            case_type=cleaned.get("case_type") or "",
            # No status parameter at all means the open cases; an empty one means any status.
            status=cleaned.get("status", "open") if "status" in data and "status" in cleaned else "open",
            priority=cleaned.get("priority") or "",
            department=cleaned["department"].pk if cleaned.get("department") else None,
            due=cleaned.get("due") or "",
            q=search_text or "",
            with_=cleaned.get("with") or "",
        )


# -- Actions ------------------------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (TimelineKind.NOTE, "Note"),
            (TimelineKind.CALL, "Phone call"),
            (TimelineKind.EMAIL, "Email"),
            (TimelineKind.LETTER, "Letter"),
        ]
    )
    summary = forms.CharField(max_length=300)
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Details")
    duration_minutes = forms.IntegerField(required=False, min_value=1, max_value=600, label="Call length (minutes)")


class AcknowledgeForm(forms.Form):
    how = forms.ChoiceField(
        choices=[("phone", "phone"), ("letter", "letter"), ("email", "email"), ("in person", "in person")],
        label="Acknowledged by",
    )


class RespondForm(forms.Form):
    written_notice = forms.BooleanField(
        required=False, label="This is the written notice of the decision (required for a grievance)"
    )


class CloseForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Closing note")


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Nobody (unassigned)")

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (  # type: ignore[attr-defined]
            users_with(Cap.CASE_OWN, case.site).order_by("full_name")
        )


class ConvertForm(forms.Form):
    new_type = forms.ChoiceField(choices=CaseType.choices, label="New type")


class ReferForm(forms.Form):
    body = forms.ChoiceField(choices=ExternalBody.choices, label="Referred to")
    referred_on = forms.DateField(widget=_date_input())
    reference = forms.CharField(required=False, max_length=100, label="Their reference")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bodies = rules.referral_bodies(case)
        self.fields["body"].choices = [(v, label) for v, label in ExternalBody.choices if v in bodies]  # type: ignore[attr-defined]

    def clean_referred_on(self) -> Any:
        day = self.cleaned_data["referred_on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError("The referral date cannot be in the future.")
        return day


class TimeLimitForm(forms.Form):
    good_reason = forms.BooleanField(required=False, label="The complainant had good reason for not complaining sooner")
    fair_investigation_possible = forms.BooleanField(
        required=False, label="It is still possible to investigate effectively and fairly"
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Reasons for the decision")


class ExtensionForm(forms.Form):
    until = forms.DateField(widget=_date_input(), label="New response date")
    agreement = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="How and when the complainant agreed")


class InterimForm(forms.Form):
    followup_within_days = forms.IntegerField(
        min_value=1, max_value=90, label="Written response will follow within (days)"
    )


class InformalForm(forms.Form):
    outcome = forms.ChoiceField(choices=InformalOutcome.choices)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What was done or agreed")
    flag_for_review = forms.BooleanField(required=False, label="Flag for the manager's review")


class PhsoStageForm(forms.Form):
    stage = forms.ChoiceField(choices=PhsoStage.choices, label="How it is handled")


class AttachForm(forms.Form):
    file = forms.FileField(help_text="PDF, Word (.docx), JPEG, PNG, GIF or plain text; up to 20 MB.")


class LinkForm(forms.Form):
    other_reference = forms.CharField(max_length=32, label="Other case's reference")
    merge = forms.BooleanField(required=False, label="This case is a duplicate: merge it into the other case")


class RestrictForm(forms.Form):
    restricted = forms.BooleanField(required=False, label="Restrict this case to named people")
    reason = forms.ChoiceField(choices=[("", "—"), *RestrictionReason.choices], required=False)
    users = ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="People who may see it"
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = (  # type: ignore[attr-defined]
            users_with(Cap.CASE_OWN, case.site).order_by("full_name")
        )


class FindingsForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices, label="Overall outcome")
    how_considered = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label="How the complaint was looked into",
        help_text="The steps taken, in words the complainant will read in the response.",
    )
    learning = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    completed_on = forms.DateField(
        required=False, widget=_date_input(), label="Investigation completed on", help_text="Leave empty for today."
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.issues = list(case.issues.order_by("pk"))
        for index, issue in enumerate(self.issues, start=1):
            self.fields[f"finding_{issue.pk}"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 3}),
                label=f"Finding on issue {index}: {issue.summary}",
                initial=issue.finding,
            )
            self.fields[f"outcome_{issue.pk}"] = forms.ChoiceField(
                choices=Outcome.choices, label=f"Outcome of issue {index}", initial=issue.outcome or None
            )
        self.fields["outcome"].initial = case.outcome or None
        self.fields["how_considered"].initial = case.how_considered
        self.fields["learning"].initial = case.learning

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "issue_findings": {i.pk: (data[f"finding_{i.pk}"], data[f"outcome_{i.pk}"]) for i in self.issues},
            "outcome": data["outcome"],
            "how_considered": data["how_considered"],
            "learning": data["learning"],
            "completed_on": data["completed_on"],
        }


class PromisedActionForm(forms.Form):
    description = forms.CharField(max_length=300, label="What will be done")
    owner = forms.CharField(
        max_length=200, label="Who will do it, as the letter says", help_text="A person or a team, in plain words."
    )
    action_owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Who sees it through",
        help_text="They own the improvement action, find it on their My work and are reminded before it is due.",
    )
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False)
    due_date = forms.DateField(widget=_date_input(), label="By when")

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As for any improvement action: an auditor stays independent of what they audit.
        self.fields["action_owner"].queryset = (  # type: ignore[attr-defined]
            users_with(Cap.IMPROVEMENT_OWN, case.site).exclude(pk__in=users_with(Cap.AUDIT_READ)).order_by("full_name")
        )
        self.fields["action_owner"].initial = case.owner_id
        self.fields["department"].queryset = Department.objects.filter(site=case.site, is_active=True)  # type: ignore[attr-defined]
        self.fields["department"].label_from_instance = lambda d: d.name  # type: ignore[attr-defined]
        coded = case.issues.exclude(department=None).values_list("department_id", flat=True).first()
        self.fields["department"].initial = coded or case.reported_department_id


class IssueForm(forms.Form):
    category = forms.ChoiceField(choices=HcatCategory.choices, label="HCAT category")
    severity = forms.TypedChoiceField(choices=[(1, "1 — low"), (2, "2 — medium"), (3, "3 — high")], coerce=int)
    stage_of_care = forms.ChoiceField(choices=StageOfCare.choices)
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False)
    staff_group = forms.ChoiceField(choices=[("", "Not known"), *StaffGroup.choices], required=False)
    summary = forms.CharField(max_length=300, label="The issue in a line")

    def __init__(self, *args: Any, case: Case, issue: Issue | None = None, **kwargs: Any) -> None:
        if issue is not None:
            kwargs.setdefault(
                "initial",
                {
                    "category": issue.category,
                    "severity": issue.severity,
                    "stage_of_care": issue.stage_of_care,
                    "department": issue.department_id,
                    "staff_group": issue.staff_group,
                    "summary": issue.summary,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(site=case.site, is_active=True)  # type: ignore[attr-defined]


class PatientLookupForm(forms.Form):
    """Find the patient in the hospital's record system (liaison/cases/patient_lookup.py). Posted with the
    intake form, under the prefix "lookup", so that what the officer has typed comes along."""

    mrn = forms.CharField(required=False, max_length=40, label="MRN (hospital number)")
    family = forms.CharField(required=False, max_length=100, label="Family name")
    given = forms.CharField(required=False, max_length=100, label="Given name")
    birth_date = forms.DateField(required=False, label="Date of birth", widget=_date_input())

    prefix = "lookup"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or data.get("mrn"):
            return data
        if not data.get("family") and not data.get("birth_date"):
            raise forms.ValidationError("Enter the MRN, or the family name and the date of birth.")
        if not data.get("family"):
            self.add_error("family", "Enter the family name as well as the date of birth.")
        if not data.get("birth_date"):
            self.add_error("birth_date", "Enter the date of birth as well as the family name.")
        elif data["birth_date"] > timezone.localdate():
            self.add_error("birth_date", "This date is in the future.")
        return data
