"""The letter template files: format, allowed HTML and template syntax, and the required contents.

No database: each file is rendered with a plain template engine and a sample context of SimpleNamespace
objects, in several variants (patient or representative, Medicare QIO or not, actions or none, ...).
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import Context, Engine
from django.utils import translation

LETTERS = Path(__file__).resolve().parent.parent / "letters"
PACKS = ["england_nhs", "us_cms"]
KINDS = [
    "acknowledgement",
    "interim_notice",
    "extension_agreed",
    "out_of_time_decision",
    "final_response",
    "compliment_thanks",
    "investigation_request",
    "meeting_outcome",
]
LANGS = ["en", "es"]
ALL = [(pack, kind, lang) for pack in PACKS for kind in KINDS for lang in LANGS]

ALLOWED_HTML = {"p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3"}
VOID_HTML = {"br"}
ALLOWED_TEMPLATE_TAGS = {"if", "else", "endif", "for", "empty", "endfor"}
ALLOWED_FILTERS = {"date", "linebreaks", "linebreaksbr"}
ALLOWED_DATE_FORMATS = {"en": {"england_nhs": "j F Y", "us_cms": "F j, Y"}, "es": r"j \d\e F \d\e Y"}
CONTEXT_ROOTS = {
    "site",
    "case",
    "recipient",
    "recipient_is_patient",
    "patient_name",
    "today",
    "signer",
    "officer",
    "response_due",
    "discussion_offer",
    "issues",
    "overall_outcome",
    "how_considered",
    "learning",
    "actions",
    "completion_date",
    "medicare_qio",
    "interim",
    "extension",
    "time_limit",
    "request",
    "account_excerpt",
    "meeting",
    "satisfaction_survey",
}
LOOP_ROOTS = {"issue", "action", "forloop"}
INVALID = "!!INVALID!!"

PHSO_NAME = "Parliamentary and Health Service Ombudsman"
PHSO_PHONE = "0345 015 4033"
PHSO_WEB = "www.ombudsman.org.uk"

D = datetime.date
SPANISH_MONTHS = {3: "marzo", 4: "abril", 5: "mayo", 6: "junio", 1: "enero", 2: "febrero"}


def fmt(pack: str, lang: str, day: datetime.date) -> str:
    """A date as the letter should print it."""
    if lang == "es":
        return f"{day.day} de {SPANISH_MONTHS[day.month]} de {day.year}"
    if pack == "us_cms":
        return f"{day:%B} {day.day}, {day.year}"
    return f"{day.day} {day:%B %Y}"


def engine() -> Engine:
    return Engine(
        libraries={},
        builtins=["django.template.defaulttags", "django.template.defaultfilters"],
        string_if_invalid=INVALID,
    )


def read_letter(pack: str, kind: str, lang: str) -> tuple[str, str]:
    text = (LETTERS / pack / f"{kind}.{lang}.html").read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0].startswith("Subject: "), "line 1 must be 'Subject: ...'"
    assert lines[1] == "", "line 2 must be empty"
    subject = lines[0].removeprefix("Subject: ").strip()
    assert subject
    return subject, "\n".join(lines[2:])


def sample_context(pack: str, **overrides: object) -> dict[str, object]:
    us = pack == "us_cms"
    site = SimpleNamespace(
        name="Harbor Point Medical Center" if us else "Riverside General Hospital",
        complaints_contact_name="Patient Relations Office" if us else "Complaints Team",
        complaints_contact_phone="(555) 010-2040" if us else "0161 496 0000",
        complaints_contact_email="patientrelations@example.org" if us else "complaints@example.nhs.uk",
        complaints_contact_address="1 Harbor Way\nPort City, ST 00000" if us else "1 River Road\nRiverside RV1 1AA",
        responsible_person_title="Chief Executive",
        state_agency_name="State Department of Health, Division of Health Facilities",
        state_agency_contact="Complaint Unit\n100 Capitol Street\nCapital City, ST 00001\nPhone: (555) 010-9000",
        qio_name="Example QIO Health",
        qio_contact="Beneficiary helpline: (555) 010-7000\nexampleqio.example.com",
    )
    issues = [
        SimpleNamespace(
            summary="Long wait for pain relief in the emergency department",
            category="Clinical: quality",
            finding="The records show a wait of three hours.\n\nThis was longer than it should have been.",
            outcome="Upheld",
        ),
        SimpleNamespace(
            summary="Staff attitude at discharge",
            category="Relationships: communication",
            finding="Staff accounts differ; we could not confirm what was said.",
            outcome="",
        ),
    ]
    actions = [
        SimpleNamespace(
            description="Pain assessment training for all nursing staff",
            owner="Ward manager, ED",
            due_date=D(2026, 5, 29),
        )
    ]
    context: dict[str, object] = {
        "site": site,
        "case": SimpleNamespace(
            reference="HPM-2026-00042" if us else "RGH-2026-00042",
            received_date=D(2026, 2, 3),
            event_date=D(2026, 1, 20),
            type_label="Grievance" if us else "Complaint",
        ),
        "recipient": SimpleNamespace(name="Mrs Ann O'Brien"),
        "recipient_is_patient": True,
        "patient_name": "",
        "today": D(2026, 3, 4),
        "signer": SimpleNamespace(name="Dr Priya Shah", title="Chief Executive"),
        "officer": SimpleNamespace(name="Sam Carter"),
        "response_due": D(2026, 3, 17),
        "discussion_offer": True,
        "issues": issues,
        "overall_outcome": "Partly upheld",
        "how_considered": "We read your letter and the medical records.\nWe spoke to the nurses on duty.",
        "learning": "Pain relief must be reviewed within one hour.",
        "actions": actions,
        "completion_date": D(2026, 3, 2),
        "medicare_qio": True,
        "interim": SimpleNamespace(followup_within_days=14, followup_date=D(2026, 3, 24)),
        "extension": SimpleNamespace(until=D(2026, 4, 30), agreement="Agreed by phone with you on 2 March 2026."),
        "time_limit": SimpleNamespace(
            limit_date=D(2025, 1, 20), proceeds=True, reasons="You were in hospital for most of last year."
        ),
        "request": SimpleNamespace(
            department="Emergency Department",
            questions="Why was pain relief delayed?\nWho reviewed the patient?",
            due_date=D(2026, 2, 17),
        ),
        "account_excerpt": "The nurses on Ward 7 were kind & patient with my father.",
    }
    context.update(overrides)
    return context


VARIANTS = {
    "default": {},
    "representative": {"recipient_is_patient": False, "patient_name": "Mr Tom O'Brien"},
    "representative_unnamed": {"recipient_is_patient": False, "patient_name": ""},
    "no_qio_no_actions": {"medicare_qio": False, "actions": [], "learning": ""},
    "declined": {
        "discussion_offer": False,
        "time_limit": SimpleNamespace(limit_date=D(2025, 1, 20), proceeds=False, reasons="Records were destroyed."),
        "issues": [],
    },
    "no_event_date": {
        "case": SimpleNamespace(reference="X-1", received_date=D(2026, 2, 3), event_date=None, type_label="Complaint")
    },
    "survey": {
        "satisfaction_survey": SimpleNamespace(
            url="https://hospital.example/how-we-did/ABCDE-FGHJK-LMNPQ-RSTUV/",
            address="https://hospital.example/how-we-did/",
            code="ABCDE-FGHJK-LMNPQ-RSTUV",
            until=D(2026, 5, 29),
        )
    },
}


class Html(HTMLParser):
    """Collects the tags (checking nesting) and the text of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.chunks.append(" ")
        if tag not in VOID_HTML:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack}")
        else:
            self.stack.pop()
        self.chunks.append(" ")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.chunks)).strip()


