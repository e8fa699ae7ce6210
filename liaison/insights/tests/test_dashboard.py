"""The dashboard as a manager and an executive read it: every number right, and one click from exactly its cases."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db.models import QuerySet
from django.test import Client
from openpyxl import load_workbook

from conftest import Cast
from liaison.accounts.models import User
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case
from liaison.insights import dashboard as board
from liaison.insights.measures import BREAKDOWNS, MEASURES, Period, values
from liaison.insights.tests.scenario import JANUARY, England, Harbor
from liaison.lib.tables import read_csv

JANUARY_QUERY = "site=RGH&date_from=2026-01-01&date_to=2026-01-31"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((html.unescape(self._href), "".join(self._text).strip()))
            self._href = None


def _links(page: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(page)
    return parser.links


def _drill_links(page: str) -> list[tuple[dict[str, str], str]]:
    found = []
    for href, text in _links(page):
        parts = urlsplit(href)
        if parts.path == "/insights/cases/":
            found.append(({k: v[0] for k, v in parse_qs(parts.query).items()}, text))
    return found


def _tiles(page: str, date_from: str = "2026-01-01") -> dict[str, str]:
    """Each measure's number as its tile shows it (the first link to its cases on the page)."""
    shown: dict[str, str] = {}
    for query, text in _drill_links(page):
        if "measure" in query and "part" not in query and query["date_from"] == date_from:
            shown.setdefault(query["measure"], text.split(":")[0])
    return shown


def _references(page: str) -> set[str]:
    return set(re.findall(r"\b(?:RGH|HPM)-\d{4}-\d{5}\b", page))


def _rgh(cast: Cast) -> QuerySet[Case]:
    return Case.objects.filter(site=cast.rgh)


@pytest.fixture
def manager(cast: Cast, as_user: Callable[[User], Client]) -> Client:
    return as_user(cast.manager)


def test_the_dashboard_shows_each_measure_as_the_measures_count_it(
    cast: Cast, england: England, manager: Client, django_assert_max_num_queries: Callable[..., object]
) -> None:
    # A constant number of aggregate queries, whatever the number of cases (bench/insights.py times them).
    with django_assert_max_num_queries(50):  # type: ignore[attr-defined]
        response = manager.get(f"/insights/?{JANUARY_QUERY}")
    assert response.status_code == 200
    page = response.content.decode()
    expected = values(_rgh(cast), JANUARY, keys=board.DASHBOARD_MEASURES)
    shown = _tiles(page)
    for key in board.DASHBOARD_MEASURES:
        assert shown[key] == board.shown(MEASURES[key], expected[key], circulate=False), key
    # Worked by hand in scenario.py: 6 received in January, acknowledged on time 75.0%, well-founded 66.7%.
    assert shown["received"] == "6" and shown["acknowledged_on_time"] == "75.0%"
    assert shown["well_founded_rate"] == "66.7%"
    # The previous month and January a year before are there too, each one click from its own cases.
    compared = {(q["measure"], q["date_from"]) for q, _ in _drill_links(page) if "measure" in q}
    assert ("received", "2025-12-01") in compared and ("received", "2025-01-01") in compared
    event = AuditEvent.objects.filter(action="insights.dashboard_view").latest("pk")
    assert event.actor_id == cast.manager.pk and "RGH" in str(event.details)


