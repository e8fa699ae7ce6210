"""Insurance appeal deadlines (RULES.md section D): the last day to file and the day a decision is due.

Pure functions over plain values, like the policy packs: no database, no clock. A site's managers may
override a rule's number (``DeadlineRule``); the caller passes those overrides in as :class:`Override`.

Choices the notes leave open, written down so they can be checked:

- Every INS rule counts calendar days, so weekends and holidays are not skipped. A manager may switch a
  rule to working days (for example INS-3's old text, "3 working days"); working days skip weekends and
  US federal holidays for US plans, England and Wales bank holidays for NHS ones.
- Hours (INS-3, INS-7 "72 hours") are shown as the calendar day 72 hours after the filing day, with the
  plain words saying the time of day matters: only the date of filing is recorded.
- Marketplace (ACA) plans follow the ERISA internal appeal rules (INS-8 applies INS-6 and INS-7); so do
  non-grandfathered employer plans for external review (INS-8).
- INS-4 (an extension of up to 14 calendar days) and INS-3's transfer of a refused expedited appeal to the
  standard timeframe are Medicaid managed care rules (42 CFR 438.408(c), 438.410): they are offered for
  those appeals only. After a refusal the standard number counts from the filing day, as the standard
  rule does; RULES.md does not say whether the count restarts at the refusal, so that step is marked
  unverified. An extension is added to the decision-due date in calendar days, after any refusal.
- Medicare, Medicare Advantage, "other" US plans, state fair hearings, second-level ERISA deadlines and the
  NHS routes (continuing healthcare, individual funding requests) have no number in RULES.md. Their
  deadlines say so ("no deadline in the rules: set one") instead of inventing one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from liaison.lib.workdays import ENGLAND_AND_WALES, US_FEDERAL, WorkingDayCalendar, add_months, add_working_days

PLAN_TYPES: dict[str, str] = {
    "medicare": "Medicare",
    "medicare_advantage": "Medicare Advantage",
    "medicaid_managed_care": "Medicaid managed care",
    "erisa_employer": "Employer plan (ERISA)",
    "marketplace": "Marketplace plan (ACA)",
    "other_us": "Other US plan",
    "nhs_continuing_healthcare": "NHS continuing healthcare",
    "nhs_individual_funding_request": "NHS individual funding request",
}
NHS_PLANS = frozenset({"nhs_continuing_healthcare", "nhs_individual_funding_request"})
LEVELS: dict[str, str] = {
    "internal": "Internal appeal",
    "second_level": "Second-level appeal",
    "external_review": "External review",
    "state_fair_hearing": "State fair hearing",
}
URGENCIES: dict[str, str] = {"standard": "Standard", "expedited": "Expedited"}
TIMINGS: dict[str, str] = {"pre_service": "Before the service (pre-service)", "post_service": "After the service"}
UNITS: dict[str, str] = {
    "calendar_days": "calendar days",
    "working_days": "working days",
    "hours": "hours",
    "months": "months",
}
EXTENSION_MAX_DAYS = 14  # INS-4
EXTENSION_PLANS = frozenset({"medicaid_managed_care"})  # 42 CFR 438.408(c) covers Medicaid managed care
EXTENSION_RULE_ID, EXTENSION_SOURCE = "INS-4", "42 CFR 438.408(c)"
REFUSAL_PLANS = frozenset({"medicaid_managed_care"})  # 42 CFR 438.410
REFUSAL_RULE_ID, REFUSAL_SOURCE = "INS-3", "42 CFR 438.410; notice rules in 438.408(c)(2)"
NO_RULE = "No deadline in the rules: set one."
LOCAL_RULE_ID = "LOCAL"


@dataclass(frozen=True)
class RuleSpec:
    """One deadline rule: its default number, where it comes from, and how sure the notes are of it."""

    key: str  # "file:medicaid_managed_care:internal", "decide:erisa_employer:internal:standard:pre_service"
    title: str  # "Medicaid managed care, internal appeal: last day to file"
    rule_id: str  # RULES.md id, "" where the notes give no rule
    source: str  # the regulation
    evidence: str  # "P", "S" or "U" as RULES.md marks it; "" where there is no rule
    amount: int | None  # None: the notes give no number
    unit: str  # a key of UNITS
    counts_from: str  # "the day the decision was received", "the day the appeal was filed"
    note: str = ""

    @property
    def unverified(self) -> bool:
        return self.evidence == "U"


@dataclass(frozen=True)
class Override:
    """A site's own number for a rule (DeadlineRule), set by a manager."""

    amount: int
    unit: str
    set_by: str = ""


