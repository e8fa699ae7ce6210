"""The retention periods each policy pack starts a site with, each with its source and whether anyone checked it.

None of these is verified: each was taken from the research notes (RULES.md) or from a secondary copy of a
retention schedule, not from the current text of the source. The retention page says "unverified until
checked" beside every one of them until a manager records the site's own period and ticks "verified".
Periods are deliberately not shorter than the notes suggest: a record purged too early cannot come back.
"""

from __future__ import annotations

from dataclasses import dataclass

from liaison.retention.models import CountedFrom, RecordType


@dataclass(frozen=True)
class DefaultRule:
    years: int
    counted_from: str
    source: str
    verified: bool = False


_ENGLAND_CODE = (
    "NHS Records Management Code of Practice (England, 2021), Appendix II retention schedule: a complaints "
    "case file is kept 10 years after the closure of the complaint, as we understand it. Read only in a "
    "secondary copy of the schedule, which adds that a complaint is not closed until every later process, "
    "litigation included, has ended. Unverified until checked against the current Code."
)
_HIPAA = (
    "RULES.md HIPAA-11 (45 CFR 164.530(j) and 164.316(b)(2)): required documentation is kept 6 years from its "
    "creation or the date it was last in effect, whichever is later; complaint records are said to be among "
    "it. The exact 164.530(j)(2) wording was not read. Unverified until checked."
)


def _england_like(code: str, caveat: str = "") -> dict[str, DefaultRule]:
    return {
        RecordType.CASE_FILE: DefaultRule(10, CountedFrom.CLOSURE, code + caveat),
        RecordType.FEEDBACK_TEXT: DefaultRule(
            10,
            CountedFrom.RECEIVED,
            "No period for free-text feedback was found in the research notes. Liaison keeps it as long as a "
            "complaint file until the office sets its own period. Unverified: no source.",
        ),
        RecordType.MEETING: DefaultRule(
            10,
            CountedFrom.CLOSURE,
            "Kept with the complaint file it belongs to (meeting notes are part of the case file). " + code + caveat,
        ),
        RecordType.APPEAL: DefaultRule(
            10,
            CountedFrom.CLOSURE,
            "Kept with the case file it belongs to; no period of its own was found. " + code + caveat,
        ),
    }


DEFAULTS: dict[str, dict[str, DefaultRule]] = {
    "england_nhs": _england_like(_ENGLAND_CODE),
    # The Welsh Code (2022) is based on the English one; its own schedule was not read.
    "wales_nhs": _england_like(
        _ENGLAND_CODE, " The Welsh Records Management Code (2022) is based on it; its schedule was not read."
    ),
    # No Scottish schedule was read at all: England's figure holds the place until the office checks.
    "scotland_nhs": _england_like(
        _ENGLAND_CODE,
        " No Scottish source was read (Scottish Government Records Management: NHS Code of Practice): "
        "England's figure is used until the office checks the Scottish one.",
    ),
    "us_cms": {
        RecordType.CASE_FILE: DefaultRule(6, CountedFrom.CLOSURE, _HIPAA),
        RecordType.FEEDBACK_TEXT: DefaultRule(
            6,
            CountedFrom.RECEIVED,
            "No period for free-text feedback was found in the research notes; Liaison follows HIPAA-11's 6 years "
            "until the office sets its own. Whether survey answers are required documentation was not established. "
            "Unverified.",
        ),
        RecordType.MEETING: DefaultRule(
            6, CountedFrom.CLOSURE, "Kept with the grievance file it belongs to. " + _HIPAA
        ),
        RecordType.APPEAL: DefaultRule(
            6,
            CountedFrom.CLOSURE,
            "Kept with the case file it belongs to; the plans' own record-keeping duties were not researched. "
            + _HIPAA,
        ),
    },
}


def default_for(policy_pack: str, record_type: str) -> DefaultRule:
    """The pack's default; a pack without its own list (a new one) gets the longest period of those known."""
    pack = DEFAULTS.get(policy_pack)
    if pack is not None:
        return pack[record_type]
    longest = max((rules[record_type] for rules in DEFAULTS.values()), key=lambda rule: rule.years)
    return DefaultRule(
        longest.years,
        longest.counted_from,
        f"No retention default for the policy pack {policy_pack!r}: the longest known default is used. "
        + longest.source,
    )
