"""No input gives a server error: every page with a form, posted back with hostile values, answers below 500.

The walker reads the project's URL configuration, fills each URL from a small world built through the real
services, opens it as each of the shared cast (and as a visitor who is not signed in), reads every form on the
page and posts it back with one field at a time made hostile (and with all of them at once): text where a number
is expected, negatives, 20-digit numbers, 1e309, 100 KB, NUL bytes, unknown choices, impossible dates, two values
where one is expected, a missing field, an empty file, a file where text is expected. List pages also get hostile
query parameters. Every request runs in a savepoint that is rolled back, so each one meets the same world.

A URL with arguments that the walker cannot fill fails the first test: add it to ``TARGETS`` (how to fill it) or
to ``SKIPPED`` (why it needs no walking), so that no form is skipped silently.
"""

from __future__ import annotations

import logging
import re
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

from conftest import PASSWORD, Cast, login_verified
from liaison.accounts.services import user_create
from tests.html_forms import HtmlForm, parse_forms

# -- What the walker leaves alone, and why --------------------------------------------------------------------

SKIPPED: dict[str, str] = {
    "admin/": "Django's admin: its forms and their validation are Django's own, and only administrators see it",
    "api/v1/": "the JSON API has no HTML forms; its schemas validate every input (and the OpenAPI spec drives it)",
    "accounts:logout": "signing out ends the session the rest of the walk runs in",
    "accounts:sso-start": "single sign-on's hand-off to the identity provider: no form, and off (404) in this walk; "
    "tests/oidc and tests/e2e/test_sso.py drive it against a real provider",
    "accounts:sso-callback": "the identity provider's return: no form, and off (404) in this walk; its query must "
    "match the session's state and PKCE verifier (tests/oidc)",
    "cases:attachment": "a file download: no form, and it reads no query parameters",
    "investigations:evidence": "a file download: no form, and it reads no query parameters",
    "correspondence:pdf": "a PDF download: no form, and it reads no query parameters",
    "org:site-poster": "a PDF download: no form, and it reads no query parameters",
    "org:department-poster": "a PDF download: no form, and it reads no query parameters",
    "feedback:survey-poster": "a PDF download: no form, and it reads no query parameters",
    "hiring:kit-pdf": "a PDF download: no form, and it reads no query parameters",
    "hiring:sheet-pdf": "a PDF download: no form, and it reads no query parameters",
    "feedback_import:rejections-csv": "a CSV download: no form, and it reads no query parameters",
}

# 500s found in code that another engineer is rewriting (liaison/cases/, liaison/home/): the lead fixes them
# and empties this list. (URL name[page], field, hostile value) -> (databases where it fails, the line that raised).
# Server errors known and not fixed yet, each with the vendors it happens on and where (none at present).
EXPECTED_FAILURES: dict[tuple[str, str, str], tuple[set[str], str]] = {}


# -- Hostile values --------------------------------------------------------------------------------------------


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


def _empty_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("empty.csv", b"", content_type="text/csv")


def _text_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("words.txt", b"plain words, not what was asked for\n", content_type="text/plain")


# (label, value): a value is a string, a list of strings (sent as repeated keys), MISSING, or a file factory.
NOT_A_NUMBER = ("not a number", "abc")
NEGATIVE = ("negative", "-5")
TWENTY_DIGITS = ("20 digits", "99999999999999999999")
TOO_BIG_FLOAT = ("1e309", "1e309")
ODD_DIGIT = ("a digit that is not 0-9", "²")
HUGE_TEXT = ("100 KB", "x" * 100_000)
NUL = ("NUL byte", "a\x00b")
UNKNOWN_CHOICE = ("unknown choice", "no-such-choice")
IMPOSSIBLE_DATE = ("impossible date", "2025-02-31")
MALFORMED_DATE = ("malformed date", "31/13/2025 25:61")
A_LIST = ("a list", ["1", "2"])
LEFT_OUT = ("missing", MISSING)
EMPTY_FILE = ("an empty file", _empty_file)
FILE_FOR_TEXT = ("a file where text is expected", _text_file)
TEXT_FOR_FILE = ("text where a file is expected", "abc")

