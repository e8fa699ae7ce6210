from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from conftest import Cast
from liaison.cases.models import Case
from liaison.cases.services import case_open

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    """The morning after most sample messages were sent; case references are RGH-2026-…."""
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def rgh_complaints(cast: Cast) -> Cast:
    """The cast, with Riverside's published complaints address set (Harbor Point has none)."""
    cast.rgh.complaints_contact_email = "complaints@rgh.example"
    cast.rgh.save()
    return cast


@pytest.fixture
def riverside_case(rgh_complaints: Cast) -> Case:
    """A complaint logged by phone at Riverside: RGH-2026-00001."""
    return case_open(
        acting_user=rgh_complaints.officer,
        site=rgh_complaints.rgh,
        case_type="complaint",
        channel="phone",
        patient_name="Margaret Doe",
        complainant_is_patient=False,
        complainant_name="Jane Doe",
        complainant_email="jane.doe@example.net",
        account="My mother was discharged with the wrong medication list.",
    )
