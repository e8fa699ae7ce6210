"""Form fields that turn any posted value into a validation message, never a server error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

BIGGEST_ID = 2**63 - 1


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, except that an id too large for the database is an invalid choice.

    Django looks the chosen ids up with ``pk__in``; SQLite raises OverflowError for a number over 64 bits, where
    a single choice (``pk=``) is simply not found.
    """

    def clean(self, value: Any) -> Any:
        queryset = self.queryset
        key = self.to_field_name or "pk"
        if queryset is not None and isinstance(value, list | tuple):
            meta = queryset.model._meta
            target = meta.pk if key == "pk" else meta.get_field(key)
            if isinstance(target, models.IntegerField):  # AutoField and BigAutoField are among them
                for item in value:
                    try:
                        number = int(str(item))
                    except ValueError:
                        continue  # Django's own check names it as an invalid value
                    if not -BIGGEST_ID <= number <= BIGGEST_ID:
                        raise ValidationError(
                            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                        )
        return super().clean(value)
