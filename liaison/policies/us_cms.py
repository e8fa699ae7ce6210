"""USA: Medicare Conditions of Participation, 42 CFR 482.13(a)(2), as read by CMS (RULES.md section A).

Classification follows US-2 to US-8. Every rule that applies is reported, not just the first, so a
reviewer sees all the reasons a case is a grievance. Choices the sources leave open:

- Written channels (US-5) are letter, email, web form and social media: each reaches the hospital as
  text from the patient. Treating a complaint as a grievance is never a finding; the reverse is.
- Verbal channels (US-2, US-4) are phone, in person and "other".
- A survey comment is neither: it is a grievance only through a topic, a request for a response (US-6;
  US-9, unconfirmed) or having been recorded as one.
- "Billing alone" (US-7) means the only topic is ``billing``. It keeps a verbal case out of the grievance
  definition, which covers verbal complaints about patient care; a written one is still a grievance (US-5).
- Compliments and enquiries are never grievances. A case staff recorded as a grievance stays one.

Clocks (grievances only) count calendar days: US federal holidays are not skipped (US-14).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from liaison.policies.base import (
    CaseFacts,
    Classification,
    Clock,
    TimeLimitCheck,
    end_of_day,
    local_date,
    no_time_limit,
)

WRITTEN_CHANNELS = frozenset({"letter", "email", "web_form", "social_media"})
VERBAL_CHANNELS = frozenset({"phone", "in_person", "other"})
# Advocacy cases (insurance appeals and the like) act for the patient; they are not complaints about the hospital.
NEVER_GRIEVANCES = frozenset({"compliment", "enquiry", "advocacy"})
US4_FLAGS = {
    "postponed": "it was postponed for later resolution",
    "referred": "it was referred to other staff for later resolution",
    "requires_investigation": "it needs investigation",
    "requires_further_action": "it needs further action to resolve",
}
INTERIM_DAYS = 7
SOURCE_DEFINITION = "CMS SOM Appendix A, tag A-0118 (42 CFR 482.13(a)(2))"
SOURCE_TIMEFRAME = "CMS SOM Appendix A, tag A-0122 (42 CFR 482.13(a)(2)(ii))"


class USCMS:
    key = "us_cms"
    name = "USA Medicare CoP (42 CFR 482.13)"
    default_zone = "America/New_York"

    def classify(self, facts: CaseFacts) -> Classification:
        if facts.case_type in NEVER_GRIEVANCES:
            return Classification(
                case_type=facts.case_type,
                is_grievance=False,
                reasons=(f"A case of type {facts.case_type} is not a complaint, so it is not a grievance (US-2).",),
                rule_ids=("US-2",),
            )

        found: list[tuple[tuple[str, ...], str]] = []  # (rule ids, sentence) for each rule that makes it one
        channel = facts.channel.replace("_", " ")
        topics = facts.topics
        billing_alone = topics == frozenset({"billing"})

        if facts.channel in WRITTEN_CHANNELS:
            found.append((("US-5",), f"A written complaint is always a grievance (US-5): it came by {channel}."))
        for topic in sorted(topics & {"abuse", "neglect"}):
            found.append((("US-8",), f"A complaint alleging {topic} is always a grievance (US-8)."))
        if "cop_compliance" in topics:
            found.append(
                (
                    ("US-2",),
                    "A complaint about the hospital's compliance with the Conditions of Participation is a "
                    "grievance (US-2).",
                )
            )
        if "medicare_billing_rights" in topics:
            found.append(
                (
                    ("US-2", "US-7"),
                    "A Medicare billing complaint about rights and limitations under 42 CFR 489 is a grievance "
                    "(US-2, US-7).",
                )
            )
        if facts.requested_formal_or_response:
            found.append(
                (
                    ("US-6",),
                    "The patient asked for formal handling or for a response, which makes it a grievance (US-6).",
                )
            )
        if facts.channel in VERBAL_CHANNELS and not billing_alone:
            flags = [words for flag, words in US4_FLAGS.items() if getattr(facts, flag)]
            if flags:
                found.append(
                    (
                        ("US-4",),
                        f"A verbal complaint is a grievance when {' and '.join(flags)}, even if staff dealt with "
                        "it at the time (US-4).",
                    )
                )
            elif not facts.resolved_at_time_by_staff_present:
                found.append(
                    (
                        ("US-2",),
                        f"A verbal complaint ({channel}) not resolved at the time by staff present is a grievance "
                        "(US-2).",
                    )
                )
        if not found and facts.case_type == "grievance":
            found.append(
                (
                    ("US-2",),
                    "Staff recorded it as a grievance; no rule requires that, but handling a complaint as a "
                    "grievance is always allowed (US-2).",
                )
            )

        if found:
            return _classification("grievance", True, found)
        why: tuple[tuple[str, ...], str]
        if billing_alone:
            why = (
                ("US-7",),
                "A billing issue alone is not a grievance unless it concerns Medicare billing rights (US-7).",
            )
        elif facts.channel == "survey":
            why = (
                ("US-6", "US-9"),
                "A survey comment is not a grievance unless the patient asks for a response (US-6, US-9).",
            )
        else:
            why = (
                ("US-2", "US-3"),
                "A verbal complaint resolved at the time by staff present, with nothing left to do later, is not "
                "a grievance (US-2, US-3).",
            )
        return _classification(facts.case_type, False, [why])

    def clocks(self, facts: CaseFacts, zone: ZoneInfo) -> list[Clock]:
        if not self.classify(facts).is_grievance:
            return []
        received = local_date(facts.received_at, zone)
        interim_day = received + timedelta(days=INTERIM_DAYS)
        interim = Clock(
            key="interim_notice",
            name="Resolve the grievance or send an interim notice",
            due=end_of_day(interim_day, zone),
            rule=(
                f"{INTERIM_DAYS} calendar days after the day it was received, holidays included: by then send the "
                "written response, or tell the patient it is still being worked on and when to expect it."
            ),
            rule_id="US-14",
            source=SOURCE_TIMEFRAME,
        )
        if facts.interim_notice_sent_at is not None and facts.followup_within_days is not None:
            sent = local_date(facts.interim_notice_sent_at, zone)
            final_day = sent + timedelta(days=facts.followup_within_days)
            final_rule = (
                f"{facts.followup_within_days} calendar days after the interim notice was sent on {sent.isoformat()}, "
                "as the notice promised."
            )
        else:
            final_day = interim_day
            final_rule = (
                f"{INTERIM_DAYS} calendar days after the day it was received, unless an interim notice sets a "
                "later follow-up date."
            )
        final = Clock(
            key="final_response",
            name="Send the written response",
            due=end_of_day(final_day, zone),
            rule=final_rule,
            rule_id="US-14",
            source=SOURCE_TIMEFRAME,
        )
        return [interim, final]

    def time_limit(self, facts: CaseFacts, zone: ZoneInfo) -> TimeLimitCheck:
        return no_time_limit("The Medicare hospital rules set no time limit for raising a grievance.")


def _classification(case_type: str, is_grievance: bool, found: list[tuple[tuple[str, ...], str]]) -> Classification:
    ids = {rule_id for rule_ids, _ in found for rule_id in rule_ids}
    return Classification(
        case_type=case_type,
        is_grievance=is_grievance,
        reasons=tuple(sentence for _, sentence in found),
        rule_ids=tuple(sorted(ids, key=lambda rule_id: int(rule_id.removeprefix("US-")))),
    )
