from __future__ import annotations

from typing import Any

import pytest

from conftest import Cast
from liaison.cases.models import Case
from liaison.cases.services import case_open


@pytest.fixture
def open_case(cast: Cast):  # type: ignore[no-untyped-def]
    """open_case(**overrides) -> a case at Riverside logged by the officer through the real service."""

    def _open(**overrides: Any) -> Case:
        fields: dict[str, Any] = {
            "acting_user": cast.officer,
            "site": cast.rgh,
            "case_type": "complaint",
            "channel": "phone",
            "patient_name": "Ada Testpatient",
            "patient_mrn": "RGH0000001",
            "account": "The nurse on ward 7 did not answer the call bell for an hour.",
            "issues": [
                {"category": "communication", "severity": 2, "department": cast.ed, "summary": "Call bell not answered"}
            ],
        }
        fields.update(overrides)
        return case_open(**fields)

    return _open