# Each kind of field gets the values that could trip the code behind it; hidden fields and choices often carry
# ids, so they get the numbers. Wide forms get a rotating sample of these per field (PER_FORM_BUDGET).
POOLS: dict[str, list[tuple[str, Any]]] = {
    "choice": [NOT_A_NUMBER, TWENTY_DIGITS, NUL, A_LIST, NEGATIVE, TOO_BIG_FLOAT, ODD_DIGIT, LEFT_OUT, HUGE_TEXT],
    "number": [NOT_A_NUMBER, NEGATIVE, TWENTY_DIGITS, TOO_BIG_FLOAT, ODD_DIGIT, NUL, A_LIST, LEFT_OUT],
    "text": [HUGE_TEXT, NUL, A_LIST, LEFT_OUT, FILE_FOR_TEXT, TWENTY_DIGITS, UNKNOWN_CHOICE],
    "date": [IMPOSSIBLE_DATE, MALFORMED_DATE, NOT_A_NUMBER, TWENTY_DIGITS, NUL, A_LIST, LEFT_OUT],
    "file": [EMPTY_FILE, FILE_FOR_TEXT, TEXT_FOR_FILE, LEFT_OUT, A_LIST],
}
POOL_OF_KIND = {
    "hidden": "choice",
    "select": "choice",
    "select-multiple": "choice",
    "radio": "choice",
    "checkbox": "choice",
    "number": "number",
    "range": "number",
    "date": "date",
    "datetime-local": "date",
    "time": "date",
    "month": "date",
    "file": "file",
}
# Every field at once, with each of these.
ALL_AT_ONCE: list[tuple[str, Any]] = [NOT_A_NUMBER, TWENTY_DIGITS, HUGE_TEXT, NUL, A_LIST, IMPOSSIBLE_DATE]
# For the query parameters a page reads (seen while it was opened), and for the fields of its GET forms.
QUERY_HOSTILE: list[tuple[str, Any]] = [
    NOT_A_NUMBER,
    NEGATIVE,
    TWENTY_DIGITS,
    TOO_BIG_FLOAT,
    ODD_DIGIT,
    NUL,
    A_LIST,
    IMPOSSIBLE_DATE,
]
# Also sent all at once to every page, in case a view reads one only on a path the plain page did not take.
QUERY_PARAMS = ["page", "feedback", "site", "kind", "step", "theme", "sentiment", "version", "lang", "source", "q"]
PER_FORM_BUDGET = 30  # posts per form with one field hostile at a time
NOT_FUZZED = {"csrfmiddlewaretoken"}


# -- The world -------------------------------------------------------------------------------------------------


@dataclass
class World:
    cast: Cast
    objects: dict[str, Any] = field(default_factory=dict)
    # A visitor's session is prepared (a public form filled in up to its last step) in this client.
    clients: dict[str, Client] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def _client_for(world: World, who: str) -> Client:
    """The cast signed in with both factors; a visitor not signed in; a newcomer with a password and no app yet."""
    if who not in world.clients:
        client = Client(raise_request_exception=True)
        if who == "newcomer":
            client.force_login(world.newcomer)
        elif who != "visitor":
            login_verified(client, getattr(world.cast, who))
        world.clients[who] = client
    return world.clients[who]