def parse_html(html: str) -> Html:
    parser = Html()
    parser.feed(html)
    parser.close()
    return parser


def render(pack: str, kind: str, lang: str, **overrides: object) -> tuple[str, str]:
    """Render subject and body; returns (subject text, body HTML)."""
    subject, body = read_letter(pack, kind, lang)
    context = Context(sample_context(pack, **overrides))
    with translation.override("es" if lang == "es" else "en"):
        rendered_subject = engine().from_string(subject).render(context)
        rendered_body = engine().from_string(body).render(context)
    return rendered_subject, rendered_body


def body_text(pack: str, kind: str, lang: str, **overrides: object) -> str:
    _, html = render(pack, kind, lang, **overrides)
    return parse_html(html).text()


# --- every file -------------------------------------------------------------------------------------


def test_the_full_set_of_files_exists_and_nothing_else() -> None:
    expected = {f"{pack}/{kind}.{lang}.html" for pack, kind, lang in ALL}
    found = {str(p.relative_to(LETTERS)) for p in LETTERS.glob("*/*.html")}
    assert found == expected


@pytest.mark.parametrize(("pack", "kind", "lang"), ALL)
def test_source_uses_only_the_allowed_template_syntax(pack: str, kind: str, lang: str) -> None:
    subject, body = read_letter(pack, kind, lang)
    for source in (subject, body):
        assert "{#" not in source
        for tag in re.findall(r"{%\s*(\w+)", source):
            assert tag in ALLOWED_TEMPLATE_TAGS, f"template tag {tag!r}"
        for expression in re.findall(r"{{(.*?)}}", source):
            variable, *filters = (part.strip() for part in expression.split("|"))
            root = variable.split(".")[0]
            assert root in CONTEXT_ROOTS | LOOP_ROOTS, f"unknown variable {variable!r}"
            for flt in filters:
                name, _, argument = flt.partition(":")
                assert name in ALLOWED_FILTERS, f"filter {name!r}"
                if name == "date":
                    allowed = ALLOWED_DATE_FORMATS[lang]
                    allowed = allowed[pack] if isinstance(allowed, dict) else allowed
                    assert argument == f'"{allowed}"', f"date format {argument!r} in {pack}/{kind}.{lang}"
        for condition in re.findall(r"{%\s*(?:if|for)\s+(.*?)%}", source):
            names = re.findall(r"[A-Za-z_][\w.]*", condition)
            for name in names:
                assert name.split(".")[0] in CONTEXT_ROOTS | LOOP_ROOTS | {"in", "not"}, name


