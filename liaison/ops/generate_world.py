"""The organisation synthetic cases happen in: sites, departments, staff, logins, surveys and letter templates.

Built through the real services (each writes its audit row), once: a second run finds the synthetic sites
by their marker (``ops.SyntheticSite``) and the people by their address domain, and adds only what is missing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password

from liaison.accounts.models import User
from liaison.accounts.services import user_create
from liaison.correspondence.models import LetterTemplate
from liaison.correspondence.services import templates_sync
from liaison.feedback.models import Question, QuestionKind, Survey
from liaison.feedback.services import survey_add_question, survey_create
from liaison.ops import generate_text as text
from liaison.ops.models import SyntheticSite
from liaison.org.models import Department, Site, StaffMember
from liaison.org.services import department_create, site_create, staff_member_create

EMAIL_DOMAIN = "synthetic.liaison.invalid"  # .invalid never resolves: no generated address can reach anyone
PASSWORD = "synthetic data only 2026"  # every generated login's password; the database holds no real data

_UK_DEPARTMENTS = (
    ("Emergency Department", "ED", 18), ("Acute Medicine", "AMU", 10), ("Cardiology", "CARD", 6),
    ("General Surgery", "GSURG", 8), ("Trauma and Orthopaedics", "T&O", 8), ("Maternity", "MAT", 9),
    ("Children's Services", "PAED", 5), ("Oncology", "ONC", 5), ("Older People's Care", "COOP", 7),
    ("Outpatients", "OPD", 12), ("Imaging", "RAD", 3), ("Pharmacy", "PHARM", 3), ("Patient Transport", "PTS", 6),
)  # fmt: skip
_US_DEPARTMENTS = (
    ("Emergency Medicine", "EM", 18), ("Hospital Medicine", "IM", 10), ("Heart Center", "CARD", 6),
    ("Surgical Services", "SURG", 8), ("Orthopedics", "ORTHO", 7), ("Labor and Delivery", "L&D", 8),
    ("Pediatrics", "PEDS", 5), ("Cancer Center", "ONC", 5), ("Behavioral Health", "BH", 5),
    ("Intensive Care", "ICU", 4), ("Imaging", "IMG", 3), ("Patient Financial Services", "PFS", 9),
)  # fmt: skip
# (name, code, policy pack, time zone): the first two are the usual pair; more sites go round the list.
_SITES = (
    ("Riverside General Hospital", "SYNRGH", "england_nhs", "Europe/London"),
    ("Harbor Point Medical Center", "SYNHPM", "us_cms", "America/New_York"),
    ("Moorfield Community Hospital", "SYNMCH", "england_nhs", "Europe/London"),
    ("Lakeview Regional Medical Center", "SYNLRM", "us_cms", "America/Chicago"),
)
_STAFF = (
    ("Consultant", "medical"), ("Registrar", "medical"), ("Ward manager", "nursing"), ("Staff nurse", "nursing"),
    ("Healthcare assistant", "nursing"), ("Physiotherapist", "allied_health"), ("Receptionist", "administrative"),
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str
    ip: str  # the workstation the trail says they worked from
    agent: str


@dataclass(eq=False)  # compared and hashed by identity: one object per site in a run
class SiteWorld:
    """What a case's story needs to know of its site, in plain values (it travels to worker processes)."""

    site_id: int
    code: str
    pack: str  # the site's policy pack
    investigation_days: int
    zone: ZoneInfo
    uk: bool
    weight: float
    departments: list[tuple[int, str, int]]  # (id, name, weight)
    department_weights: tuple[tuple[tuple[int, str, int], int], ...]  # each department with its weight
    officers: list[Person]
    managers: list[Person]
    investigators: dict[int, Person]  # by department id
    staff: dict[int, list[tuple[int, str]]]  # by department id: (staff member id, staff group)
    templates: dict[tuple[str, str], int]  # (letter kind, language) -> the newest template's id
    survey: tuple[int, int, int]  # (survey id, FFT question id, text question id)


@dataclass
class World:
    sites: list[SiteWorld]
    site_models: list[Site]
    director: Person
    executive: Person
    auditor: Person
    users_created: int = 0

    def people(self) -> dict[int, Person]:
        """Everyone who acts in the stories, by user id."""
        found = {p.id: p for p in (self.director, self.executive, self.auditor)}
        for sw in self.sites:
            for person in (*sw.officers, *sw.managers, *sw.investigators.values()):
                found[person.id] = person
        return found


def site_codes(sites: int) -> list[str]:
    """The codes of the first ``sites`` synthetic sites (the generator's sites always have these)."""
    return [_spec(n)[1] for n in range(sites)]


def _spec(n: int) -> tuple[str, str, str, str]:
    if n < len(_SITES):
        return _SITES[n]
    name, _code, pack, zone = _SITES[n % 2]
    return f"{name} {n + 1}", f"SYN{n + 1:03d}", pack, zone


