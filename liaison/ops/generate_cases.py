"""Synthetic cases, each lived through step by step as the office would have worked it, up to now.

A case's story is planned from the day it was received (logged, assigned, acknowledged, investigated,
answered, closed; sometimes withdrawn, reopened or referred on) and played until the next step would fall
after now: that is where the case stands today. Old cases therefore end closed, recent ones are open with
their clocks running, a few are overdue, and a few stall part-way as real backlogs do. Every step writes what
the services write: the case's fields, a timeline entry, an audit row, letters and investigation requests
with their own steps.

The figure columns (``cases.figures``) and the next deadline come from the policy packs' own clocks, asked
once per distinct set of facts (the clocks of a pack depend on the day a case was received, not the hour),
so a million cases do not each pay for working-day arithmetic. The tests compare every generated case with
``figures.refresh`` and ``rules.next_due``.

A day's stories are made by ``Maker.day`` from a ``DayJob`` the main process plans (when each case and answer
arrives, at which site, with which key and reference), with the day's own random numbers, so the rows are
the same whether the day is made in the main process or in a worker (``generate_worker``). Its audit rows go
back unchained: the main process chains them in time order (``generate_audit.AuditChain``).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models

from liaison.audit.models import AuditEvent
from liaison.cases import figures
from liaison.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseType,
    Channel,
    ExternalBody,
    ExternalReferral,
    HcatCategory,
    Issue,
    Status,
    TimelineEvent,
    TimelineKind,
)
from liaison.cases.rules import rate_priority
from liaison.cases.selectors import calendar_for
from liaison.correspondence.models import Letter, LetterKind, LetterStatus
from liaison.feedback.models import FeedbackResponse
from liaison.investigations.models import InvestigationRequest, RequestFinding, RequestStatus
from liaison.lib.workdays import WorkingDayCalendar, add_working_days
from liaison.ops import generate_text as text
from liaison.ops.generate_audit import encode_details
from liaison.ops.generate_sink import Row, convert_lists, tables_for
from liaison.ops.generate_world import Person, SiteWorld
from liaison.policies.base import CaseFacts, Classification, Clock
from liaison.policies.registry import get_pack

_FLAGS = (
    "resolved_at_time_by_staff_present",
    "postponed",
    "referred",
    "requires_investigation",
    "requires_further_action",
    "requested_formal_or_response",
    "medicare_beneficiary",
)
_FINISHED = (Status.RESPONDED, Status.CLOSED, Status.WITHDRAWN)
# The tables the generator fills, parents before children (deferred reference checks see the parents).
MODELS: list[type[models.Model]] = [
    Case,
    Issue,
    Case.restricted_to.through,
    TimelineEvent,
    Letter,
    InvestigationRequest,
    RequestFinding,
    ExternalReferral,
    FeedbackResponse,
    AuditEvent,
]
# Tables whose keys the generator chooses (other rows point at them); the others are numbered by the database.
KEYED = {Case, Issue, Letter, InvestigationRequest, FeedbackResponse}
# At most this many rows per case, so that a day's block of keys can be handed out before its cases exist
# (a case has at most three issues and three letters: acknowledgement, interim notice, final response).
PER_CASE = {Issue._meta.label: 3, Letter._meta.label: 3, InvestigationRequest._meta.label: 1}
_BY_LABEL: dict[str, type[models.Model]] = {model._meta.label: model for model in KEYED}
# Timeline rows are given whole, in their columns' order (checked against the model at start).
TIMELINE_COLUMNS = ("case_id", "kind", "occurred_at", "actor_id", "summary", "body", "duration_minutes", "data")
_CHANNEL_LABELS = dict(Channel.choices)
_TYPE_LABELS = dict(CaseType.choices)
_CATEGORY_LABELS = dict(HcatCategory.choices)
_LETTER_LABELS = dict(LetterKind.choices)
_BODY_LABELS = dict(ExternalBody.choices)
_CATEGORY_TABLE = tuple(text.CATEGORY_WEIGHTS.items())
_STAGES = (
    ("admissions", 12), ("examination_diagnosis", 22), ("ward_care", 30), ("operation_procedure", 10),
    ("discharge_transfer", 14), ("other", 12),
)  # fmt: skip
_GROUPS = (("nursing", 35), ("medical", 30), ("administrative", 15), ("allied_health", 8), ("other", 4), ("", 8))
_RED_FLAGS = (
    ("still_in_hospital", 30), ("harm_moderate_or_worse", 25), ("media_or_legal_threat", 20),
    ("safeguarding", 12), ("neglect", 8), ("abuse", 5),
)  # fmt: skip
_CHANNELS = {
    "complaint": (
        ("email", 30), ("web_form", 20), ("phone", 25), ("letter", 15), ("in_person", 8), ("social_media", 2),
    ),
    "concern": (("phone", 45), ("in_person", 25), ("email", 20), ("web_form", 10)),
    "compliment": (
        ("email", 35), ("letter", 20), ("phone", 15), ("in_person", 15), ("web_form", 10), ("social_media", 5),
    ),
    "enquiry": (("phone", 55), ("email", 30), ("web_form", 15)),
}  # fmt: skip
_TYPES_UK = (("concern", 42), ("complaint", 36), ("compliment", 15), ("enquiry", 7))
_TYPES_US = (("complaint", 38), ("concern", 30), ("compliment", 18), ("enquiry", 14))
_OUTCOMES = (("upheld", 28), ("partly_upheld", 34), ("not_upheld", 35), ("unable", 3))
_CONSENT = (("written", 45), ("verbal", 30), ("power_of_attorney", 8), ("parental_responsibility", 7), ("not_yet", 10))
_CONSEQUENCE = ((1, 30), (2, 35), (3, 22), (4, 10), (5, 3))


@functools.cache
def _table(weighted: tuple[tuple[Any, float], ...]) -> tuple[tuple[Any, ...], list[float], float]:
    values = tuple(value for value, _ in weighted)
    running, total = [], 0.0
    for _, weight in weighted:
        total += weight
        running.append(total)
    return values, running, total


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    """One of the values, as often as its weight says (the cumulative weights worked out once per table)."""
    values, running, total = _table(weighted)
    return values[bisect.bisect_right(running, rng.random() * total)]


def _int(rng: random.Random, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``; ``random.randint`` does the same several calls deeper."""
    return low + int(rng.random() * (high - low + 1))


