"""The scoping rule, checked: views never query patient data directly, only through the scope helpers."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]
# Models whose rows identify patients; views reach them only through selectors such as cases_for_user().
PATIENT_MODELS = ("Case", "FeedbackResponse", "Attachment", "TimelineEvent", "InboundMessage")
DIRECT = re.compile(r"\b(" + "|".join(PATIENT_MODELS) + r")\.objects\b")


def test_no_view_queries_a_patient_data_model_without_the_scope_helper() -> None:
    offenders = []
    for path in sorted(PACKAGE.glob("*/*views.py")) + sorted(PACKAGE.glob("*/api.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if DIRECT.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert not offenders, "Use the app's selectors (e.g. cases_for_user) instead of:\n" + "\n".join(offenders)


def test_the_rule_catches_a_direct_query(tmp_path: Path) -> None:
    assert DIRECT.search("case = Case.objects.get(pk=pk)")
    assert not DIRECT.search("case = selectors.get_case_for_user(user=user, reference=reference)")
