from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from liaison.advocacy.models import Appeal
from liaison.advocacy.services import appeal_record
from liaison.cases.models import Case
from liaison.cases.services import case_open


@pytest.fixture
def advocacy_case(cast: Any) -> Case:
    return case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="advocacy",
        channel="phone",
        owner=cast.officer,
        patient_known=True,
        patient_name="Pat Example",
    )


@pytest.fixture
def appeal(cast: Any, advocacy_case: Case) -> Appeal:
    return appeal_record(
        acting_user=cast.officer,
        case=advocacy_case,
        org_name="Acme Health Plan",
        org_kind="payer",
        plan_type="erisa_employer",
        level="internal",
        urgency="standard",
        timing="post_service",
        decision_received_on=date(2026, 1, 5),
        service="MRI of the knee",
        amount=Decimal("1200.00"),
        reason_given="Not medically necessary",
    )


@pytest.fixture
def open_case(cast: Any):  # type: ignore[no-untyped-def]
    def _open(**overrides: Any) -> Case:
        fields: dict[str, Any] = {
            "acting_user": cast.officer,
            "site": cast.rgh,
            "case_type": "complaint",
            "channel": "phone",
        }
        fields.update(overrides)
        return case_open(**fields)

    return _open
