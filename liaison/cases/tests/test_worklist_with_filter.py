"""Other apps add choices to the worklist's "With" filter (a meeting coming up, an appeal deadline); the
worklist and its download keep exactly the cases the registered condition keeps."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db.models import Q
from django.test import Client

from conftest import Cast
from liaison.accounts.models import User
from liaison.cases import hooks
from liaison.cases.hooks import WorklistFilter


@pytest.fixture
def priority_filter() -> Iterator[WorklistFilter]:
    """A filter as another app would register it (high or extreme priority), taken away afterwards."""
    registered = WorklistFilter("urgent", "An urgent matter", lambda now: Q(priority__in=("high", "extreme")))
    hooks.register_worklist_filter(registered)
    yield registered
    hooks._WORKLIST_FILTERS.pop("urgent", None)


def test_a_registered_filter_narrows_the_worklist_and_its_download(
    cast: Cast, open_case: Any, as_user: Callable[[User], Client], priority_filter: WorklistFilter
) -> None:
    urgent = open_case(risk_consequence=5, risk_likelihood=5)
    calm = open_case(risk_consequence=1, risk_likelihood=1)
    assert (urgent.priority, calm.priority) == ("extreme", "low")
    officer = as_user(cast.officer)
    page = officer.get("/cases/", {"view": "site", "with": "urgent"}).content.decode()
    assert "An urgent matter" in page  # offered in the filter
    assert urgent.reference in page and calm.reference not in page
    everything = officer.get("/cases/", {"view": "site"}).content.decode()
    assert urgent.reference in everything and calm.reference in everything
    download = officer.get("/insights/exports/cases.csv", {"view": "site", "with": "urgent"})
    listed = set(re.findall(r"RGH-\d{4}-\d{5}", b"".join(download.streaming_content).decode()))  # type: ignore[attr-defined]
    assert listed == {urgent.reference}


def test_an_unknown_choice_keeps_every_case(cast: Cast, open_case: Any, as_user: Callable[[User], Client]) -> None:
    case = open_case()
    page = as_user(cast.officer).get("/cases/", {"view": "site", "with": "nonsense"})
    assert page.status_code == 200 and case.reference in page.content.decode()