@functools.lru_cache(maxsize=100_000)
def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of ``day`` at the site, in UTC (a moment that many minutes later is that time of day there,
    but on the two days a year the clocks change, when it is an hour out: no matter for synthetic data)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@functools.lru_cache(maxsize=100_000)
def _working_day(day: date, n: int, calendar: WorkingDayCalendar) -> date:
    return add_working_days(day, n, calendar)


class Later(Exception):  # a signal, not an error
    """The story's next step falls after now (or never comes: a stalled case). The case stands as it is."""


# -- The rules, asked once per distinct set of facts ------------------------------------------------------------


class Rules:
    def __init__(self) -> None:
        self._clocks: dict[tuple[Any, ...], list[Clock]] = {}
        self._classes: dict[tuple[Any, ...], Classification] = {}
        self._days: dict[tuple[str, date, date], int] = {}
        self._priority: dict[tuple[int, int, tuple[str, ...]], tuple[str, int]] = {}

    @staticmethod
    def facts(c: Row) -> CaseFacts:
        topics = frozenset(c["topics"]) | frozenset(f for f in c["red_flags"] if f in ("abuse", "neglect"))
        return CaseFacts(
            case_type=c["case_type"],
            channel=c["channel"],
            received_at=c["received_at"],
            event_date=c.get("event_date"),
            topics=topics,
            resolved_at_time_by_staff_present=bool(c.get("resolved_at_time_by_staff_present")),
            postponed=bool(c.get("postponed")),
            referred=bool(c.get("referred")),
            requires_investigation=bool(c.get("requires_investigation")),
            requires_further_action=bool(c.get("requires_further_action")),
            requested_formal_or_response=bool(c.get("requested_formal_or_response")),
            medicare_beneficiary=bool(c.get("medicare_beneficiary")),
            acknowledged_at=c.get("acknowledged_at"),
            agreed_response_date=c.get("agreed_response_date"),
            extension_agreed_until=c.get("extension_agreed_until"),
            interim_notice_sent_at=c.get("interim_notice_sent_at"),
            followup_within_days=c.get("followup_within_days"),
        )

    def classify(self, pack: str, c: Row) -> Classification:
        key = (
            pack, c["case_type"], c["channel"], tuple(c["topics"]), tuple(c["red_flags"]),
            *(bool(c.get(flag)) for flag in _FLAGS),
        )  # fmt: skip
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = get_pack(pack).classify(self.facts(c))
        return found

    def new_day(self) -> None:
        """Forget the answers about cases received before today: no case still to come asks about them."""
        self._clocks.clear()
        self._days.clear()

    def clocks(self, sw: SiteWorld, c: Row) -> list[Clock]:
        # Every pack reads the day of each moment at the site, never the hour, and no clock moves with the
        # acknowledgement (it stops one): the key is the facts with days for moments, less that one.
        zone = sw.zone
        interim = c.get("interim_notice_sent_at")
        key = (
            sw.pack, c["received_at"].astimezone(zone).date(), c["case_type"], c["channel"],
            tuple(c["topics"]), tuple(c["red_flags"]), *(bool(c.get(flag)) for flag in _FLAGS),
            c.get("agreed_response_date"), c.get("extension_agreed_until"),
            interim.astimezone(zone).date() if interim else None, c.get("followup_within_days"),
        )  # fmt: skip
        found = self._clocks.get(key)
        if found is None:
            found = self._clocks[key] = get_pack(sw.pack).clocks(self.facts(c), zone)
        return found

    def days(self, sw: SiteWorld, received_at: datetime, done: datetime | None) -> int | None:
        if done is None:
            return None
        pack, zone = sw.pack, sw.zone
        key = (pack, received_at.astimezone(zone).date(), done.astimezone(zone).date())
        found = self._days.get(key)
        if found is None:
            found = self._days[key] = figures.days_between(received_at, done, policy_pack=pack, zone=zone)
        return found

    def priority(self, consequence: int, likelihood: int, flags: tuple[str, ...]) -> tuple[str, int]:
        key = (consequence, likelihood, flags)
        found = self._priority.get(key)
        if found is None:
            result = rate_priority(consequence, likelihood, list(flags))
            found = self._priority[key] = (result.priority, result.rank)
        return found

    def next_due(self, sw: SiteWorld, c: Row) -> tuple[datetime | None, str]:
        """As ``rules.next_due``: the soonest clock still to be met while the case is open."""
        if c["status"] not in OPEN_STATUSES:
            return None, ""
        running = []
        for clock in self.clocks(sw, c):
            if clock.key == "acknowledge":
                still = c.get("acknowledged_at") is None
            elif clock.key == "interim_notice":
                still = c.get("interim_notice_sent_at") is None and c.get("responded_at") is None
            else:
                still = c.get("responded_at") is None
            if still:
                running.append(clock)
        running.sort(key=lambda clock: clock.due)
        return (running[0].due, running[0].name) if running else (None, "")

    def fill_figures(self, sw: SiteWorld, c: Row) -> None:
        """The columns ``figures.refresh`` keeps, from the case's facts as its story left them."""
        clocks = {clock.key: clock.due for clock in self.clocks(sw, c)}
        c["received_on"] = c["received_at"].astimezone(sw.zone).date()
        c["ack_due_at"] = clocks.get("acknowledge")
        c["response_due_at"] = next((clocks[key] for key in figures.RESPOND_CLOCKS if key in clocks), None)
        c["interim_due_at"] = clocks.get("interim_notice")
        done = [m for m in (c.get("interim_notice_sent_at"), c.get("first_responded_at")) if m is not None]
        c["interim_done_at"] = min(done, default=None)
        c["days_to_acknowledge"] = self.days(sw, c["received_at"], c.get("acknowledged_at"))
        c["days_to_respond"] = self.days(sw, c["received_at"], c.get("first_responded_at"))
        c["next_due_at"], c["next_due_name"] = self.next_due(sw, c)