def build_world(cast: Cast) -> World:
    """One of each object a URL can name, made through the services as the office would make them."""
    from liaison.cases import services as case_services
    from liaison.correspondence import services as letters
    from liaison.correspondence.models import LetterTemplate
    from liaison.feedback import services as feedback
    from liaison.feedback.imports import feedback_import_file, guess_mapping, import_source_save
    from liaison.hiring import drills, panels
    from liaison.hiring import services as practice
    from liaison.hiring.data import load_questions
    from liaison.improvement import services as improvement
    from liaison.investigations import services as investigations
    from liaison.knowledge import services as knowledge
    from liaison.public import services as public

    world = World(cast=cast)
    o = world.objects
    o["newcomer"] = user_create(
        acting_user=None,
        email="newcomer@rgh.example",
        full_name="Nia Newcomer",
        password=PASSWORD,
        roles=["officer"],
        sites=[cast.rgh],
        departments=[],
    )
    o["case"] = case_services.case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="letter",
        owner=cast.officer,
        patient_name="Hana Hostiletest",
        patient_email="hana@example.com",
        account="The ward did not tell us about the transfer.",
        issues=[
            {"category": "communication", "severity": 2, "department": cast.ed, "summary": "Transfer not explained"}
        ],
    )
    o["issue"] = o["case"].issues.get()
    closed = case_services.case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="concern",
        channel="phone",
        patient_name="Greta Holm",
        account="Greta Holm waited for pain relief on the ward for three hours.",
    )
    o["closed_case"] = case_services.case_resolve_informally(
        acting_user=cast.officer, case=closed, outcome="resolved_first_contact", note="Sorted"
    )
    o["request"] = investigations.investigation_request(
        acting_user=cast.officer, case=o["case"], department=cast.ed, questions="What happened on the ward?"
    )
    letters.templates_sync()
    o["template"] = LetterTemplate.objects.filter(pack=cast.rgh.policy_pack).order_by("pk").first()
    o["letter"] = letters.letter_draft(acting_user=cast.officer, case=o["case"], kind="acknowledgement")

    survey = feedback.survey_create(acting_user=cast.officer, site=cast.rgh, title="Your visit", department=cast.ed)
    fft = feedback.survey_add_question(
        acting_user=cast.officer, survey=survey, kind="fft", text="Overall, how was it?", required=True
    )
    feedback.survey_add_question(
        acting_user=cast.officer, survey=survey, kind="multiple", text="Why?", choices=["Injury", "Illness"]
    )
    text = feedback.survey_add_question(acting_user=cast.officer, survey=survey, kind="text", text="Tell us more")
    o["survey"] = survey
    o["feedback"] = feedback.response_submit(
        survey=survey, answers={str(fft.pk): "2", str(text.pk): "Nobody told me why I waited."}, consent=False
    )
    o["action"] = improvement.action_create(
        acting_user=cast.officer,
        site=cast.rgh,
        what="Show waiting times on a screen",
        why="Patients are not told why they wait",
        owner=cast.manager,
        due_date=timezone.localdate() + timedelta(days=60),
        feedback=[o["feedback"]],
    )
    o["article"] = knowledge.article_create(
        acting_user=cast.manager,
        site=cast.rgh,
        key="your-rights",
        language="en",
        category="rights",
        visibility="public",
        owner=cast.officer,
        review_date=timezone.localdate() + timedelta(days=365),
        title="Your rights",
        summary="",
        body="<p>Text.</p>",
    )

    vacancy = panels.vacancy_create(
        acting_user=cast.manager,
        site=cast.rgh,
        title="Patient relations officer",
        time_budget_minutes=45,
        retention_until=timezone.localdate() + timedelta(days=180),
    )
    candidate = panels.candidate_add(acting_user=cast.manager, vacancy=vacancy, full_name="Casey Candidate")
    o["vacancy"] = vacancy
    o["interview"] = panels.interview_schedule(
        acting_user=cast.manager, candidate=candidate, when=timezone.now(), panel=[cast.officer, cast.manager]
    )
    drill = drills.drill_from_case(acting_user=cast.manager, case=o["closed_case"])
    o["drill"] = drills.drill_approve(acting_user=cast.manager, drill=drill, title="Pain relief", scenario="A wait.")
    o["drill_response"] = drills.drill_respond(
        acting_user=cast.officer, drill=drill, text="I am sorry. I will call you by Friday with an answer."
    )
    o["question_key"] = load_questions()[0].key
    o["attempt"] = practice.practice_submit(
        acting_user=cast.officer,
        question_key=o["question_key"],
        answer="I listened to the daughter, apologised, and called the ward manager that afternoon.",
    )

    from liaison.feedback.tests.test_imports import HEADINGS, fft_row

    rows = [HEADINGS, *(fft_row(i) for i in range(3))]
    content = "\n".join(",".join(f'"{cell}"' for cell in row) for row in rows).encode()
    source = import_source_save(acting_user=cast.officer, site=cast.rgh, name="FFT", mapping=guess_mapping(HEADINGS))
    path = Path(settings.MEDIA_ROOT) / "hostile-fft.csv"
    path.write_bytes(content)
    o["job"] = feedback_import_file(acting_user=cast.officer, source=source, path=path)
    # The mapping step lives in the session of the person who uploaded the file.
    officer = _client_for(world, "officer")
    upload = SimpleUploadedFile("fft.csv", content, content_type="text/csv")
    response = officer.post(reverse("feedback_import:upload"), {"site": cast.rgh.pk, "source": "Cards", "file": upload})
    assert response.status_code == 302, "the walker could not upload a file to reach the mapping step"
    o["stored_upload"] = response["Location"].rstrip("/").split("/")[-2]

    # A visitor fills in each public form up to its last step, as a browser would.
    visitor = _client_for(world, "visitor")
    for kind in ("complaint", "compliment", "question"):
        url = reverse("public:form", args=[cast.rgh.code, kind])
        for _ in range(6):
            page = visitor.get(url)
            if page.status_code != 200 or "step=check" in url:
                break
            form = next(f for f in parse_forms(page.content.decode()) if f.method == "post" and not f.action)
            data = form.base_data()
            if "about" in form.fields:
                data["about"] = ["me"]
            if "email" in form.fields:
                data["email"] = ["visitor@example.com"]
            posted = visitor.post(url, data)
            assert posted.status_code == 302, f"the walker could not fill in the public form at {url}: " + "".join(
                re.findall(r'<div class="error-summary".*?</div>', posted.content.decode(), re.S)
            )
            url = posted["Location"]
    store = visitor.session[f"public-form:{cast.rgh.code}:complaint"]
    from liaison.advocacy import services as advocacy

    o["advocacy_case"] = case_services.case_open(
        acting_user=cast.officer, site=cast.rgh, case_type="advocacy", channel="phone", owner=cast.officer
    )
    o["appeal"] = advocacy.appeal_record(
        acting_user=cast.officer,
        case=o["advocacy_case"],
        org_name="Acme Health Plan",
        org_kind="payer",
        plan_type="erisa_employer",
        level="internal",
        urgency="standard",
        timing="post_service",
        decision_received_on=timezone.localdate() - timedelta(days=10),
        service="MRI of the knee",
        amount=Decimal("1200.00"),
        reason_given="Not medically necessary",
    )
    o["appeal_document"] = advocacy.document_add(
        acting_user=cast.officer, appeal=o["appeal"], kind="denial_letter", upload=SimpleUploadedFile("d.txt", b"text")
    )
    from liaison.meetings.services import ParticipantSpec, meeting_schedule

    starts = timezone.now() + timedelta(days=7)
    o["meeting"] = meeting_schedule(
        acting_user=cast.officer,
        case=o["case"],
        kind="mediation",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        participants=[ParticipantSpec(kind="family", name="Fay Family", email="fay@example.com")],
        place="Room 1",
    ).meeting
    o["secret"] = public.public_submit(site=cast.rgh, kind="complaint", answers=store, files=[], language="en").secret
    o["reset_uid"] = urlsafe_base64_encode(force_bytes(cast.officer.pk))
    o["reset_token"] = default_token_generator.make_token(cast.officer)
    from liaison.accounts.tokens import token_create

    o["api_token"] = token_create(
        acting_user=cast.officer, user=cast.officer, name="Walker", scopes=["cases:read"]
    ).token
    from liaison.webhooks.models import Delivery
    from liaison.webhooks.services import subscription_create

    o["webhook"] = subscription_create(
        acting_user=cast.admin, name="Walker hook", url="https://hooks.example.org/liaison", events=["case.created"]
    ).subscription
    case_services.case_open(acting_user=cast.officer, site=cast.rgh, case_type="concern", channel="phone")
    o["webhook_delivery"] = Delivery.objects.get(subscription=o["webhook"])
    Delivery.objects.filter(pk=o["webhook_delivery"].pk).update(status="failed", attempts=6)  # "send again" shows
    return world