@dataclass(frozen=True)
class Adjustment:
    """A later event that moved a deadline (an extension, a refused expedited review), with its own rule."""

    rule_id: str  # "INS-4"
    rule: str  # plain words, with the dates
    source: str
    unverified: bool


@dataclass(frozen=True)
class Deadline:
    key: str  # "file" or "decide"
    name: str  # "Last day to file"
    due: date | None  # None: no rule, or the day it counts from is not recorded yet
    rule_id: str  # "INS-5"; "LOCAL" for a site's own number where the notes give none; "" for none
    rule: str  # plain words
    source: str
    unverified: bool
    counting: str  # "calendar days", "working days", "hours", "months"; "" when there is no number
    overridden: bool
    rule_key: str
    missing: str = ""  # why there is no date: NO_RULE, or "Record the date the appeal was filed."
    adjustments: tuple[Adjustment, ...] = ()  # shown alongside the base rule, in the order applied


_MEDICAID_SOURCE_408 = "42 CFR 438.408(b)(2)"
_ERISA = "29 CFR 2560.503-1"
_ACA = "45 CFR 147.136"
FROM_DECISION = "the day the decision was received"
FROM_FILING = "the day the appeal was filed"


def _spec(key: str, title: str, **values: object) -> RuleSpec:
    defaults: dict[str, object] = {
        "rule_id": "",
        "source": "",
        "evidence": "",
        "amount": None,
        "unit": "calendar_days",
        "counts_from": FROM_FILING if key.startswith("decide") else FROM_DECISION,
    }
    defaults.update(values)
    return RuleSpec(key=key, title=title, **defaults)  # type: ignore[arg-type]


def _known_rules() -> dict[str, RuleSpec]:
    """The rules RULES.md gives a number for, by key."""
    rules: dict[str, RuleSpec] = {}

    def add(key: str, **values: object) -> None:
        rules[key] = _spec(key, _title(key), **values)

    add(
        "file:medicaid_managed_care:internal",
        rule_id="INS-5",
        source="42 CFR 438.402(c)(2)",
        evidence="U",
        amount=60,
        note="Current rule per the notes; the old text let the State set 20 to 90 days.",
    )
    add(
        "decide:medicaid_managed_care:internal:standard",
        rule_id="INS-2",
        source=_MEDICAID_SOURCE_408,
        evidence="U",
        amount=30,
        note="The only text retrieved is the pre-2016 one, which says 45 days: set 45 to follow it.",
    )
    add(
        "decide:medicaid_managed_care:internal:expedited",
        rule_id="INS-3",
        source="42 CFR 438.408(b)(3) and 438.410",
        evidence="U",
        amount=72,
        unit="hours",
        note="The old text said 3 working days.",
    )
    for plan, rule_id, source, evidence in (
        ("erisa_employer", "INS-6", _ERISA, "S"),
        ("marketplace", "INS-8", f"{_ACA} (applies {_ERISA})", "S"),
    ):
        add(f"file:{plan}:internal", rule_id=rule_id, source=source, evidence=evidence, amount=180)
        decide_id, decide_source = (
            ("INS-7", f"{_ERISA}(i)") if plan == "erisa_employer" else ("INS-8", f"{_ACA} (applies {_ERISA}(i))")
        )
        add(
            f"decide:{plan}:internal:expedited",
            rule_id=decide_id,
            source=decide_source,
            evidence="S",
            amount=72,
            unit="hours",
            note="Urgent care.",
        )
        add(
            f"decide:{plan}:internal:standard:pre_service",
            rule_id=decide_id,
            source=decide_source,
            evidence="S",
            amount=30,
            note="For a plan with one appeal level.",
        )
        add(
            f"decide:{plan}:internal:standard:post_service",
            rule_id=decide_id,
            source=decide_source,
            evidence="S",
            amount=60,
            note="For a plan with one appeal level.",
        )
        add(
            f"file:{plan}:external_review",
            rule_id="INS-8",
            source=_ACA,
            evidence="U",
            amount=4,
            unit="months",
            counts_from="the day the final internal decision was received",
            note="Non-grandfathered plans only.",
        )
    return rules


