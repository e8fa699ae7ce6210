"""Loading the demo cases (invented people and stories) through the real services.

Cases are loaded once, into a demo organisation that has none yet, so a second ``liaison demo`` adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import User
from liaison.cases import rules, services
from liaison.cases.models import Case, CaseType, Status
from liaison.demo.cases_data import demo_case_specs
from liaison.org.models import Department, Site

_KNOWN_TOPICS = {"abuse", "neglect", "billing", "medicare_billing_rights", "quality_of_care", "premature_discharge"}
_US_FLAGS = (
    "resolved_at_time_by_staff_present",
    "postponed",
    "referred",
    "requires_investigation",
    "requires_further_action",
    "requested_formal_or_response",
    "medicare_beneficiary",
)


def _received_at(spec: dict[str, Any], site: Site, now: datetime) -> datetime:
    hour, minute = (int(part) for part in spec["received_time"].split(":"))
    day = timezone.localdate(now, site.zone) - timedelta(days=spec["received_days_ago"])
    moment = datetime.combine(day, time(hour, minute), tzinfo=site.zone)
    return min(moment, now - timedelta(minutes=30))


def _days_before(received: datetime, site: Site, days: int | None) -> date | None:
    return None if days is None else timezone.localdate(received, site.zone) - timedelta(days=days)


def _open(spec: dict[str, Any], site: Site, actor: User, owner: User | None, now: datetime) -> Case:
    received = _received_at(spec, site, now)
    patient = spec["patient"]
    rep = spec["complainant"]
    departments = {d.code: d for d in Department.objects.filter(site=site)}
    fields: dict[str, Any] = {
        "event_date": _days_before(received, site, spec["event_days_before_received"]),
        "awareness_date": _days_before(received, site, spec["awareness_days_before_received"]),
        "patient_known": patient is not None,
        "complainant_is_patient": rep is None,
        "preferred_language": spec["language"],
        "interpreter_needed": spec["interpreter"],
        "accessibility_needs": spec["accessibility"],
        "desired_outcome": spec["wants"],
        "account": spec["account"],
        "red_flags": [f for f in spec["red_flags"] if f in rules.RED_FLAGS],
        "topics": [t for t in spec["topics"] if t in _KNOWN_TOPICS],
        "risk_consequence": spec["consequence"],
        "risk_likelihood": spec["likelihood"],
        **{flag: bool(spec["us_flags"].get(flag)) for flag in _US_FLAGS},
    }
    if patient:
        fields.update(
            patient_name=patient["name"],
            patient_mrn=patient["mrn"],
            patient_dob=date.fromisoformat(patient["dob"]),
            patient_phone=patient["phone"],
            patient_email=patient["email"],
            patient_address=patient["address"],
        )
    if rep:
        fields.update(
            complainant_name=rep["name"],
            complainant_relationship=rep["relationship"],
            complainant_phone=rep["phone"],
            complainant_email=rep["email"],
            complainant_address=rep["address"],
            consent_method=rep["consent"],
            consent_date=timezone.localdate(received, site.zone) if rep["consent"] != "not_yet" else None,
        )
    issues = [
        {
            "category": issue["category"],
            "severity": issue["severity"],
            "stage_of_care": issue["stage"],
            "department": departments.get(issue["department"]),
            "staff_group": issue["staff_group"],
            "summary": issue["summary"],
        }
        for issue in spec["issues"]
    ]
    return services.case_open(
        acting_user=actor,
        site=site,
        case_type=spec["type"],
        channel=spec["channel"],
        received_at=received,
        owner=owner,
        issues=issues,
        **fields,
    )


def _walk_to(case: Case, status: str, actor: User, spec: dict[str, Any], now: datetime) -> None:
    """Move the case along the workflow, as an officer would have, until it reaches ``status``."""
    if status == Status.NEW:
        return
    if status == Status.WITHDRAWN:
        services.case_withdraw(
            acting_user=actor, case=case, reason="The complainant rang to say the matter was sorted out."
        )
        return
    formal = case.case_type in (CaseType.COMPLAINT, CaseType.GRIEVANCE)
    if status == Status.CLOSED and not formal:
        if case.case_type == CaseType.CONCERN and spec.get("informal_outcome"):
            services.case_resolve_informally(
                acting_user=actor,
                case=case,
                outcome=spec["informal_outcome"],
                note="Talked it through with the ward; they were content.",
            )
        else:
            services.case_close(acting_user=actor, case=case, note="Nothing further needed.")
        return
    acknowledged = min(case.received_at + timedelta(days=1), now)
    case = services.case_acknowledge(acting_user=actor, case=case, when=acknowledged, how="letter")
    if status == Status.ACKNOWLEDGED:
        return
    if rules.needs_time_limit_decision(case):
        case = services.case_record_time_limit_decision(
            acting_user=actor,
            case=case,
            good_reason=True,
            fair_investigation_possible=True,
            notes="Good reason for the delay; records still available.",
        )
    case = services.case_start_investigation(acting_user=actor, case=case)
    if status == Status.UNDER_INVESTIGATION:
        return
    case = services.case_mark_response_drafted(acting_user=actor, case=case)
    if status == Status.RESPONSE_DRAFTED:
        return
    case = services.case_record_response(
        acting_user=actor, case=case, written_notice=case.case_type == CaseType.GRIEVANCE
    )
    if status == Status.CLOSED:
        services.case_close(acting_user=actor, case=case, note="Response accepted; no further contact.")


def demo_load_cases() -> int:
    """Load the demo cases once; returns how many were added (0 when the demo already has cases)."""
    sites = {site.code: site for site in Site.objects.filter(code__in=["RGH", "HPM"])}
    if len(sites) < 2 or Case.objects.filter(site__in=sites.values()).exists():
        return 0
    users = {user.email: user for user in User.objects.filter(email__endswith="@demo.liaison.example")}
    manager = users["manager@demo.liaison.example"]
    now = timezone.now()
    added = 0
    with transaction.atomic():
        for spec in sorted(demo_case_specs(), key=lambda s: -s["received_days_ago"]):
            site = sites[spec["site"]]
            owner = users.get(spec["owner"] or "")
            actor = owner or manager
            case = _open(spec, site, actor, owner, now)
            for note in spec["notes"]:
                services.case_add_note(acting_user=actor, case=case, kind="note", summary=note[:300])
            for call in spec["calls"]:
                services.case_add_note(
                    acting_user=actor,
                    case=case,
                    kind="call",
                    summary=call["summary"][:300],
                    duration_minutes=call["minutes"],
                )
            _walk_to(Case.objects.select_related("site").get(pk=case.pk), spec["status"], actor, spec, now)
            if spec["restricted"]:
                services.case_set_restriction(
                    acting_user=actor,
                    case=Case.objects.get(pk=case.pk),
                    restricted=True,
                    reason=spec["restricted_reason"] or "vip",
                    users=[manager],
                )
            added += 1
        _ask_departments(manager, now)
    return added


def _ask_departments(manager: User, now: datetime) -> None:
    """Some open Riverside cases have questions out with the Emergency Department (the demo investigator's)."""
    from liaison.investigations.services import investigation_request

    emergency = Department.objects.get(site__code="RGH", code="ED")
    cases = Case.objects.filter(
        site__code="RGH", status=Status.UNDER_INVESTIGATION, issues__department=emergency
    ).distinct()[:6]
    for case in cases:
        investigation_request(
            acting_user=manager,
            case=case,
            department=emergency,
            questions=(
                "Please tell us what happened from the department's records and staff, and what you would change."
            ),
        )