# -- How to fill each URL's arguments --------------------------------------------------------------------------

Target = tuple[dict[str, Any], str]  # (URL kwargs, query string)


def _case_actions() -> list[str]:
    from liaison.cases.actions import ACTIONS

    return sorted(ACTIONS)


TARGETS: dict[str, Callable[[World], list[Target]]] = {
    "accounts:password-reset-confirm": lambda w: [({"uidb64": w.reset_uid, "token": w.reset_token}, "")],
    "accounts:token-revoke": lambda w: [({"pk": w.api_token.pk}, "")],
    "org:site-detail": lambda w: [({"code": w.cast.rgh.code}, "")],
    "org:staff-directory": lambda w: [({"code": w.cast.rgh.code}, "")],
    "org:site-fhir": lambda w: [({"code": w.cast.rgh.code}, "")],
    "org:department-create": lambda w: [({"code": w.cast.rgh.code}, "")],
    "org:department-detail": lambda w: [({"pk": w.cast.ed.pk}, "")],
    "org:department-edit": lambda w: [({"pk": w.cast.ed.pk}, "")],
    "cases:detail": lambda w: [({"reference": w.case.reference}, "")],
    "cases:edit": lambda w: [({"reference": w.case.reference}, "")],
    "cases:action": lambda w: [({"reference": w.case.reference, "name": name}, "") for name in _case_actions()],
    "cases:issue-edit": lambda w: [({"reference": w.case.reference, "pk": w.issue.pk}, "")],
    "cases:issue-remove": lambda w: [({"reference": w.case.reference, "pk": w.issue.pk}, "")],
    "investigations:detail": lambda w: [({"pk": w.request.pk}, "")],
    "investigations:new": lambda w: [({"reference": w.case.reference}, "")],
    "investigations:manage": lambda w: [
        ({"reference": w.case.reference, "pk": w.request.pk, "action": action}, "")
        for action in ("chase", "close", "reassign", "more-time")
    ],
    "correspondence:template-edit": lambda w: [({"pk": w.template.pk}, "")],
    "correspondence:new": lambda w: [({"reference": w.case.reference}, "")],
    "correspondence:detail": lambda w: [({"pk": w.letter.pk}, "")],
    "correspondence:edit": lambda w: [({"pk": w.letter.pk}, "")],
    "correspondence:step": lambda w: [
        ({"pk": w.letter.pk, "step": step}, "") for step in ("submit", "sign", "return", "email", "post")
    ],
    "public:home": lambda w: [({"site_code": w.cast.rgh.code}, "")],
    "public:form": lambda w: [
        ({"site_code": w.cast.rgh.code, "kind": kind}, f"step={step}")
        for kind, steps in {
            "complaint": ["what", "who", "outcome", "contact", "check"],
            "compliment": ["what", "who", "contact", "check"],
            "question": ["what", "contact", "check"],
        }.items()
        for step in steps
    ],
    "public:thanks": lambda w: [({"site_code": w.cast.rgh.code}, "")],
    "public:progress": lambda w: [({"site_code": w.cast.rgh.code}, "")],
    "public:progress-link": lambda w: [({"secret": w.secret}, "")],
    # A code of the right shape that opens nothing; the survey itself is walked in public/tests/test_handling_pages.py.
    "public:handling-link": lambda w: [({"code": "ABCDE-FGHJK-LMNPQ-RSTUV"}, "")],
    "meetings:schedule": lambda w: [({"reference": w.case.reference}, "")],
    "meetings:edit": lambda w: [({"pk": w.meeting.pk}, "")],
    "meetings:outcome": lambda w: [({"pk": w.meeting.pk}, "")],
    "meetings:participant_add": lambda w: [({"pk": w.meeting.pk}, "")],
    "meetings:participant_remove": lambda w: [
        ({"pk": w.meeting.pk, "participant": w.meeting.participants.first().pk}, "")
    ],
    "meetings:detail": lambda w: [({"pk": w.meeting.pk}, "")],
    "meetings:ics": lambda w: [({"pk": w.meeting.pk}, "")],
    "meetings:cancel": lambda w: [({"pk": w.meeting.pk}, "")],
    "meetings:letter": lambda w: [({"pk": w.meeting.pk}, "")],
    "advocacy:appeal": lambda w: [({"reference": w.advocacy_case.reference}, "")],
    "advocacy:new": lambda w: [({"reference": w.advocacy_case.reference}, "")],
    "advocacy:step": lambda w: [
        ({"reference": w.advocacy_case.reference, "pk": w.appeal.pk, "step": step}, "")
        for step in ("edit", "contact", "document", "letter", "outcome")
    ],
    "advocacy:document": lambda w: [({"reference": w.advocacy_case.reference, "pk": w.appeal_document.pk}, "")],
    "insights:export_cases": lambda w: [({"fmt": fmt}, "status=&view=site") for fmt in ("csv", "xlsx")],
    "insights:drilldown_export": lambda w: [
        ({"fmt": fmt}, "measure=received&date_from=2026-01-01&date_to=2026-12-31") for fmt in ("csv", "xlsx")
    ],
    "knowledge:public-list": lambda w: [({"site_code": w.cast.rgh.code}, "")],
    "knowledge:public-detail": lambda w: [({"site_code": w.cast.rgh.code, "key": w.article.key}, "")],
    "knowledge:send": lambda w: [({"reference": w.case.reference}, "")],
    "knowledge:staff-detail": lambda w: [({"pk": w.article.pk}, "")],
    "knowledge:staff-edit": lambda w: [({"pk": w.article.pk}, "")],
    "feedback_import:mapping": lambda w: [({"stored": w.stored_upload}, "")],
    "feedback_import:job": lambda w: [({"pk": w.job.pk}, "")],
    "feedback_import:job-progress": lambda w: [({"pk": w.job.pk}, "")],
    "feedback_import:job-resume": lambda w: [({"pk": w.job.pk}, "")],
    "feedback_import:export": lambda w: [({"code": w.cast.rgh.code}, "")],
    "feedback:response": lambda w: [({"pk": w.feedback.pk}, "")],
    "feedback:survey": lambda w: [({"pk": w.survey.pk}, "")],
    "feedback:answer": lambda w: [({"key": w.survey.public_key}, "")],
    "feedback:answer-thanks": lambda w: [({"key": w.survey.public_key}, "")],
    "improvement:new": lambda w: [({}, ""), ({}, f"feedback={w.feedback.pk}")],
    "improvement:detail": lambda w: [({"pk": w.action.pk}, "")],
    "improvement:you-said-we-did": lambda w: [({"site_code": w.cast.rgh.code}, "")],
    "hiring:question": lambda w: [({"key": w.question_key}, "")],
    "hiring:attempt": lambda w: [({"pk": w.attempt.pk}, "")],
    "hiring:drill": lambda w: [({"pk": w.drill.pk}, "")],
    "hiring:drill-response": lambda w: [({"pk": w.drill_response.pk}, "")],
    "hiring:drill-new": lambda w: [({"reference": w.closed_case.reference}, "")],
    "hiring:vacancy": lambda w: [({"pk": w.vacancy.pk}, "")],
    "hiring:interview": lambda w: [({"pk": w.interview.pk}, "")],
    "webhooks:detail": lambda w: [({"pk": w.webhook.pk}, "")],
    "webhooks:active": lambda w: [({"pk": w.webhook.pk}, "")],
    "webhooks:delete": lambda w: [({"pk": w.webhook.pk}, "")],
    "webhooks:delivery": lambda w: [({"pk": w.webhook_delivery.pk}, "")],
    "webhooks:resend": lambda w: [({"pk": w.webhook_delivery.pk}, "")],
}


