"""The appeal's next deadline waits on My work, and the worklist can keep the cases with an appeal under way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import time_machine
from django.test import Client

from liaison.accounts.models import User
from liaison.advocacy.models import Appeal
from liaison.advocacy.selectors import deadlines_for_user
from liaison.advocacy.services import outcome_record


def test_the_next_appeal_deadline_is_on_the_owner_s_my_work(
    cast: Any, appeal: Appeal, as_user: Callable[[User], Client]
) -> None:
    with time_machine.travel(date(2026, 1, 20), tick=False):
        [deadline, *_] = deadlines_for_user(cast.officer)
        page = as_user(cast.officer).get("/").content.decode()
    assert "Appeal deadlines" in page
    assert appeal.case.reference in page and deadline.rule_id in page
    assert f"{deadline.due:%-d %B %Y}" in page
    # An investigator has no appeals to keep.
    assert "Appeal deadlines" not in as_user(cast.investigator).get("/").content.decode()


def test_the_worklist_keeps_the_cases_with_an_appeal_under_way(
    cast: Any, appeal: Appeal, open_case: Any, as_user: Callable[[User], Client]
) -> None:
    other = open_case()
    officer = as_user(cast.officer)
    page = officer.get("/cases/", {"view": "site", "with": "open_appeal"}).content.decode()
    assert appeal.case.reference in page and other.reference not in page
    outcome_record(
        acting_user=cast.officer,
        appeal=appeal,
        outcome="overturned",
        decision_on=date.today(),
        amount_recovered=Decimal("1"),
    )
    page = officer.get("/cases/", {"view": "site", "with": "open_appeal"}).content.decode()
    assert appeal.case.reference not in page
