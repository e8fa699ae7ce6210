from __future__ import annotations

from typing import Any

import pytest

from liaison.advocacy.demo import demo_load_advocacy
from liaison.advocacy.models import Appeal
from liaison.cases.services import case_open

pytestmark = pytest.mark.django_db


def test_the_demo_holds_appeals_in_every_state_once(cast: Any) -> None:
    for _ in range(6):
        case_open(acting_user=cast.officer, site=cast.rgh, case_type="advocacy", channel="phone", owner=cast.officer)
    assert demo_load_advocacy() == 6
    assert set(Appeal.objects.values_list("status", flat=True)) == {"preparing", "filed", "decided", "withdrawn"}
    assert set(Appeal.objects.exclude(outcome="").values_list("outcome", flat=True)) == {
        "overturned", "upheld", "partly", "withdrawn",
    }  # fmt: skip
    assert demo_load_advocacy() == 0