# -- Walking the URL configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    kwargs: tuple[str, ...]


def all_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str, kwargs: tuple[str, ...]) -> None:
        for entry in resolver.url_patterns:
            found = tuple(entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), inner, kwargs + found)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or route)
                routes.append(Route(name=name, route=route, kwargs=kwargs + found))

    walk(get_resolver(), "", "", ())
    return routes


def skip_reason(name: str, route: str = "") -> str | None:
    """An entry is a URL name, or a route prefix ending in "/" that skips everything under it."""
    for key, reason in SKIPPED.items():
        if name == key or (key.endswith("/") and route.startswith(key)):
            return reason
    return None


def test_every_url_is_walked_or_skipped_with_a_reason() -> None:
    routes = all_routes()
    unfilled = [
        f"{r.name} ({r.route})"
        for r in routes
        if r.kwargs and r.name not in TARGETS and skip_reason(r.name, r.route) is None
    ]
    assert not unfilled, (
        "The hostile-input walker cannot fill these URLs' arguments, so their forms would go untested. "
        "Add each to TARGETS in tests/test_hostile_input.py (or to SKIPPED, with a reason):\n  " + "\n  ".join(unfilled)
    )
    names = {r.name for r in routes}
    stale = [
        n
        for n in [*TARGETS, *SKIPPED]
        if n not in names and not any(n.endswith("/") and r.route.startswith(n) for r in routes)
    ]
    assert not stale, f"These entries name no URL any more; remove them: {stale}"