# -- The audit trail, in time order -----------------------------------------------------------------------------


@functools.cache
def _moved(before: str, to: str) -> str:
    """A status change's audit details, encoded once per pair of statuses."""
    return encode_details({"status": [before, to]})


_VIEWED = encode_details({"page": "case detail"})


# -- Cases ------------------------------------------------------------------------------------------------------


@dataclass
class DayJob:
    """One day's arrivals, in time order, with what the main process decided for them."""

    seed: str  # the day's own random numbers: the same data whichever process makes it
    arrivals: list[tuple[datetime, int, int, str]]  # (moment, site index, case or answer key, reference or "")
    keys: dict[str, int]  # model label -> the first key of the day's block (see PER_CASE)
    cases: int


@dataclass
class DayRows:
    rows: dict[str, list[list[Any]]]  # table name -> rows as the database takes them
    audit: list[tuple[Any, ...]]  # not chained yet: see generate_audit.AuditChain


class Output:
    """What one day's stories write: rows by model, timeline and audit rows, keys from the day's blocks."""

    def __init__(self, keys: dict[type[models.Model], tuple[int, int]]) -> None:
        self.rows: dict[type[models.Model], list[Row]] = {}
        self.timeline: list[list[Any]] = []
        self.audit: list[tuple[Any, ...]] = []
        self._keys = {model: list(block) for model, block in keys.items()}

    def next_id(self, model: type[models.Model]) -> int:
        block = self._keys[model]
        if block[0] >= block[1]:
            raise RuntimeError(f"more {model._meta.verbose_name_plural} than PER_CASE allows for: raise it")
        block[0] += 1
        return block[0] - 1

    def add(self, model: type[models.Model], row: Row) -> None:
        rows = self.rows.get(model)
        if rows is None:
            rows = self.rows[model] = []
        rows.append(row)


class Maker:
    """Makes a day's cases and feedback answers at a time, in whichever process runs it."""

    def __init__(self, sites: list[SiteWorld], *, now: datetime) -> None:
        self.sites = sites
        self.now = now
        self.rules = Rules()
        self.tables = tables_for(MODELS, KEYED)
        self._timeline = self.tables[TimelineEvent].expect(TIMELINE_COLUMNS)
        self.rng = random.Random(0)  # noqa: S311 - synthetic data, not secrets
        self.out = Output({})

    def day(self, job: DayJob) -> DayRows:
        self.rng = random.Random(job.seed)  # noqa: S311
        blocks = {_BY_LABEL[label]: (first, first + PER_CASE[label] * job.cases) for label, first in job.keys.items()}
        self.out = Output(blocks)
        self.rules.new_day()
        for moment, site_index, key, reference in job.arrivals:
            sw = self.sites[site_index]
            if reference:
                story = Story(self, sw, moment, key, reference)
                with contextlib.suppress(Later):
                    story.run()
                story.finish()
            else:
                self.feedback(sw, moment, key)
        rows: dict[str, list[list[Any]]] = {}
        for model, table in self.tables.items():
            if model is TimelineEvent:
                converted = convert_lists(self.out.timeline, self._timeline)
            else:
                converted = table.from_dicts(self.out.rows.get(model, ()))
            if converted:
                rows[table.name] = converted
        return DayRows(rows, self.out.audit)

    def feedback(self, sw: SiteWorld, moment: datetime, pk: int) -> None:
        rng = self.rng
        score = _pick(rng, ((1, 60), (2, 22), (3, 6), (4, 5), (5, 5), (6, 2)))
        comment, themes, sentiment = text.feedback_comment(rng, score)
        survey_id, fft_question, text_question = sw.survey
        answers: dict[str, Any] = {str(fft_question): score}
        if comment:
            answers[str(text_question)] = comment
        consent = sentiment != 5 and rng.random() < 0.04  # a very negative one with consent would open a case
        name = text.person_name(rng) if consent else ""
        department = _pick(rng, sw.department_weights)[0]
        self.out.add(
            FeedbackResponse,
            {
                "id": pk,
                "site_id": sw.site_id,
                "department_id": department,
                "survey_id": survey_id,
                "channel": _pick(rng, (("web", 55), ("qr", 30), ("card", 10), ("sms", 5))),
                "received_on": moment.astimezone(sw.zone).date(),
                "fft_score": score,
                "answers": answers,
                "comment": comment,
                "comment_question": text.FEEDBACK_QUESTION if comment else "",
                "contact_consent": consent,
                "contact_name": name,
                "contact_email": text.email_for(name, rng) if consent else "",
                "themes": themes,
                "sentiment": sentiment,
                "analysed_at": moment + timedelta(minutes=_int(rng, 1, 30)) if comment else None,
                "created_at": moment,
            },
        )
        details = encode_details({"survey": survey_id})
        self.out.audit.append((moment, None, "feedback.response", "feedback.feedbackresponse", pk, sw.site_id, details))


