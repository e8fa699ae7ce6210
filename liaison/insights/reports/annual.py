"""England: the annual complaints report (RULES.md UK-9, regulation 18), for the commissioner and the public.

It must give: the number of complaints received; the number decided to be well-founded; the number the office
knows were referred to the ombudsman; a summary of their subjects; the matters of general importance (themes);
and the actions taken or planned to improve services. The report is refused, naming every missing item, while
one is missing:

- *received*, *referred to the ombudsman*: counts, which are never missing (nought is an answer);
- *well-founded*: missing while complaints were received but none has an outcome of upheld, partly upheld or
  not upheld (the count would be a guess);
- *subjects*: missing while no complaint received in the year has a coded issue;
- *themes*: missing while there is neither analysed feedback nor an improvement action with a theme;
- *improvement actions*: missing while no action was created, due or completed in the year.

Counts are the office's measures on the site's complaints (cases whose type is complaint now).
"""

from __future__ import annotations

from collections import Counter

from liaison.accounts.permissions import Cap
from liaison.cases.models import CaseType
from liaison.insights.measures import MEASURES, values
from liaison.insights.reports.base import (
    Cell,
    Headline,
    Report,
    ReportInput,
    ReportKind,
    ReportRefused,
    Section,
    Table,
    category_label,
    period_words,
    unit_words,
)
from liaison.insights.reports.parts import actions_of_year, category_counts, feedback_themes

THEMES_SHOWN = 10
NUMBERS = ("received", "referred_ombudsman")
OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "well_founded_rate")
TIMELINESS = ("acknowledged_on_time", "responded_on_time", "days_to_respond_median")


def build(source: ReportInput) -> Report:
    period = source.period
    complaints = source.cases.filter(case_type=CaseType.COMPLAINT)
    keys = [key for key in (*NUMBERS, *OUTCOMES, *TIMELINESS) if key in MEASURES]
    figures = values(complaints, period, keys=keys, now=source.now)
    received_count = int(figures["received"] or 0)
    well_founded = MEASURES["well_founded_rate"]
    well_founded_count = well_founded.numerator(complaints, period, now=source.now).count()
    whole = well_founded.denominator(complaints, period, now=source.now)
    judged = whole.count() if whole is not None else 0
    ombudsman = int(figures["referred_ombudsman"] or 0)
    subjects = {code: n for code, n in category_counts(complaints, period).items() if code}
    feedback = feedback_themes(source, period, top=THEMES_SHOWN)
    actions = actions_of_year(source, period)
    action_themes = Counter(a.theme for a in actions if a.theme)

    missing = []
    if received_count and not judged:
        missing.append(
            "the number found well-founded: no complaint received in the year has an outcome of upheld, "
            "partly upheld or not upheld recorded"
        )
    if not subjects:
        missing.append("a summary of subjects: no complaint received in the year has a coded issue")
    if not feedback and not action_themes:
        missing.append("themes: there is no analysed feedback for the year and no improvement action with a theme")
    if not actions:
        missing.append(f"improvement actions: none was recorded for the year ({period_words(period)})")
    if missing:
        raise ReportRefused(
            "The annual complaints report cannot be produced until these items can be given: "
            + "; ".join(missing)
            + ".",
            [("", item) for item in missing],
        )

    outcome_rows: list[list[Cell]] = [
        [MEASURES[key].name, unit_words(key), figures[key]] for key in OUTCOMES if key in figures
    ]
    timeliness: list[list[Cell]] = [
        [MEASURES[key].name, unit_words(key), figures[key], MEASURES[key].definition]
        for key in TIMELINESS
        if key in figures
    ]
    return Report(
        kind=KIND.key,
        title=KIND.title,
        site_name=source.site.name,
        site_code=source.site.code,
        period=period,
        generated_at=source.local_now,
        audience="For the commissioner and for anyone who asks for it. Counts only; no patient is identified.",
        sections=[
            Section(
                key="numbers",
                title="Complaints received, well-founded and referred",
                headlines=[
                    Headline("Complaints received", received_count, MEASURES["received"].definition),
                    Headline(
                        "Decided to be well-founded",
                        well_founded_count,
                        f"Upheld or partly upheld, of the {judged} with an outcome recorded.",
                    ),
                    Headline(
                        "Referred to the ombudsman",
                        ombudsman,
                        MEASURES["referred_ombudsman"].definition,
                    ),
                ],
                tables=[
                    Table("outcomes", "Outcomes", ["Outcome", "Unit", "Value"], outcome_rows, sheet="Outcomes"),
                    Table(
                        "timeliness",
                        "How quickly complaints were handled",
                        ["Measure", "Unit", "Value", "Definition"],
                        timeliness,
                        sheet="Timeliness",
                    ),
                ],
            ),
            Section(
                key="subjects",
                title="Subjects of complaints",
                text=[
                    "HCAT categories of the issues in the complaints received (a complaint with issues in two "
                    "categories counts in both)."
                ],
                tables=[
                    Table(
                        "subjects",
                        "Subjects",
                        ["HCAT category", "Complaints"],
                        [[category_label(code), count] for code, count in subjects.items()],
                        sheet="Subjects",
                    )
                ],
            ),
            Section(
                key="themes",
                title="Matters of general importance",
                text=[
                    "The most common themes in feedback received in the year, and the themes of the "
                    "improvement actions taken or planned."
                ],
                tables=[
                    Table(
                        "feedback-themes",
                        "Feedback themes",
                        ["Theme", "Answers"],
                        [[theme, count] for theme, count in feedback],
                        sheet="Feedback themes",
                    ),
                    Table(
                        "action-themes",
                        "Themes of improvement actions",
                        ["Theme", "Actions"],
                        [[theme, count] for theme, count in action_themes.most_common()],
                        sheet="Action themes",
                    ),
                ],
            ),
            Section(
                key="actions",
                title="Actions taken or planned to improve services",
                tables=[
                    Table(
                        "actions",
                        "Improvement actions",
                        ["Action", "Theme", "Department", "Status now", "Due on", "Completed on"],
                        [[a.what, a.theme, a.department, a.status, a.due, a.completed] for a in actions],
                        sheet="Improvement actions",
                    )
                ],
            ),
        ],
    )


KIND = ReportKind(
    key="annual",
    title="Annual complaints report",
    description="The yearly report the regulations require (received, well-founded, referred to the "
    "ombudsman, subjects, themes, improvement actions). Refused while an item is missing.",
    capability=Cap.RETURNS_FILE,
    packs=frozenset({"england_nhs"}),
    default_period="financial_year",
    build=build,
)