# -- Posting hostile values ------------------------------------------------------------------------------------


@dataclass
class Failure:
    url_name: str
    path: str
    field: str
    value: str
    error: str
    where: str  # the last line of our own code in the traceback

    def key(self) -> tuple[str, str, str]:
        return (self.url_name, self.field, self.value)

    def line(self) -> str:
        return f"{self.url_name} {self.path} [{self.field} = {self.value}]: {self.error} (at {self.where})"


@dataclass
class Walk:
    world: World
    failures: list[Failure] = field(default_factory=list)
    requests: int = 0
    forms_posted: set[tuple[str, str, tuple[str, ...]]] = field(default_factory=set)

    def send(
        self, who: str, method: str, path: str, data: Any, *, url_name: str, field_name: str, label: str
    ) -> Response | None:
        client = _client_for(self.world, who)
        self.requests += 1
        try:
            with transaction.atomic():
                response = client.post(path, data) if method == "post" else client.get(path, data)
                transaction.set_rollback(True)
        except Exception as exc:
            self.failures.append(
                Failure(url_name, path, field_name, label, f"{type(exc).__name__}: {str(exc)[:160]}", _culprit(exc))
            )
            return None
        if response.status_code >= 500:
            self.failures.append(Failure(url_name, path, field_name, label, f"status {response.status_code}", "?"))
        return response


