from __future__ import annotations

from typing import Any

import pytest

from conftest import Cast
from liaison.cases.models import Case
from liaison.cases.services import case_open
from liaison.webhooks.models import Event, Scope, Subscription
from liaison.webhooks.services import subscription_create

# The synthetic patient: none of this may appear in any delivery.
PATIENT = {
    "patient_name": "Zebedee Quillfeather",
    "patient_mrn": "MRN7713904",
    "patient_email": "zebedee.quillfeather@example.org",
    "patient_phone": "07700 900461",
    "patient_address": "12 Larkspur Mews, Oxbridge",
    "complainant_name": "Marigold Quillfeather",
    "complainant_email": "marigold.q@example.org",
    "account": "The porter left my father on a trolley in the corridor for six hours.",
    "desired_outcome": "An apology from the ward sister.",
}
PATIENT_TEXT = [str(v) for v in PATIENT.values()] + ["1941-03-02", "Zebedee", "Quillfeather", "7713904"]


@pytest.fixture
def subscribe(cast: Cast):  # type: ignore[no-untyped-def]
    """subscribe(url, events=..., scope=..., site=...) -> a subscription registered by the administrator."""

    def _subscribe(
        url: str = "https://risk.example.org/hooks",
        *,
        events: list[str] | None = None,
        scope: str = Scope.MINIMAL,
        **extra: Any,
    ) -> Subscription:
        return subscription_create(
            acting_user=cast.admin,
            name=extra.pop("name", "Risk system"),
            url=url,
            events=events or list(Event.values),
            scope=scope,
            **extra,
        ).subscription

    return _subscribe


@pytest.fixture
def patient_case(cast: Cast):  # type: ignore[no-untyped-def]
    """patient_case(**overrides) -> a concern about the synthetic patient, logged through the real service."""

    def _open(**overrides: Any) -> Case:
        from datetime import date

        fields: dict[str, Any] = {
            "acting_user": cast.officer,
            "site": cast.rgh,
            "case_type": "concern",
            "channel": "phone",
            "owner": cast.officer,
            "patient_dob": date(1941, 3, 2),
            **PATIENT,
        }
        fields.update(overrides)
        return case_open(**fields)

    return _open
