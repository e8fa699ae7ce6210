"""Loading the demo cases (invented people and stories) through the real services.

Cases are loaded once, into a demo organisation that has none yet, so a second ``liaison demo`` adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import User
from liaison.cases import rules, services
from liaison.cases.models import Case, CaseType, Outcome, Status
from liaison.cases.selectors import calendar_for
from liaison.demo.cases_data import demo_case_specs
from liaison.lib.workdays import add_working_days
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


def _day_after(case: Case, days: int) -> date:
    """The day ``days`` after the day received, counted as the site counts (see ``cases.figures.days_between``)."""
    site = case.site
    first = timezone.localdate(case.received_at, site.zone)
    if site.policy_pack == "us_cms":
        return first + timedelta(days=days)
    return add_working_days(first, days, calendar_for(site.policy_pack))


def _at(case: Case, day: date, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=case.site.zone)


def _between(moment: datetime, earliest: datetime, latest: datetime) -> datetime:
    """``moment`` moved to no earlier than ``earliest`` (then a little after it) and no later than ``latest``."""
    if moment <= earliest:
        moment = earliest + timedelta(minutes=40)
    return max(earliest, min(moment, latest))


@dataclass(frozen=True)
class _Moments:
    acknowledged: datetime
    interim: datetime | None  # None: no interim notice (not planned, or not yet due to be sent)
    responded: datetime


def _moments(case: Case, history: dict[str, Any], now: datetime) -> _Moments:
    """When each step was done, in order, from the case's planned history; nothing later than an hour ago."""
    latest = max(case.received_at, now - timedelta(hours=1))
    acknowledged = _between(
        _at(case, _day_after(case, history["ack_days"]), history["ack_time"]), case.received_at, latest
    )
    interim = None
    if history["interim_days"] is not None:
        planned = _at(case, _day_after(case, history["interim_days"]), history["interim_time"])
        interim = _between(planned, acknowledged, latest) if planned <= latest else None
    after = interim or acknowledged
    responded = _between(_at(case, _day_after(case, history["respond_days"]), history["respond_time"]), after, latest)
    return _Moments(acknowledged, interim, responded)


def _walk_to(case: Case, status: str, actor: User, spec: dict[str, Any], now: datetime) -> None:
    """Move the case along the workflow, as an officer would have, until it reaches ``status``.

    Acknowledgement, interim notice and response carry the moments the case's history plans (see
    ``cases_data._history``), so the office's clocks and measures read like a real year's work.
    """
    if status == Status.NEW:
        return
    formal = case.case_type in (CaseType.COMPLAINT, CaseType.GRIEVANCE)
    history = spec["history"]
    moments = _moments(case, history, now)
    if status == Status.WITHDRAWN:
        if formal:  # a formal complaint is acknowledged before anyone can withdraw it
            case = services.case_acknowledge(acting_user=actor, case=case, when=moments.acknowledged, how="letter")
        services.case_withdraw(
            acting_user=actor, case=case, reason="The complainant rang to say the matter was sorted out."
        )
        return
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
    case = services.case_acknowledge(acting_user=actor, case=case, when=moments.acknowledged, how="letter")
    grievance = case.case_type == CaseType.GRIEVANCE
    if grievance and moments.interim is not None:
        case = services.case_record_interim_notice(
            acting_user=actor, case=case, sent_at=moments.interim, followup_within_days=history["followup_days"]
        )
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
    if history["extension_days"] is not None and formal and rules.extension_applies(case):
        agreed = min(_day_after(case, 18), timezone.localdate(moments.responded, case.site.zone))
        case = services.case_record_extension(
            acting_user=actor,
            case=case,
            until=_day_after(case, history["extension_days"]),
            agreement=f"Agreed by phone on {agreed:%d %B %Y}: the investigation needs statements from two teams.",
        )
    case = services.case_mark_response_drafted(acting_user=actor, case=case)
    if status == Status.RESPONSE_DRAFTED:
        return
    if formal:
        _record_findings(case, actor, history["outcome"], timezone.localdate(moments.responded, case.site.zone))
    case = services.case_record_response(
        acting_user=actor, case=case, sent_at=moments.responded, written_notice=grievance
    )
    if status == Status.CLOSED:
        case = services.case_close(acting_user=actor, case=case, note="Response accepted; no further contact.")
        _afterwards(case, actor, history, moments.responded, now)


_FINDINGS = {
    "upheld": "The records and the staff statements bear out what was described; this fell short.",
    "partly_upheld": "Part of what was described is borne out by the records; part is not.",
    "not_upheld": "The records and statements show the care given was appropriate; no failing found here.",
}
_LEARNING = {
    "upheld": "Shared with the team at their safety huddle; the ward manager is changing how this is done.",
    "partly_upheld": "The part that fell short was discussed with the staff involved and at the team meeting.",
    "not_upheld": "",
}


def _record_findings(case: Case, actor: User, outcome: str, completed_on: date) -> None:
    """An overall outcome, with each issue's finding: a partly upheld case upholds its first issue only."""
    issue_ids = list(case.issues.order_by("pk").values_list("pk", flat=True))
    issue_findings: dict[int, tuple[str, str]] = {}
    for n, issue_id in enumerate(issue_ids):
        each = outcome
        if outcome == Outcome.PARTLY_UPHELD and len(issue_ids) > 1:
            each = Outcome.UPHELD if n == 0 else Outcome.NOT_UPHELD
        issue_findings[issue_id] = (_FINDINGS[each], each)
    services.case_record_findings(
        acting_user=actor,
        case=case,
        issue_findings=issue_findings,
        outcome=outcome,
        how_considered="Read the records, took statements from the staff involved and spoke to the complainant.",
        learning=_LEARNING[outcome],
        completed_on=completed_on,
    )


def _afterwards(case: Case, actor: User, history: dict[str, Any], responded: datetime, now: datetime) -> None:
    """What happened after closing: the complainant went to an outside body, or came back and was answered again."""
    latest = now - timedelta(hours=1)
    if referral := history["referral"]:
        referred_on = timezone.localdate(responded, case.site.zone) + timedelta(weeks=referral["weeks_after_response"])
        services.case_refer_externally(
            acting_user=actor,
            case=case,
            body=referral["body"],
            referred_on=min(referred_on, timezone.localdate(latest, case.site.zone)),
            notes="The complainant was not satisfied with the response and asked for an independent review.",
        )
    elif reopen := history["reopen"]:
        case = services.case_reopen(acting_user=actor, case=case, reason=reopen["reason"])
        answered = responded + timedelta(days=reopen["days_after_response"] + reopen["answer_days"])
        case = services.case_record_response(
            acting_user=actor,
            case=case,
            sent_at=_between(answered, responded, latest),
            written_notice=case.case_type == CaseType.GRIEVANCE,
        )
        services.case_close(acting_user=actor, case=case, note="Second response sent; nothing further asked.")


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