def _title(key: str) -> str:
    parts = key.split(":")
    kind, plan, level = parts[0], parts[1], parts[2]
    words = f"{PLAN_TYPES[plan]}, {LEVELS[level].lower()}"
    if kind == "file":
        return f"{words}: last day to file"
    extra = [URGENCIES[parts[3]].lower()]
    if len(parts) > 4:
        extra.append(TIMINGS[parts[4]].lower())
    return f"{words}: decision due ({', '.join(extra)})"


KNOWN_RULES: dict[str, RuleSpec] = _known_rules()


def decide_key(plan: str, level: str, urgency: str, timing: str) -> str:
    base = f"decide:{plan}:{level}:{urgency}"
    with_timing = f"{base}:{timing}"
    return with_timing if with_timing in KNOWN_RULES else base


def file_key(plan: str, level: str) -> str:
    return f"file:{plan}:{level}"


def all_rules() -> list[RuleSpec]:
    """Every deadline a site may set, in a stable order: those with a number in the notes and those without."""
    specs: list[RuleSpec] = []
    for plan in PLAN_TYPES:
        for level in LEVELS:
            key = file_key(plan, level)
            specs.append(KNOWN_RULES.get(key) or _spec(key, _title(key)))
            for urgency in URGENCIES:
                base = f"decide:{plan}:{level}:{urgency}"
                timed = [k for k in KNOWN_RULES if k.startswith(base + ":")]
                for key in timed or [base]:
                    specs.append(KNOWN_RULES.get(key) or _spec(key, _title(key)))
    return specs


def spec_for(key: str) -> RuleSpec:
    if key in KNOWN_RULES:
        return KNOWN_RULES[key]
    if key not in {spec.key for spec in all_rules()}:
        raise KeyError(key)
    return _spec(key, _title(key))


def calendar_for_plan(plan: str) -> WorkingDayCalendar:
    return ENGLAND_AND_WALES if plan in NHS_PLANS else US_FEDERAL