@pytest.mark.parametrize(("pack", "kind", "lang"), ALL)
def test_source_html_has_no_attributes(pack: str, kind: str, lang: str) -> None:
    _, body = read_letter(pack, kind, lang)
    for tag, attrs in parse_html(body).tags:
        assert tag in ALLOWED_HTML, tag
        assert attrs == [], f"<{tag}> has attributes"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize(("pack", "kind", "lang"), ALL)
def test_renders_clean_html(pack: str, kind: str, lang: str, variant: str) -> None:
    subject, html = render(pack, kind, lang, **VARIANTS[variant])
    for output in (subject, html):
        assert "{{" not in output and "{%" not in output and "}}" not in output and "%}" not in output
        assert INVALID not in output, "a variable that is not in the context"
    assert "<" not in subject and "\n" not in subject.strip()
    parser = parse_html(html)
    assert not parser.errors and not parser.stack, (parser.errors, parser.stack)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_HTML, f"<{tag}> is not allowed"
        assert attrs == [], f"<{tag}> has attributes"
    text = parser.text()
    greeting = "Dear Mrs Ann O'Brien," if lang == "en" else "Estimado/a Mrs Ann O'Brien:"
    assert text.startswith(greeting)
    closing = {"en": "Yours sincerely," if pack == "england_nhs" else "Sincerely,", "es": "Atentamente,"}[lang]
    site_name = sample_context(pack)["site"].name  # type: ignore[attr-defined]
    assert text.endswith(f"{closing} Dr Priya Shah Chief Executive {site_name}")
    assert html.rstrip().endswith("<p><strong>Dr Priya Shah</strong><br>Chief Executive<br>" + site_name + "</p>")


# --- final responses ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("pack", PACKS)
def test_final_response_explains_findings_and_actions(pack: str, lang: str) -> None:
    text = body_text(pack, "final_response", lang)
    assert "We read your letter and the medical records." in text  # how it was considered / steps taken
    assert "We spoke to the nurses on duty." in text
    for summary in ("Long wait for pain relief in the emergency department", "Staff attitude at discharge"):
        assert summary in text
    assert "The records show a wait of three hours." in text
    assert "This was longer than it should have been." in text
    assert "Staff accounts differ; we could not confirm what was said." in text
    assert "Upheld" in text
    assert "Partly upheld" in text
    assert "Pain relief must be reviewed within one hour." in text
    assert "Pain assessment training for all nursing staff" in text
    assert "Ward manager, ED" in text
    assert fmt(pack, lang, D(2026, 5, 29)) in text
    assert "Dr Priya Shah" in text and "Chief Executive" in text

    without = body_text(pack, "final_response", lang, actions=[], learning="")
    assert "Pain assessment training" not in without and "Pain relief must be reviewed" not in without
    no_action = "no further action is needed" if lang == "en" else "no es necesario tomar más medidas"
    assert no_action in without