def test_every_number_on_the_dashboard_drills_down_to_exactly_the_cases_counted(
    cast: Cast, england: England, manager: Client
) -> None:
    page = manager.get(f"/insights/?{JANUARY_QUERY}").content.decode()
    links = _drill_links(page)
    measured = {q["measure"] for q, _ in links if "measure" in q}
    assert measured == set(board.DASHBOARD_MEASURES)
    broken = {q["breakdown"] for q, _ in links if "breakdown" in q}
    assert broken == set(board.BREAKDOWN_KEYS)
    checked = 0
    for query, _text in links:
        period = Period(date.fromisoformat(query["date_from"]), date.fromisoformat(query["date_to"]))
        if "measure" in query:
            measure = MEASURES[query["measure"]]
            cases = (
                measure.denominator(_rgh(cast), period)
                if query.get("part") == "denominator"
                else measure.numerator(_rgh(cast), period)
            )
        elif "meetings" in query:
            cases = board.resolved_by_meeting(board.Filters(sites=[cast.rgh], period=period))
        elif "appeals" in query:
            from liaison.advocacy.selectors import cases_with_appeals_decided

            outcome = "" if query["appeals"] == "decided" else query["appeals"]
            cases = cases_with_appeals_decided(_rgh(cast), period.start, period.end, outcome)
        else:
            breakdown = BREAKDOWNS[query["breakdown"]]
            raw = query.get("value", "")
            value = (int(raw) if raw.isdigit() and breakdown.path.endswith("_id") else raw) or None
            cases = breakdown.cases(_rgh(cast), period, value)
        assert cases is not None
        expected = {c.reference for c in cases}
        listed = manager.get("/insights/cases/", query)
        assert listed.status_code == 200, query
        assert _references(listed.content.decode()) == expected, query
        checked += 1
    assert checked > 60


def test_breakdown_counts_match_their_drill_down_and_the_parts_of_the_issues(cast: Cast, england: England) -> None:
    for key, breakdown in BREAKDOWNS.items():
        for value, _label, n in breakdown.counts(_rgh(cast), JANUARY):
            assert breakdown.cases(_rgh(cast), JANUARY, value).count() == n, (key, value)
    # By type, worked by hand: complaints A, B, C, D; compliment E; concern G.
    by_type = {v: n for v, _, n in BREAKDOWNS["case_type"].counts(_rgh(cast), JANUARY)}
    assert by_type == {"complaint": 4, "compliment": 1, "concern": 1}
    # Nobody coded any issue in the scenario: every case is "Not recorded" for the issue facts.
    assert BREAKDOWNS["hcat_category"].counts(_rgh(cast), JANUARY) == [(None, "Not recorded", 6)]


def test_filters_narrow_the_numbers(cast: Cast, england: England, harbor: Harbor, manager: Client) -> None:
    both = manager.get("/insights/?date_from=2026-01-01&date_to=2026-01-31").content.decode()
    # The manager works at Riverside only: Harbor Point's three grievances are not theirs to count.
    assert _tiles(both)["received"] == "6"
    compliments = manager.get(f"/insights/?{JANUARY_QUERY}&case_type=compliment").content.decode()
    assert _tiles(compliments)["received"] == "1" and _tiles(compliments)["compliments"] == "1"
    emergency = manager.get(f"/insights/?{JANUARY_QUERY}&department={cast.ed.pk}").content.decode()
    assert _tiles(emergency)["received"] == "0"  # no case in the scenario names a department


def test_wide_circulation_hides_small_counts(cast: Cast, england: England, manager: Client) -> None:
    page = manager.get(f"/insights/?{JANUARY_QUERY}&circulate=on").content.decode()
    shown = _tiles(page)
    assert shown["received"] == "6"
    assert shown["compliments"] == "<5" and shown["upheld"] == "<5"
    assert shown["acknowledged_on_time"] == "75.0%"  # shares are not counts


def test_an_executive_sees_the_numbers_and_the_cases_but_never_a_patient(
    cast: Cast, england: England, as_user: Callable[[User], Client]
) -> None:
    executive = as_user(cast.executive)
    page = executive.get(f"/insights/?{JANUARY_QUERY}")
    assert page.status_code == 200
    listed = executive.get(
        "/insights/cases/", {"measure": "received", "site": "RGH", "date_from": "2026-01-01", "date_to": "2026-01-31"}
    )
    body = listed.content.decode()
    assert listed.status_code == 200 and england.a.reference in body
    assert "Testpatient" not in body and "Testpatient" not in page.content.decode()
    for fmt in ("csv", "xlsx"):
        download = executive.get(
            f"/insights/cases.{fmt}",
            {"measure": "received", "site": "RGH", "date_from": "2026-01-01", "date_to": "2026-01-31"},
        )
        data = b"".join(download.streaming_content) if download.streaming else download.content  # type: ignore[attr-defined]
        assert download.status_code == 200 and b"Testpatient" not in data
        if fmt == "csv":
            rows = read_csv(data)
        else:
            rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(data)).active.iter_rows()]  # type: ignore[union-attr]
        assert {row[0] for row in rows[1:]} == {
            c.reference for c in MEASURES["received"].numerator(_rgh(cast), JANUARY)
        }


