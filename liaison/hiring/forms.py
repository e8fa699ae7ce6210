"""Forms of the hiring pages: every value a person posts is checked here before a service sees it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from liaison.hiring.models import Drill, DrillResponse


class ApproveForm(forms.Form):
    title = forms.CharField(max_length=200)
    scenario = forms.CharField()


class CommentForm(forms.Form):
    response = forms.ModelChoiceField(
        label="Reply",
        queryset=DrillResponse.objects.none(),
        error_messages={
            "required": "Choose one of this drill's replies to comment on.",
            "invalid_choice": "Choose one of this drill's replies to comment on.",
        },
    )
    comment_text = forms.CharField(required=False, max_length=4000, label="Comment")

    def __init__(self, *args: Any, drill: Drill, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["response"].queryset = drill.responses.all()  # type: ignore[attr-defined]


class RespondForm(forms.Form):
    text = forms.CharField(required=False, max_length=8000, label="Your reply")


SCORES = [(str(n), str(n)) for n in range(1, 6)]
SCORE_MESSAGE = "Scores run from 1 to 5."


class ScoreSheetForm(forms.Form):
    """One interviewer's scores and notes, one pair of fields per question of the vacancy's kit."""

    def __init__(self, *args: Any, question_keys: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question_keys = question_keys
        for key in question_keys:
            self.fields[f"score_{key}"] = forms.TypedChoiceField(
                choices=SCORES,
                coerce=int,
                required=False,
                empty_value=None,
                label="Score",
                error_messages={"invalid_choice": SCORE_MESSAGE},
            )
            self.fields[f"notes_{key}"] = forms.CharField(required=False, max_length=4000, label="Notes")

    def scores(self) -> list[tuple[str, int, str]]:
        """(question, score, notes) for each question given a score."""
        data = self.cleaned_data
        return [
            (key, data[f"score_{key}"], data[f"notes_{key}"])
            for key in self.question_keys
            if data[f"score_{key}"] is not None
        ]


def first_error(form: forms.Form) -> str:
    """The first problem of a form, for pages that show it as a message rather than beside the field."""
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS:
            return str(errors[0])
        return f"{form[name].label}: {errors[0]}"
    return "Check what you entered."