def _culprit(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/liaison/" in f.filename]
    if not frames:
        return "outside liaison/"
    frame = frames[-1]
    return f"liaison/{frame.filename.split('/liaison/', 1)[-1]}:{frame.lineno} in {frame.name}: {frame.line}"


def _url_name(path: str) -> str:
    """The URL's name, with the word that picks one of its pages (``cases:action[close]``)."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return "?"
    words = [str(match.kwargs[k]) for k in ("name", "action", "step", "kind") if k in match.kwargs]
    return match.view_name + (f"[{','.join(words)}]" if words else "")


def _variants(form: HtmlForm) -> list[list[tuple[str, str]]]:
    """The extra keys each submit button adds: a form with named buttons is several forms to its view."""
    if not form.buttons:
        return [[]]
    return [[button] for button in dict.fromkeys(form.buttons)]


def _with(base: dict[str, list[str]], changes: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {k: (v if len(v) != 1 else v[0]) for k, v in base.items()}
    for name, value in changes.items():
        if value is MISSING:
            data.pop(name, None)
        else:
            data[name] = value() if callable(value) else value
    return data


def fuzz_form(walk: Walk, who: str, page_url: str, form: HtmlForm) -> None:
    action = urlsplit(urljoin(page_url, form.action or page_url))
    action_path = action.path + (f"?{action.query}" if action.query else "")
    url_name = _url_name(action.path)
    if url_name == "?" or skip_reason(url_name, action.path.lstrip("/")) is not None:
        return
    for extra in _variants(form):
        key = (form.method, url_name, tuple(sorted([*form.fields, *(k for k, _ in extra)])))
        if key in walk.forms_posted:
            continue
        walk.forms_posted.add(key)
        base = form.base_data()
        for name, value in extra:
            base[name] = [value]
        names = [n for n in form.fields if n not in NOT_FUZZED]
        per_field = max(2, PER_FORM_BUDGET // max(1, len(names)))
        for index, name in enumerate(names):
            pool = POOLS[POOL_OF_KIND.get(form.fields[name].kind, "text")]
            chosen = [pool[(index * per_field + i) % len(pool)] for i in range(min(per_field, len(pool)))]
            for label, value in chosen:
                if form.method == "get" and callable(value):
                    continue  # a file cannot travel in a query string
                data = _with(base, {name: value})
                walk.send(who, form.method, action_path, data, url_name=url_name, field_name=name, label=label)
        for label, value in ALL_AT_ONCE:
            data = _with(base, dict.fromkeys(names, value))
            walk.send(who, form.method, action_path, data, url_name=url_name, field_name="(every field)", label=label)


def fuzz_query(walk: Walk, who: str, path: str, url_name: str, read: Iterable[str]) -> None:
    parts = urlsplit(path)
    base = dict(item.split("=", 1) for item in parts.query.split("&") if "=" in item)
    for index, param in enumerate(sorted(set(read) - NOT_FUZZED)):
        for label, value in QUERY_HOSTILE[index % 2 :: 2] if len(set(read)) > 6 else QUERY_HOSTILE:
            walk.send(who, "get", parts.path, {**base, param: value}, url_name=url_name, field_name=param, label=label)
    for label, value in [NOT_A_NUMBER, TWENTY_DIGITS, NUL]:
        data = {**base, **dict.fromkeys(QUERY_PARAMS, value)}
        walk.send(who, "get", parts.path, data, url_name=url_name, field_name="(every parameter)", label=label)


@contextmanager
def keys_read() -> Iterator[set[str]]:
    """The names a view looks up in request.GET or request.POST while it runs, to aim hostile queries at them."""
    seen: set[str] = set()
    originals = {name: getattr(QueryDict, name) for name in ("get", "getlist", "__getitem__", "__contains__")}

    def spy(original: Callable[..., Any]) -> Callable[..., Any]:
        def looked_up(self: QueryDict, key: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(key, str):
                seen.add(key)
            return original(self, key, *args, **kwargs)

        return looked_up

    for name, original in originals.items():
        setattr(QueryDict, name, spy(original))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(QueryDict, name, original)


# Who opens each page: the first four always (they see different forms on the same page); the rest only when
# none of those could open it.
FIRST_USERS = ["manager", "officer", "investigator", "visitor"]
OTHER_USERS = ["executive", "auditor", "admin", "outsider", "newcomer"]


def open_page(walk: Walk, who: str, path: str, url_name: str) -> tuple[Response | None, str]:
    """GET the page as this person, following one redirect that is not to the sign-in page."""
    response = walk.send(who, "get", path, {}, url_name=url_name, field_name="(page)", label="GET")
    if response is not None and response.status_code in (301, 302, 303):
        target = response["Location"]
        if target.startswith(reverse("accounts:login")):
            return None, path
        response = walk.send(who, "get", target, {}, url_name=url_name, field_name="(page)", label="GET")
        return response, target
    return response, path


def test_no_hostile_input_gives_a_server_error(cast: Cast, settings: Any) -> None:
    settings.LIAISON_PUBLIC_PROGRESS_CHECKS_PER_ADDRESS = 10**6  # the walk is one address asking many times
    world = build_world(cast)
    walk = Walk(world)
    unreachable: list[str] = []
    quiet = logging.getLogger("django.request")
    level, quiet.level = quiet.level, logging.CRITICAL  # the failures are listed below, each with its line
    try:
        for route in all_routes():
            if skip_reason(route.name, route.route) is not None:
                continue
            targets = TARGETS[route.name](world) if route.name in TARGETS else [({}, "")]
            for number, (kwargs, query) in enumerate(targets):
                path = reverse(route.name, kwargs=kwargs) + (f"?{query}" if query else "")
                opened_by: str | None = None
                read: set[str] = set()
                for who in [*FIRST_USERS, *OTHER_USERS]:
                    if opened_by is not None and who in OTHER_USERS:
                        break
                    with keys_read() as seen:
                        response, seen_at = open_page(walk, who, path, _url_name(path))
                    if response is None or response.status_code not in (200, 405):
                        continue
                    opened_by = opened_by or who
                    read |= seen
                    if response.status_code == 405 or "text/html" not in response.get("Content-Type", ""):
                        continue  # a POST-only URL (its form is on another page) or a download
                    for form in parse_forms(response.content.decode()):
                        if form.method == "get":
                            read |= set(form.fields)
                        fuzz_form(walk, who, "http://testserver" + seen_at, form)
                if opened_by is None:
                    unreachable.append(path)
                elif number == 0 or read - {"step"}:
                    fuzz_query(walk, opened_by, path, _url_name(path), read)
    finally:
        quiet.level = level
    known = {key for key, (vendors, _) in EXPECTED_FAILURES.items() if connection.vendor in vendors}
    expected = [f for f in walk.failures if f.key() in known]
    unexpected = [f for f in walk.failures if f.key() not in known]
    fixed = sorted(known - {f.key() for f in walk.failures})
    if fixed:
        warnings.warn(f"These expected failures no longer fail; remove them from the list: {fixed}", stacklevel=1)
    print(f"hostile walk: {walk.requests} requests, {len(walk.forms_posted)} forms, {len(expected)} known failures")
    problems = [f.line() for f in unexpected]
    problems += [f"{path}: no one in the cast could open it, so its forms went untested" for path in unreachable]
    assert not problems, (
        f"{len(unexpected)} hostile inputs gave a server error, and {len(unreachable)} pages could not be opened "
        "(fix their TARGETS entry or the world):\n  " + "\n  ".join(sorted(set(problems)))
    )


@pytest.fixture(autouse=True)
def _db(db: None) -> None:
    """Both tests read the URL configuration; the walk also needs the database."""