def test_the_officer_sees_names_only_on_the_cases_they_may_open(
    cast: Cast, england: England, as_user: Callable[[User], Client]
) -> None:
    # Case D is restricted to the officer: counted for everyone, named only for them.
    manager = as_user(cast.manager).get(
        "/insights/cases/", {"measure": "received", "site": "RGH", "date_from": "2026-01-01", "date_to": "2026-01-31"}
    )
    body = manager.content.decode()
    assert england.d.reference in body
    assert f'href="/cases/{england.d.reference}/"' not in body
    assert body.count("Ada Testpatient") == 5  # A, B, C, E, G
    audit = AuditEvent.objects.filter(action="case.list_view", actor=cast.manager).latest("pk")
    assert sorted(audit.details["cases"]) == sorted(c.pk for c in MEASURES["received"].numerator(_rgh(cast), JANUARY))


def test_hostile_or_foreign_filters_get_a_clear_answer(
    cast: Cast, england: England, as_user: Callable[[User], Client], manager: Client
) -> None:
    for query in (
        {"measure": "received", "date_from": "2026-13-45"},
        {"measure": "nonsense"},
        {"breakdown": "site", "value": "abc", "date_from": "2026-01-01", "date_to": "2026-01-31"},
        {"measure": "received", "date_from": "2026-02-01", "date_to": "2026-01-01"},
        {"measure": "received", "date_from": "2000-01-01", "date_to": "2026-01-01"},
        {},
    ):
        response = manager.get("/insights/cases/", query)
        assert response.status_code == 400, query
    assert manager.get("/insights/?date_from=<script>").status_code == 200
    # Harbor Point's officer cannot pick Riverside, and sees no Riverside case.
    outsider = as_user(cast.outsider)
    response = outsider.get(
        "/insights/cases/", {"measure": "received", "site": "RGH", "date_from": "2026-01-01", "date_to": "2026-01-31"}
    )
    assert response.status_code == 400 and england.a.reference not in response.content.decode()
    assert as_user(cast.investigator).get("/insights/").status_code == 404