@pytest.mark.parametrize("lang", LANGS)
def test_england_final_response_gives_the_phso_route(lang: str) -> None:
    text = body_text("england_nhs", "final_response", lang)
    assert PHSO_NAME in text
    if lang == "es":
        assert f"({PHSO_NAME})" in text
    assert PHSO_PHONE in text
    assert PHSO_WEB in text
    offer = "meet us or talk on the phone" if lang == "en" else "reunirse con nosotros o hablar por teléfono"
    assert offer in text


@pytest.mark.parametrize("lang", LANGS)
def test_us_final_response_has_the_cms_elements(lang: str) -> None:
    text = body_text("us_cms", "final_response", lang)
    assert "Patient Relations Office" in text  # (1) contact person
    assert "(555) 010-2040" in text
    assert fmt("us_cms", lang, D(2026, 3, 2)) in text  # (4) date of completion
    assert "State Department of Health, Division of Health Facilities" in text  # US-18
    for line in ("Complaint Unit", "100 Capitol Street", "Capital City, ST 00001", "Phone: (555) 010-9000"):
        assert line in text
    assert "Example QIO Health" in text  # US-11
    assert "Quality Improvement Organization" in text
    assert "Beneficiary helpline: (555) 010-7000" in text and "exampleqio.example.com" in text


@pytest.mark.parametrize("lang", LANGS)
def test_us_final_response_leaves_out_the_qio_when_not_medicare(lang: str) -> None:
    text = body_text("us_cms", "final_response", lang, medicare_qio=False)
    assert "Example QIO Health" not in text
    assert "Quality Improvement Organization" not in text
    assert "Beneficiary helpline" not in text
    assert "State Department of Health, Division of Health Facilities" in text


# --- other letters ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("pack", PACKS)
def test_acknowledgement(pack: str, lang: str) -> None:
    text = body_text(pack, "acknowledgement", lang)
    reference = sample_context(pack)["case"].reference  # type: ignore[attr-defined]
    assert reference in text
    assert fmt(pack, lang, D(2026, 3, 17)) in text  # response due
    assert "Sam Carter" in text
    if pack == "england_nhs":
        assert ("NHS complaints advocacy" if lang == "en" else "(NHS complaints advocacy)") in text
        offer = "like to talk with you about how we will handle" if lang == "en" else "hablar con usted sobre cómo"
        assert offer in text
        assert offer not in body_text(pack, "acknowledgement", lang, discussion_offer=False)
    else:
        assert "State Department of Health, Division of Health Facilities" in text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("pack", PACKS)
def test_interim_extension_and_compliment(pack: str, lang: str) -> None:
    interim = body_text(pack, "interim_notice", lang)
    assert "14" in interim and fmt(pack, lang, D(2026, 3, 24)) in interim
    extension = body_text(pack, "extension_agreed", lang)
    assert fmt(pack, lang, D(2026, 4, 30)) in extension
    assert "Agreed by phone with you on 2 March 2026." in extension
    thanks = body_text(pack, "compliment_thanks", lang)
    assert "The nurses on Ward 7 were kind & patient with my father." in thanks


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("pack", PACKS)
def test_out_of_time_decision_both_ways(pack: str, lang: str) -> None:
    proceeds = body_text(pack, "out_of_time_decision", lang)
    assert "You were in hospital for most of last year." in proceeds
    assert fmt(pack, lang, D(2025, 1, 20)) in proceeds
    declined = body_text(pack, "out_of_time_decision", lang, **VARIANTS["declined"])
    assert "Records were destroyed." in declined
    assert "You were in hospital" not in declined
    if pack == "england_nhs":
        assert PHSO_NAME in declined and PHSO_PHONE in declined and PHSO_NAME not in proceeds


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("pack", PACKS)
def test_investigation_request(pack: str, lang: str) -> None:
    subject, _ = render(pack, "investigation_request", lang)
    assert "Emergency Department" in subject and fmt(pack, lang, D(2026, 2, 17)) in subject
    text = body_text(pack, "investigation_request", lang)
    assert "Why was pain relief delayed?" in text and "Who reviewed the patient?" in text
    assert "Long wait for pain relief in the emergency department" in text