def build_world(*, sites: int, cases: int, years: int, rng: random.Random) -> World:
    """The synthetic organisation: ``sites`` sites (England and the US in turn), staffed for ``cases`` cases."""
    templates_sync()
    marked = {m.site_id for m in SyntheticSite.objects.all()}
    worlds: list[SiteWorld] = []
    users = {u.email: u for u in User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")}
    new_users: list[int] = []
    weights = [4.0 if n == 0 else 1.0 for n in range(sites)]
    total_weight = sum(weights)

    def login(email: str, name: str, roles: list[str], at: list[Site], departments: list[Department]) -> User:
        if email in users:
            return users[email]
        user = user_create(
            acting_user=None, email=email, full_name=name, password=None, roles=roles, sites=at, departments=departments
        )
        users[email] = user
        new_users.append(user.pk)
        return user

    all_sites: list[Site] = []
    for n in range(sites):
        name, code, pack, tz = _spec(n)
        site = Site.objects.filter(code=code).first()
        if site is not None and site.pk not in marked:
            raise ValueError(f"site code {code} is taken by a site the generator did not create")
        if site is None:
            uk = pack != "us_cms"
            site = site_create(
                acting_user=None,
                name=f"{name} (synthetic)",
                code=code,
                policy_pack=pack,
                time_zone=tz,
                address=f"{name}\n1 Example Way",
                complaints_contact_name="Patient Relations" if uk else "Patient Advocacy Office",
                complaints_contact_email=f"contact.{code.lower()}@{EMAIL_DOMAIN}",
                letter_footer=f"{name} (synthetic data)",
            )
            SyntheticSite.objects.create(site=site)
        all_sites.append(site)

    for n, site in enumerate(all_sites):
        uk = site.policy_pack != "us_cms"
        code = site.code.lower()
        departments = []
        for dept_name, dept_code, weight in _UK_DEPARTMENTS if uk else _US_DEPARTMENTS:
            dept = Department.objects.filter(site=site, name=dept_name).first()
            if dept is None:
                dept = department_create(acting_user=None, site=site, name=dept_name, code=dept_code)
                for k, (title, group) in enumerate(_STAFF):
                    staff_member_create(
                        acting_user=None,
                        site=site,
                        full_name=text.person_name(rng),
                        job_title=title if k else f"{title}, {dept_name}",
                        staff_group=group,
                        department=dept,
                    )
            departments.append((dept, weight))
        share = weights[n] / total_weight * cases / max(years, 1)
        officer_count = max(3, min(150, round(share / 2500)))
        officers = [
            login(f"officer{k + 1}.{code}@{EMAIL_DOMAIN}", text.person_name(rng), ["officer"], [site], [])
            for k in range(officer_count)
        ]
        managers = [
            login(f"manager{k + 1}.{code}@{EMAIL_DOMAIN}", text.person_name(rng), ["manager"], [site], [])
            for k in range(2)
        ]
        investigators = {}
        for k, (dept, _weight) in enumerate(departments):
            person = login(
                f"investigator{k + 1}.{code}@{EMAIL_DOMAIN}", text.person_name(rng), ["investigator"], [site], [dept]
            )
            dept.leads.add(person)
            investigators[dept.pk] = person
        survey = Survey.objects.filter(site=site, created_by__email__endswith=f"@{EMAIL_DOMAIN}").first()
        if survey is None:
            survey = survey_create(acting_user=managers[0], site=site, title=f"Tell us about your visit to {site.name}")
            survey_add_question(
                acting_user=managers[0], survey=survey, kind=QuestionKind.FFT,
                text="Overall, how was your experience of our service?", required=True,
            )  # fmt: skip
            survey_add_question(
                acting_user=managers[0], survey=survey, kind=QuestionKind.TEXT, text=text.FEEDBACK_QUESTION
            )
        questions = {q.kind: q.pk for q in Question.objects.filter(survey=survey)}
        staff: dict[int, list[tuple[int, str]]] = {}
        for member_id, dept_id, group in StaffMember.objects.filter(site=site).values_list(
            "pk", "department_id", "staff_group"
        ):
            staff.setdefault(dept_id, []).append((member_id, group))
        templates = {
            (kind, language): pk
            for kind, language, pk in LetterTemplate.objects.filter(pack=site.policy_pack)
            .order_by("kind", "language", "version")
            .values_list("kind", "language", "pk")
        }
        offset = n * 400
        worlds.append(
            SiteWorld(
                site_id=site.pk,
                code=site.code,
                pack=site.policy_pack,
                investigation_days=site.investigation_days,
                zone=site.zone,
                uk=uk,
                weight=weights[n] / total_weight,
                departments=[(d.pk, d.name, w) for d, w in departments],
                department_weights=tuple(((d.pk, d.name, w), w) for d, w in departments),
                officers=[_staff_person(u, offset + k) for k, u in enumerate(officers)],
                managers=[_staff_person(u, offset + 200 + k) for k, u in enumerate(managers)],
                investigators={d: _staff_person(u, offset + 300 + k) for k, (d, u) in enumerate(investigators.items())},
                staff=staff,
                templates=templates,
                survey=(survey.pk, questions[QuestionKind.FFT], questions[QuestionKind.TEXT]),
            )
        )
    # Across every site: the head of the office (a manager), an executive and an auditor.
    director = login(f"director@{EMAIL_DOMAIN}", text.person_name(rng), ["manager"], all_sites, [])
    executive = login(f"executive@{EMAIL_DOMAIN}", text.person_name(rng), ["executive"], all_sites, [])
    auditor = login(f"auditor@{EMAIL_DOMAIN}", text.person_name(rng), ["auditor"], all_sites, [])
    if new_users:
        # One hash for everyone: hashing each login's password with Argon2 would take longer than the cases.
        User.objects.filter(pk__in=new_users).update(password=make_password(PASSWORD))
    return World(
        sites=worlds,
        site_models=all_sites,
        director=_staff_person(director, 8999),
        executive=_staff_person(executive, 9000),
        auditor=_staff_person(auditor, 9001),
        users_created=len(new_users),
    )


def _staff_person(user: User, n: int) -> Person:
    agent = text.AGENTS[n % len(text.AGENTS)]
    return Person(user.pk, user.email, user.full_name, f"10.{20 + n // 250}.{n % 250}.{10 + n % 200}", agent)