def test_a_list_too_long_for_an_xlsx_in_the_browser_is_offered_as_csv(
    cast: Cast, england: England, manager: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liaison.insights import exports

    monkeypatch.setattr(exports, "XLSX_WEB_MAX_ROWS", 5)
    query = {"measure": "received", "site": "RGH", "date_from": "2026-01-01", "date_to": "2026-01-31"}
    before = AuditEvent.objects.filter(action="export.cases").count()
    response = manager.get("/insights/cases.xlsx", query)
    body = response.content.decode()
    assert response.status_code == 200 and "This list has 6 rows" in body
    assert AuditEvent.objects.filter(action="export.cases").count() == before  # nothing was exported
    csv_url = html.unescape(re.search(r'href="(/insights/cases\.csv\?[^"]+)"', body).group(1))  # type: ignore[union-attr]
    download = manager.get(csv_url)
    rows = read_csv(b"".join(download.streaming_content))  # type: ignore[attr-defined]
    assert len(rows) == 7  # the header and the six cases


def test_complainants_ratings_show_as_a_share_only_with_enough_answers_and_list_only_who_was_invited(
    cast: Cast, manager: Client, smtp_server: object
) -> None:
    from datetime import timedelta

    from liaison.feedback.tests.test_handling_survey import CLOSED, answer, closed_case, sweep

    cases = [
        closed_case(
            cast, CLOSED + timedelta(minutes=n), patient_email=f"p{n}@example.com", patient_name=f"Rae Rating{n}"
        )
        for n in range(6)
    ]
    sweep(CLOSED + timedelta(hours=1))
    april = "site=RGH&date_from=2026-04-01&date_to=2026-04-30"
    for n, case in enumerate(cases[:4]):
        answer(case, 5 if n < 3 else 2, "yes", "yes")
    page = manager.get(f"/insights/?{april}").content.decode()
    # Four answers are too few to show a share; the six invited are listed, by case, not by answer.
    assert "Fewer than 5 answers" in page
    invited = [q for q, _ in _drill_links(page) if q.get("handling") == "invited"]
    listed = manager.get("/insights/cases/", invited[0]).content.decode()
    assert _references(listed) == {c.reference for c in cases}
    assert "satisf" not in listed.split("<table", 1)[1].lower()  # nothing about how anyone answered
    answer(cases[4], 4, "partly", "no")
    page = manager.get(f"/insights/?{april}").content.decode()
    # 3 very satisfied and 1 satisfied of 5 answers = 80.0%.
    assert "80.0%" in page and "of 5 who answered" in page


def test_feedback_figures_count_as_the_feedback_dashboard_counts_them(cast: Cast, manager: Client) -> None:
    from datetime import date

    from liaison.feedback.models import FeedbackResponse

    def answer(day: date, fft: int | None, likelihood: int | None) -> None:
        FeedbackResponse.objects.create(site=cast.rgh, received_on=day, fft_score=fft, likelihood=likelihood)

    for fft in (1, 1, 2, 3, 4, 6):  # very good ×2, good, neither, poor, don't know
        answer(date(2026, 1, 10), fft, None)
    for likelihood in (10, 9, 8, 6, 0):  # promoters 2, passive 1, detractors 2
        answer(date(2026, 1, 20), None, likelihood)
    answer(date(2026, 2, 1), 5, 0)  # February's: not counted
    figures = board.feedback_figures(board.Filters(sites=[cast.rgh], period=JANUARY))
    # Positive: 3 of the 6 FFT answers, "don't know" included = 50.0%. Net: (2 - 2) / 5 = 0.
    assert (figures.answers, figures.positive, figures.recommend, figures.recommend_answers) == (6, 50.0, 0, 5)
    page = manager.get(f"/insights/?{JANUARY_QUERY}").content.decode()
    assert "50.0%" in page and "of 6 answers" in page and "of 5 answers" in page


def test_appeals_decided_in_the_period_show_with_the_amount_recovered_and_their_cases(
    cast: Cast, manager: Client
) -> None:
    from datetime import date
    from decimal import Decimal

    from liaison.advocacy.services import appeal_record, outcome_record
    from liaison.cases.services import case_open

    def appeal(name: str, outcome: str, decided: date, recovered: str) -> Case:
        case = case_open(
            acting_user=cast.officer, site=cast.rgh, case_type="advocacy", channel="phone", patient_name=name
        )
        recorded = appeal_record(
            acting_user=cast.officer,
            case=case,
            org_name="Acme Health Plan",
            org_kind="payer",
            plan_type="erisa_employer",
            level="internal",
            urgency="standard",
            timing="post_service",
            decision_received_on=date(2025, 12, 1),
            service="MRI of the knee",
            amount=Decimal("1200.00"),
            reason_given="Not medically necessary",
        )
        outcome_record(
            acting_user=cast.officer,
            appeal=recorded,
            outcome=outcome,
            decision_on=decided,
            amount_recovered=Decimal(recovered),
        )
        return case

    won = appeal("Wyn Appealtest", "overturned", date(2026, 1, 12), "1200.00")
    part = appeal("Pia Appealtest", "partly", date(2026, 1, 28), "450.50")
    appeal("Lee Appealtest", "upheld", date(2026, 2, 3), "0")  # February's
    page = manager.get(f"/insights/?{JANUARY_QUERY}").content.decode()
    # January: two decided, one overturned and one partly; 1,200.00 + 450.50 recovered.
    assert "1650.50" in page
    decided = [q for q, _ in _drill_links(page) if q.get("appeals") == "decided"]
    listed = manager.get("/insights/cases/", decided[0]).content.decode()
    assert _references(listed) == {won.reference, part.reference}
    overturned = [q for q, _ in _drill_links(page) if q.get("appeals") == "overturned"]
    assert _references(manager.get("/insights/cases/", overturned[0]).content.decode()) == {won.reference}
