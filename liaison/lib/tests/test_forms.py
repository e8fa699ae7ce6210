"""Form fields that answer any posted value with a validation message."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from conftest import Cast
from liaison.accounts.models import User
from liaison.lib.forms import ModelMultipleChoiceField


@pytest.mark.parametrize("value", ["99999999999999999999", "-99999999999999999999", "abc", "1e309", "²"])
def test_it_refuses_an_id_that_no_row_can_have(cast: Cast, value: str) -> None:
    field = ModelMultipleChoiceField(queryset=User.objects.all())
    with pytest.raises(ValidationError):
        field.clean([str(cast.officer.pk), value])


def test_it_still_returns_the_chosen_rows(cast: Cast) -> None:
    field = ModelMultipleChoiceField(queryset=User.objects.all())
    assert list(field.clean([str(cast.officer.pk), str(cast.manager.pk)]).order_by("pk")) == [
        cast.officer,
        cast.manager,
    ]