class Story:
    """One case, from the day it was received to now."""

    def __init__(self, maker: Maker, sw: SiteWorld, received_at: datetime, pk: int, reference: str) -> None:
        self.maker, self.sw, self.rng, self.now = maker, sw, maker.rng, maker.now
        self.out = maker.out
        self.calendar: WorkingDayCalendar = calendar_for(sw.pack)
        self.last = received_at
        self.steps_left: int | None = None  # a stalled case stops after this many more steps
        self.version = 0
        self.issues: list[Row] = []
        self.issues_written = False
        self.restricted_to: list[int] = []
        self.asked = ""
        self.restriction = ""  # the reason the case will be restricted for, soon after it is logged
        self.c = self._new_case(received_at, pk, reference)

    # -- The case as it arrived ---------------------------------------------------------------------------------

    def _new_case(self, received_at: datetime, pk: int, reference: str) -> Row:
        rng, sw = self.rng, self.sw
        uk = sw.uk
        kind = _pick(rng, _TYPES_UK if uk else _TYPES_US)
        self.asked = kind  # the type logged; the US rules may make a complaint or concern a grievance
        channel = _pick(rng, _CHANNELS[kind])
        local = received_at.astimezone(sw.zone)
        department_id, department_name, _weight = _pick(rng, sw.department_weights)
        patient = text.person_name(rng)
        by_patient = rng.random() < 0.6
        complainant = "" if by_patient else text.person_name(rng)
        spanish = not uk and rng.random() < 0.08
        born = local.date() - timedelta(days=_int(rng, 0, 95 * 365))
        c: Row = {
            "id": pk,
            "site_id": sw.site_id,
            "reference": reference,
            "case_type": kind,
            "channel": channel,
            "received_at": received_at,
            "event_date": local.date() - timedelta(days=int(rng.expovariate(1 / 12))) if kind != "enquiry" else None,
            "status": Status.NEW,
            "patient_name": patient,
            "patient_mrn": f"{'RX' if uk else 'M'}{_int(rng, 1_000_000, 9_999_999)}",
            "patient_dob": born,
            "patient_phone": text.phone(rng, uk),
            "patient_email": text.email_for(patient, rng) if by_patient and rng.random() < 0.5 else "",
            "patient_address": text.address(rng, uk),
            "complainant_is_patient": by_patient,
            "preferred_language": "es" if spanish else "en",
            "interpreter_needed": spanish and rng.random() < 0.7,
            "accessibility_needs": rng.choice(text.ACCESSIBILITY) if rng.random() < 0.04 else "",
            "topics": [],
            "red_flags": [],
            "reported_department_id": department_id if channel == "web_form" else None,
            "restricted": False,
            "restricted_reason": "",
            "stopped_at": None,
            "first_responded_at": None,
            "finished_once": False,
            "reopened": False,
        }
        if not by_patient:
            relationship = rng.choice(text.RELATIONSHIPS)
            c.update(
                complainant_name=complainant,
                complainant_relationship=relationship,
                complainant_phone=text.phone(rng, uk),
                complainant_email=text.email_for(complainant, rng) if rng.random() < 0.6 else "",
                complainant_address=text.address(rng, uk),
                consent_method=_pick(rng, _CONSENT),
            )
            if c["consent_method"] != "not_yet":
                c["consent_date"] = local.date()
        who = "" if by_patient else c["complainant_relationship"]
        if not uk and kind in ("complaint", "concern"):
            self._us_facts(c, kind)
        formal_kind = kind == "complaint"
        if formal_kind or kind == "concern":
            if rng.random() < (0.06 if formal_kind else 0.01):
                c["red_flags"] = [_pick(rng, _RED_FLAGS)]
            consequence = _pick(rng, _CONSEQUENCE if formal_kind else ((1, 60), (2, 40)))
            likelihood = _pick(rng, ((1, 15), (2, 30), (3, 35), (4, 15), (5, 5)))
        else:
            consequence, likelihood = 1, 1
        c["risk_consequence"], c["risk_likelihood"] = consequence, likelihood
        c["priority"], c["priority_rank"] = self.maker.rules.priority(consequence, likelihood, tuple(c["red_flags"]))
        if kind in ("concern", "complaint") and self.maker.rules.classify(sw.pack, c).is_grievance:
            c["case_type"] = CaseType.GRIEVANCE  # the US rules decide, as services._apply_derived does
        sentences = self._issues(c, kind, department_id) if kind in ("complaint", "concern") else []
        relation = who or "family member"
        if kind == "compliment":
            c["account"] = rng.choice(text.COMPLIMENTS).format(dept=department_name, who=relation)
        elif kind == "enquiry":
            c["account"] = rng.choice(text.ENQUIRIES).format(dept=department_name, who=relation)
        else:
            c["account"] = text.account(rng, sentences, who or "mother", department_name)
            c["desired_outcome"] = rng.choice(text.WANTS)
        if rng.random() < (0.015 if c["case_type"] in (CaseType.COMPLAINT, CaseType.GRIEVANCE) else 0.005):
            self.restriction = _pick(rng, (("staff_as_patient", 50), ("vip", 20), ("safeguarding", 30)))
        return c

    def _us_facts(self, c: Row, kind: str) -> None:
        rng = self.rng
        if kind == "complaint":
            c["requested_formal_or_response"] = rng.random() < 0.45
            c["requires_investigation"] = rng.random() < 0.35
            c["requires_further_action"] = rng.random() < 0.15
            c["postponed"] = rng.random() < 0.1
            c["referred"] = rng.random() < 0.1
        else:
            c["resolved_at_time_by_staff_present"] = rng.random() < 0.85
            c["requested_formal_or_response"] = rng.random() < 0.03
        c["medicare_beneficiary"] = rng.random() < 0.35
        topics = []
        for topic, chance in (("quality_of_care", 0.25), ("billing", 0.08), ("premature_discharge", 0.04)):
            if rng.random() < chance:
                topics.append(topic)
        if rng.random() < 0.02:
            topics.append("medicare_billing_rights")
        c["topics"] = topics

    def _issues(self, c: Row, kind: str, department_id: int) -> list[str]:
        rng, sw = self.rng, self.sw
        count = _pick(rng, ((1, 55), (2, 30), (3, 15)) if kind == "complaint" else ((1, 80), (2, 20)))
        sentences = []
        for n in range(count):
            category = _pick(rng, _CATEGORY_TABLE)
            summary, sentence = rng.choice(text.ISSUES[category])
            sentences.append(sentence)
            dept = department_id
            if n and rng.random() < 0.3:
                dept = _pick(rng, sw.department_weights)[0]
            group = _pick(rng, _GROUPS)
            member = None
            if group and rng.random() < 0.15:
                matching = [m for m, g in sw.staff.get(dept, []) if g == group]
                member = rng.choice(matching) if matching else None
            self.issues.append(
                {
                    "id": self.out.next_id(Issue),
                    "case_id": c["id"],
                    "category": category,
                    "severity": _pick(rng, ((1, 55), (2, 35), (3, 10))),
                    "stage_of_care": _pick(rng, _STAGES),
                    "department_id": dept,
                    "staff_group": group,
                    "staff_member_id": member,
                    "summary": summary,
                    "finding": "",
                    "outcome": "",
                }
            )
        return sentences

    # -- Steps ------------------------------------------------------------------------------------------------------

    def at(self, when: datetime) -> datetime:
        """The moment of the next step: after the one before, and not after now (else the story ends here)."""
        if when <= self.last:
            when = self.last + timedelta(minutes=_int(self.rng, 1, 20))
        if when > self.now:
            raise Later
        if self.steps_left is not None:
            if self.steps_left <= 0:
                raise Later
            self.steps_left -= 1
        self.last = when
        return when

    def office(self, after: datetime, days: float, *, working: bool = True) -> datetime:
        """A moment in office hours about ``days`` after ``after``, at the site (on a working day if asked)."""
        day = (after + timedelta(days=days)).astimezone(self.sw.zone).date()
        if working:
            day = _working_day(day - timedelta(days=1), 1, self.calendar)
        minutes = 480 + int(self.rng.random() * 600)  # 08:00 to 17:59
        return _midnight(day, self.sw.zone) + timedelta(minutes=minutes)

    def timeline(
        self,
        when: datetime,
        kind: str,
        summary: str,
        actor: Person | None,
        *,
        body: str = "",
        data: dict[str, Any] | None = None,
        minutes: int | None = None,
    ) -> None:
        # In TIMELINE_COLUMNS order.
        self.out.timeline.append(
            [self.c["id"], kind, when, actor.id if actor else None, summary[:300], body, minutes, data or {}]
        )

    def audit(
        self,
        when: datetime,
        action: str,
        actor: Person | None,
        details: dict[str, Any] | str | None = None,
        *,
        object_type: str = "cases.case",
        object_id: int | None = None,
    ) -> None:
        if details is None or details.__class__ is not str:
            details = encode_details(details) if details else "{}"
        self.out.audit.append(
            (
                when, actor.id if actor else None, action, object_type,
                self.c["id"] if object_id is None else object_id, self.sw.site_id, details,
            )
        )  # fmt: skip

    def view(self, actor: Person, when: datetime) -> None:
        """Someone opened the case page (the trail records every view of a patient's identity)."""
        when = when + timedelta(minutes=_int(self.rng, 1, 30))
        if when <= self.now:
            self.audit(when, "view", actor, _VIEWED)

    def saved(self, when: datetime) -> None:
        """What ``services._save`` keeps on every change: the version, and the figures that only grow."""
        c = self.c
        self.version += 1
        c["updated_at"] = when
        if c["status"] in OPEN_STATUSES:
            c["stopped_at"] = None
        elif c["stopped_at"] is None:
            c["stopped_at"] = c.get("closed_at") or when
        if c["status"] in _FINISHED:
            c["finished_once"] = True
        if c.get("responded_at") is not None and c["first_responded_at"] is None:
            c["first_responded_at"] = c["responded_at"]

    def change(
        self,
        when: datetime,
        action: str,
        actor: Person,
        summary: str,
        *,
        kind: str = TimelineKind.STATUS,
        body: str = "",
        data: dict[str, Any] | None = None,
        details: dict[str, Any] | str | None = None,
        minutes: int | None = None,
    ) -> None:
        """One change through ``services.change_case``: the save, its timeline entry, its audit row."""
        self.saved(when)
        if summary:
            self.timeline(when, kind, summary, actor, body=body, data=data, minutes=minutes)
        self.audit(when, f"case.{action}", actor, details)

    def transition(
        self,
        when: datetime,
        to: str,
        summary: str,
        actor: Person,
        *,
        body: str = "",
        stamp: tuple[str, ...] = (),
        **fields: Any,
    ) -> datetime:
        """A change of status; the fields named in ``stamp`` take the moment it happened."""
        when = self.at(when)
        before = self.c["status"]
        self.c["status"] = to
        self.c.update(fields)
        for name in stamp:
            self.c[name] = when
        self.change(when, to, actor, summary, body=body, data={"from": before, "to": to}, details=_moved(before, to))
        return when

    # -- The story --------------------------------------------------------------------------------------------

    def run(self) -> None:
        c, rng = self.c, self.rng
        formal = c["case_type"] in (CaseType.COMPLAINT, CaseType.GRIEVANCE)
        if formal and rng.random() < 0.004:
            self.steps_left = _int(rng, 3, 8)  # a case that stalls part-way and sits in the backlog
        owner = self.open()
        if c["case_type"] == CaseType.CONCERN:
            self.concern(owner)
        elif formal:
            self.formal(owner)
        else:
            self.quick(owner)

    def open(self) -> Person:
        """Logged by an officer (who takes it), or by the system from the web form or an email (triage)."""
        c, rng, sw = self.c, self.rng, self.sw
        received = c["received_at"]
        system = c["channel"] in ("web_form", "email") and rng.random() < 0.5
        officer = rng.choice(sw.officers)
        if system:
            created = received + timedelta(seconds=_int(rng, 1, 90))
        elif c["channel"] in ("phone", "in_person"):
            created = received + timedelta(minutes=_int(rng, 4, 45))
        else:
            created = received + timedelta(minutes=_int(rng, 20, 360))
        created = min(created, self.now - timedelta(minutes=1))
        created = self.at(max(created, received))
        c["created_at"] = created
        actor = None if system else officer
        if not system:
            c["owner_id"] = officer.id
        self.version = 0
        self.saved(created)
        label = _TYPE_LABELS[c["case_type"]].lower()
        channel = _CHANNEL_LABELS[c["channel"]].lower()
        source = {"source": "web form" if c["channel"] == "web_form" else "email"} if system else {}
        self.timeline(created, TimelineKind.STATUS, f"Logged as a new {label} ({channel})", actor, data=source)
        if c["case_type"] != self.asked:
            reasons = " ".join(self.maker.rules.classify(sw.pack, c).reasons)
            self.timeline(
                created, TimelineKind.STATUS, "Classified as a grievance by the site's rules", actor, body=reasons
            )
        if not system:
            self.timeline(created, TimelineKind.ASSIGNMENT, f"Assigned to {officer.name}", actor)
            self._write_issues()
        self.audit(created, "case.create", actor, {"reference": c["reference"], "type": c["case_type"]})
        if system:
            self.triage(officer)
        else:
            self.view(officer, created)
        if self.restriction:
            self.restrict(officer)
        return officer

    def _write_issues(self) -> None:
        for issue in self.issues:
            self.out.add(Issue, issue)
        self.issues_written = True

    def triage(self, officer: Person) -> None:
        """A case from the web or email waits in the triage queue until an officer takes it and codes it."""
        c, rng = self.c, self.rng
        when = self.at(self.office(c["created_at"], rng.choice((0, 0, 1, 1, 2)), working=True))
        c["owner_id"] = officer.id
        self.change(
            when, "assign", officer, f"Assigned to {officer.name}", kind=TimelineKind.ASSIGNMENT,
            details={"owner": [None, officer.id]},
        )  # fmt: skip
        self.view(officer, when)
        for issue in self.issues:
            when = self.at(when + timedelta(minutes=_int(rng, 2, 15)))
            self.out.add(Issue, issue)
            label = _CATEGORY_LABELS[issue["category"]]
            self.change(
                when, "issue_add", officer, f"Issue added: {label}", kind=TimelineKind.EDIT,
                details={"issue": issue["id"], "category": issue["category"]},
            )  # fmt: skip
        self.issues_written = True

    def restrict(self, actor: Person) -> None:
        c, rng, sw = self.c, self.rng, self.sw
        when = self.at(self.last + timedelta(minutes=_int(rng, 5, 90)))
        manager = sw.managers[c["id"] % len(sw.managers)]
        people = sorted({actor.id, manager.id})
        self.restricted_to = people
        c["restricted"], c["restricted_reason"] = True, self.restriction
        self.change(
            when, "restrict", actor, "Restricted to named people", kind=TimelineKind.EDIT,
            details={"restricted": True, "reason": self.restriction, "users": people},
        )  # fmt: skip

    def note(self, actor: Person, when: datetime) -> None:
        rng = self.rng
        when = self.at(when)
        if rng.random() < 0.5:
            self.change(when, "call", actor, rng.choice(text.CALLS), kind=TimelineKind.CALL, minutes=_int(rng, 3, 40))
        else:
            self.change(when, "note", actor, rng.choice(text.NOTES), kind=TimelineKind.NOTE)

    def letter(self, kind: str, actor: Person, when: datetime) -> datetime:
        """Drafted, sent for sign-off, signed by a manager, then posted or emailed: the letter's own steps."""
        c, rng, sw = self.c, self.rng, self.sw
        language = "es" if c["preferred_language"] == "es" else "en"
        template = sw.templates.get((kind, language)) or sw.templates[(kind, "en")]
        label = _LETTER_LABELS[kind]
        pk = self.out.next_id(Letter)
        when = self.at(when)
        name = c.get("complainant_name") or c["patient_name"]
        row: Row = {
            "id": pk,
            "case_id": c["id"],
            "template_id": template,
            "kind": kind,
            "language": language,
            "large_print": "Large print" in c["accessibility_needs"],
            "subject": f"{label}: {c['reference']}",
            "body_html": f"<p>Dear {name},</p><p>{label} about your {_TYPE_LABELS[c['case_type']].lower()}.</p>",
            "status": LetterStatus.DRAFT,
            "drafted_by_id": actor.id,
            "drafted_at": when,
            "version": 1,
        }
        self.out.add(Letter, row)
        data = {"letter": pk}
        language_label = "Spanish" if language == "es" else "English"
        self.timeline(when, TimelineKind.LETTER, f"{label} drafted ({language_label})", actor, data=data)
        self.audit(
            when, "letter.draft", actor, {"case": c["reference"], "kind": kind, "template": template},
            object_type="correspondence.letter", object_id=pk,
        )  # fmt: skip
        when = self.at(when + timedelta(minutes=_int(rng, 5, 60)))
        row.update(status=LetterStatus.AWAITING_SIGNOFF, submitted_at=when)
        self.timeline(when, TimelineKind.LETTER, f"{label} sent for sign-off", actor, data=data)
        self.audit(when, "letter.submit", actor, object_type="correspondence.letter", object_id=pk)
        manager = sw.managers[pk % len(sw.managers)]
        when = self.at(when + timedelta(minutes=_int(rng, 10, 240)))
        digest = hashlib.sha256(f"synthetic letter {pk}".encode()).hexdigest()
        row.update(status=LetterStatus.SIGNED, signed_by_id=manager.id, signed_at=when, pdf_sha256=digest)
        self.timeline(when, TimelineKind.LETTER, f"{label} signed by {manager.name}", manager, data=data)
        self.audit(when, "letter.sign", manager, {"sha256": digest}, object_type="correspondence.letter", object_id=pk)
        when = self.at(when + timedelta(minutes=_int(rng, 5, 90)))
        email = c.get("complainant_email") or c["patient_email"]
        if email and rng.random() < 0.5:
            row.update(status=LetterStatus.SENT, sent_at=when, sent_to=email)
            self.timeline(when, TimelineKind.LETTER, f"{label} emailed", actor, data=data)
            self.audit(when, "letter.email", actor, object_type="correspondence.letter", object_id=pk)
        else:
            row.update(status=LetterStatus.POSTED, sent_at=when, sent_to="post")
            self.timeline(when, TimelineKind.LETTER, f"{label} printed and posted", actor, data=data)
            self.audit(when, "letter.post", actor, object_type="correspondence.letter", object_id=pk)
        return when

    def request(self, owner: Person, when: datetime) -> None:
        """Questions to the department of the first issue, and (unless still waiting) its answer."""
        c, rng, sw = self.c, self.rng, self.sw
        department = self.issues[0]["department_id"]
        name = next(d[1] for d in sw.departments if d[0] == department)
        pk = self.out.next_id(InvestigationRequest)
        when = self.at(when)
        due = _working_day(when.astimezone(sw.zone).date(), sw.investigation_days, self.calendar)
        row: Row = {
            "id": pk,
            "case_id": c["id"],
            "department_id": department,
            "questions": text.QUESTIONS,
            "due_date": due,
            "status": RequestStatus.OPEN,
            "requested_by_id": owner.id,
            "requested_at": when,
        }
        self.out.add(InvestigationRequest, row)
        shared = ", patient's identity not shared" if c["restricted"] else ""
        self.timeline(
            when, TimelineKind.NOTE, f"Investigation request sent to {name}, due {due:%d %b %Y}{shared}", owner,
            body=text.QUESTIONS, data={"investigation_request": pk},
        )  # fmt: skip
        details = {
            "case": c["reference"],
            "department": department,
            "due": due.isoformat(),
            "identity_shared": not c["restricted"],
        }
        self.audit(
            when, "investigation.request", owner, details, object_type="investigations.investigationrequest",
            object_id=pk,
        )  # fmt: skip
        investigator = sw.investigators[department]
        late = rng.random() < 0.25
        when = self.at(self.office(when, _int(rng, 14, 30) if late else _int(rng, 2, 13)))
        row.update(
            status=RequestStatus.ANSWERED, statement=rng.choice(text.STATEMENTS), answered_by_id=investigator.id,
            answered_at=when,
        )  # fmt: skip
        answered = [issue["id"] for issue in self.issues if issue["department_id"] == department]
        for issue_id in answered:
            self.out.add(
                RequestFinding, {"request_id": pk, "issue_id": issue_id, "finding": rng.choice(text.STATEMENTS)}
            )
        self.timeline(
            when, TimelineKind.NOTE, f"{name} answered the investigation request", investigator,
            data={"investigation_request": pk},
        )  # fmt: skip
        self.audit(
            when, "investigation.answer", investigator, {"findings": sorted(answered), "evidence": 0},
            object_type="investigations.investigationrequest", object_id=pk,
        )  # fmt: skip

    def formal(self, owner: Person) -> None:
        """A complaint (England) or grievance (US): acknowledge, investigate, answer in writing, close."""
        c, rng, sw = self.c, self.rng, self.sw
        received = c["received_at"]
        grievance = c["case_type"] == CaseType.GRIEVANCE
        if sw.uk or rng.random() < 0.7:
            days = _pick(rng, ((0, 10), (1, 30), (2, 25), (3, 22), (4, 6), (5, 4), (7, 3)))
            start = self.office(received, days) if days else self.last + timedelta(minutes=_int(rng, 20, 120))
            sent = self.letter(LetterKind.ACKNOWLEDGEMENT, owner, start)
            self.transition(
                sent + timedelta(seconds=30), Status.ACKNOWLEDGED, "Acknowledged by letter", owner,
                stamp=("acknowledged_at",),
            )  # fmt: skip
        if rng.random() < 0.03:
            self.transition(
                self.office(self.last, _int(rng, 2, 20)), Status.WITHDRAWN, "Withdrawn by the complainant", owner,
                body=rng.choice(text.WITHDRAWALS), stamp=("closed_at",),
            )  # fmt: skip
            return
        started = self.transition(
            self.office(self.last, rng.choice((0, 0, 1, 2, 3))), Status.UNDER_INVESTIGATION, "Investigation started",
            owner,
        )  # fmt: skip
        self.view(owner, started)
        if sw.uk:
            roll = rng.random()  # most within the 25 working days; a tail of slow ones
            respond_in = _int(rng, 12, 35) if roll < 0.72 else _int(rng, 36, 60) if roll < 0.9 else _int(rng, 61, 130)
            if rng.random() < 0.06:
                self._extend(owner, started)
                until = c["extension_agreed_until"]
                respond_in = max(respond_in, (until - received.astimezone(sw.zone).date()).days - _int(rng, 0, 10))
        else:
            respond_in = _int(rng, 2, 7) if rng.random() < 0.45 else _int(rng, 8, 35)
            if respond_in > 7:
                self._interim(owner, respond_in)
        planned = self.office(received, respond_in, working=False)
        if rng.random() < 0.35:
            self.request(owner, self.office(started, rng.choice((0, 1, 2))))
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            gap = max((planned - self.last).total_seconds(), 3600) * rng.uniform(0.1, 0.5)
            self.note(owner, self.last + timedelta(seconds=gap))
        drafted = self.transition(
            max(planned - timedelta(days=_int(rng, 1, 5)), self.last + timedelta(hours=2)),
            Status.RESPONSE_DRAFTED, "Response drafted", owner,
        )  # fmt: skip
        self.view(owner, drafted)
        self._findings(owner, drafted + timedelta(hours=_int(rng, 1, 20)))
        sent = self.letter(LetterKind.FINAL_RESPONSE, owner, max(planned, self.last + timedelta(hours=1)))
        self._respond(owner, sent + timedelta(seconds=30), grievance)
        self.transition(
            self.office(self.last, _int(rng, 1, 21)), Status.CLOSED, "Closed", owner,
            body=rng.choice(text.CLOSING_NOTES), stamp=("closed_at",),
        )  # fmt: skip
        self.afterwards(owner, grievance)

    def _respond(self, owner: Person, when: datetime, grievance: bool) -> None:
        """The written response (for a grievance, the written notice of the decision, US-15) went out."""
        summary = "Written notice of the decision sent" if grievance else "Response sent"
        stamp = ("responded_at", "written_notice_sent_at") if grievance else ("responded_at",)
        self.transition(when, Status.RESPONDED, summary, owner, stamp=stamp)

    def _extend(self, owner: Person, started: datetime) -> None:
        c, rng, sw = self.c, self.rng, self.sw
        when = self.at(self.office(started, _int(rng, 5, 20)))
        before, _name = self.maker.rules.next_due(sw, c)
        until = c["received_at"].astimezone(sw.zone).date() + timedelta(days=_int(rng, 45, 90))
        c.update(extension_agreed_until=until, extension_agreement=text.AGREEMENTS, agreed_response_date=until)
        after, _name = self.maker.rules.next_due(sw, c)
        self.change(
            when, "extension", owner, f"Response date extended to {until:%d %b %Y} by agreement",
            kind=TimelineKind.CLOCK, body=text.AGREEMENTS,
            details={"until": until.isoformat(), "next_due": [_iso(before), _iso(after)]},
        )  # fmt: skip

    def _interim(self, owner: Person, respond_in: int) -> None:
        c, rng = self.c, self.rng
        start = self.office(c["received_at"], _int(rng, 3, 6), working=False)
        sent = self.letter(LetterKind.INTERIM_NOTICE, owner, start)
        followup = max(14, respond_in - (sent - c["received_at"]).days + _int(rng, 0, 7))
        when = self.at(sent + timedelta(seconds=30))
        c.update(interim_notice_sent_at=when, followup_within_days=followup)
        self.change(
            when, "interim_notice", owner, f"Interim notice sent; written response promised within {followup} days",
            kind=TimelineKind.CLOCK, details={"followup_within_days": followup},
        )  # fmt: skip

    def _findings(self, owner: Person, when: datetime) -> None:
        c, rng, sw = self.c, self.rng, self.sw
        when = self.at(when)
        outcome = _pick(rng, _OUTCOMES)
        outcomes = {}
        for n, issue in enumerate(self.issues):
            each = outcome
            if outcome == "partly_upheld" and len(self.issues) > 1:
                each = "upheld" if n == 0 else rng.choice(("not_upheld", "partly_upheld"))
            issue["finding"], issue["outcome"] = text.FINDINGS[each], each
            outcomes[str(issue["id"])] = each
        c.update(
            outcome=outcome, how_considered=rng.choice(text.HOW_CONSIDERED), learning=text.LEARNING[outcome],
            investigation_completed_on=when.astimezone(sw.zone).date(),
        )  # fmt: skip
        self.change(
            when, "findings", owner, "Findings and outcome recorded", kind=TimelineKind.EDIT,
            details={"outcome": outcome, "issues": outcomes},
        )  # fmt: skip

    def afterwards(self, owner: Person, grievance: bool) -> None:
        """Now and then the complainant goes to an outside body, or comes back and is answered again."""
        c, rng, sw = self.c, self.rng, self.sw
        roll = rng.random()
        if roll < (0.015 if sw.uk else 0.01):
            body = _pick(rng, (("ombudsman", 85), ("regulator", 15)) if sw.uk else (("qio", 60), ("state_agency", 40)))
            when = self.office(self.last, _int(rng, 21, 112))
            day = when.astimezone(sw.zone).date()  # office hours: the step keeps its day
            notes = "The complainant was not satisfied with the response and asked for an independent review."
            self.transition(
                when, Status.REFERRED, f"Referred to {_BODY_LABELS[body]} on {day:%d %b %Y}", owner, body=notes
            )
            self.out.add(
                ExternalReferral,
                {"case_id": c["id"], "body": body, "referred_on": day, "reference": "", "notes": notes,
                 "created_by_id": owner.id},
            )  # fmt: skip
        elif roll < 0.045:
            self.transition(
                self.office(self.last, _int(rng, 7, 50)), Status.UNDER_INVESTIGATION, "Reopened", owner,
                body=rng.choice(text.REOPEN_REASONS), closed_at=None, responded_at=None, reopened=True,
            )  # fmt: skip
            self._respond(owner, self.office(self.last, _int(rng, 10, 40)), grievance)
            self.transition(
                self.office(self.last, _int(rng, 1, 10)), Status.CLOSED, "Closed", owner,
                body="Second response sent; nothing further asked.", stamp=("closed_at",),
            )  # fmt: skip

    def concern(self, owner: Person) -> None:
        """Informal: sorted out at first contact, or looked into and closed within days."""
        c, rng, sw = self.c, self.rng, self.sw
        if not sw.uk and c.get("resolved_at_time_by_staff_present"):
            self.transition(
                self.last + timedelta(minutes=_int(rng, 10, 180)), Status.CLOSED, "Closed", owner,
                body="Resolved at the time by the staff present.", stamp=("closed_at",),
            )  # fmt: skip
            return
        if rng.random() < 0.5:
            self.note(owner, self.office(self.last, _int(rng, 0, 3)))
        roll = rng.random()
        if roll < 0.55:
            when = self.at(self.office(c["received_at"], _int(rng, 0, 6)))
            outcome = "resolved_first_contact" if rng.random() < 0.8 else "declined_formal"
            before = c["status"]
            c.update(status=Status.CLOSED, informal_outcome=outcome, closed_at=when)
            self.change(
                when, "resolve_informally", owner, "Resolved informally and closed",
                body="Talked it through with the ward; they were content.",
                data={"from": before, "to": Status.CLOSED},
                details={"status": [before, Status.CLOSED], "informal_outcome": outcome, "flagged": False},
            )  # fmt: skip
        elif roll < 0.96:
            self.transition(
                self.office(c["received_at"], _int(rng, 1, 14)), Status.CLOSED, "Closed", owner,
                body=rng.choice(text.CLOSING_NOTES), stamp=("closed_at",),
            )  # fmt: skip
        else:
            self.transition(
                self.office(c["received_at"], _int(rng, 1, 10)), Status.WITHDRAWN, "Withdrawn by the complainant",
                owner, body=rng.choice(text.WITHDRAWALS), stamp=("closed_at",),
            )  # fmt: skip

    def quick(self, owner: Person) -> None:
        """A compliment (thanked, sometimes by letter) or an enquiry (answered): closed within days."""
        c, rng = self.c, self.rng
        if c["case_type"] == CaseType.COMPLIMENT and rng.random() < 0.4:
            self.letter(LetterKind.COMPLIMENT_THANKS, owner, self.office(c["received_at"], _int(rng, 0, 4)))
        elif c["case_type"] == CaseType.ENQUIRY:
            self.note(owner, self.last + timedelta(minutes=_int(rng, 10, 300)))
        self.transition(
            self.office(self.last, _int(rng, 0, 3)), Status.CLOSED, "Closed", owner, body="Nothing further needed.",
            stamp=("closed_at",),
        )  # fmt: skip

    # -- The row as the story left it ---------------------------------------------------------------------------

    def finish(self) -> None:
        c, sw = self.c, self.sw
        c["version"] = self.version
        self.maker.rules.fill_figures(sw, c)
        self.out.add(Case, c)
        for user_id in self.restricted_to:
            self.out.add(Case.restricted_to.through, {"case_id": c["id"], "user_id": user_id})


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