def add_period(start: date, amount: int, unit: str, calendar: WorkingDayCalendar) -> date:
    if unit == "calendar_days":
        return start + timedelta(days=amount)
    if unit == "working_days":
        return add_working_days(start, amount, calendar)
    if unit == "hours":
        return start + timedelta(days=amount // 24 + (1 if amount % 24 else 0))
    if unit == "months":
        return add_months(start, amount)
    raise ValueError(f"Unknown unit {unit!r}; expected one of {', '.join(UNITS)}.")


def _words(amount: int, unit: str, counts_from: str, calendar: WorkingDayCalendar) -> str:
    if unit == "working_days":
        return f"{amount} working days after {counts_from}, skipping weekends and {calendar.name}."
    if unit == "hours":
        return (
            f"{amount} hours after the appeal was filed: by the same time of day on this date "
            "(only the filing day is recorded)."
        )
    if unit == "months":
        return f"{amount} months after {counts_from} (calendar months)."
    return f"{amount} calendar days after {counts_from}; weekends and holidays count."


def compute(
    spec: RuleSpec, *, start: date | None, plan: str, override: Override | None, name: str, key: str
) -> Deadline:
    calendar = calendar_for_plan(plan)
    amount, unit = (override.amount, override.unit) if override else (spec.amount, spec.unit)
    if amount is None:
        return Deadline(
            key=key,
            name=name,
            due=None,
            rule_id="",
            rule=NO_RULE,
            source="",
            unverified=False,
            counting="",
            overridden=False,
            rule_key=spec.key,
            missing=NO_RULE,
        )
    rule_id = spec.rule_id or LOCAL_RULE_ID
    source = spec.source or "Set by this site (RULES.md gives no number)"
    if override is not None:
        source = f"{source}; number set by this site" + (f" ({override.set_by})" if override.set_by else "")
    words = _words(amount, unit, spec.counts_from, calendar)
    missing = ""
    due = None
    if start is None:
        missing = "Record the date the appeal was filed." if key == "decide" else "Record the date of the decision."
    else:
        due = add_period(start, amount, unit, calendar)
    return Deadline(
        key=key,
        name=name,
        due=due,
        rule_id=rule_id,
        rule=words,
        source=source,
        # An override is the site's own decision, but the rule behind it is still as sure as the notes say.
        unverified=spec.unverified or not spec.rule_id,
        counting=UNITS[unit],
        overridden=override is not None,
        rule_key=spec.key,
        missing=missing,
    )


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _adjusted(
    deadline: Deadline, *, refused_on: date | None, extension_days: int | None, extension_notified_on: date | None
) -> Deadline:
    adjustments: list[Adjustment] = []
    due = deadline.due
    if refused_on is not None:
        adjustments.append(
            Adjustment(
                rule_id=REFUSAL_RULE_ID,
                rule=(
                    f"The plan refused an expedited review on {_day(refused_on)}: the appeal moved to the "
                    f"standard timeframe, counted from {FROM_FILING}. RULES.md does not say whether the count "
                    "restarts at the refusal: confirm this date."
                ),
                source=REFUSAL_SOURCE,
                unverified=True,
            )
        )
    if extension_days and due is not None:
        base, due = due, due + timedelta(days=extension_days)
        told = f"; the patient was told on {_day(extension_notified_on)}" if extension_notified_on else ""
        adjustments.append(
            Adjustment(
                rule_id=EXTENSION_RULE_ID,
                rule=(
                    f"The plan extended the time to decide by {extension_days} calendar days (at most "
                    f"{EXTENSION_MAX_DAYS}), from {_day(base)}{told}."
                ),
                source=EXTENSION_SOURCE,
                unverified=False,
            )
        )
    if not adjustments:
        return deadline
    return replace(deadline, due=due, adjustments=tuple(adjustments))


def appeal_deadlines(
    *,
    plan: str,
    level: str,
    urgency: str,
    timing: str,
    decision_received_on: date | None,
    filed_on: date | None,
    overrides: dict[str, Override] | None = None,
    expedited_refused_on: date | None = None,
    extension_days: int | None = None,
    extension_notified_on: date | None = None,
) -> list[Deadline]:
    """The last day to file (from the decision challenged) and the day a decision is due (from filing).

    A refused expedited review (INS-3) puts the decision on the standard timeframe; an extension taken by
    the plan (INS-4) then adds its days. Each step is listed on the deadline with its own rule and source.
    """
    if plan not in PLAN_TYPES or level not in LEVELS or urgency not in URGENCIES or timing not in TIMINGS:
        raise ValueError(f"Unknown plan, level, urgency or timing: {plan}, {level}, {urgency}, {timing}.")
    if extension_days is not None and not 1 <= extension_days <= EXTENSION_MAX_DAYS:
        raise ValueError(f"An extension is 1 to {EXTENSION_MAX_DAYS} calendar days (INS-4).")
    overrides = overrides or {}
    refused_on = expedited_refused_on if urgency == "expedited" else None
    fkey = file_key(plan, level)
    dkey = decide_key(plan, level, "standard" if refused_on else urgency, timing)
    return [
        compute(
            spec_for(fkey),
            start=decision_received_on,
            plan=plan,
            override=overrides.get(fkey),
            name="Last day to file",
            key="file",
        ),
        _adjusted(
            compute(
                spec_for(dkey),
                start=filed_on,
                plan=plan,
                override=overrides.get(dkey),
                name="Decision due",
                key="decide",
            ),
            refused_on=refused_on,
            extension_days=extension_days,
            extension_notified_on=extension_notified_on,
        ),
    ]
