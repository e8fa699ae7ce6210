"""The question bank, framework and labelled sets load as data and hold together."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from liaison.hiring.data import (
    DATA_DIR,
    QUESTION_TYPES,
    HiringDataError,
    load_candidate_questions,
    load_competency_answers,
    load_framework,
    load_questions,
    load_star_sentences,
    read_star_csv,
    validate,
)

# Every topic the bank must cover, with words that a question on it uses.
TOPICS = {
    "customer service or patient relations experience": r"customer service or patient relations",
    "why this role": r"why do you want this role",
    "angry about poor communication from the medical team": r"angry because .* medical team",
    "staying calm under pressure": r"calm under pressure",
    "talking with people in distress": r"distressed",
    "confidentiality and patient rights": r"confidentiality",
    "steps of investigating a complaint": r"steps of investigating",
    "turning feedback into better care": r"feedback .* improve",
    "mediating a dispute": r"settle a dispute",
    "keeping up with regulations": r"keep up with changes in regulations",
    "qualities the role needs": r"what qualities",
    "disagreeing with a policy": r"disagreed with a policy",
    "cultural competency": r"culture, faith, language",
    "advocating for a patient, e.g. an insurance denial": r"advocated .* insurer denying",
    "prioritising several urgent requests": r"prioritise",
    "building trust": r"build trust",
    "dissatisfied patient who will not complain formally": r"do not want to make a formal complaint",
    "health record systems": r"health record .* systems",
    "measuring success": r"measure whether",
    "pay expectations": r"pay",
}


def test_the_shipped_data_is_valid() -> None:
    assert validate() == []


def test_the_framework_has_the_competencies_and_knowledge_areas_of_the_role() -> None:
    framework = {c.key: c for c in load_framework()}
    assert {k for k, c in framework.items() if c.kind == "competency"} == {
        "empathy",
        "communication",
        "problem_solving",
        "active_listening",
        "conflict_resolution",
        "cultural_competency",
    }
    assert {k for k, c in framework.items() if c.kind == "knowledge"} == {
        "patient_rights",
        "complaint_investigation",
        "feedback_improvement",
        "policy_regulation",
        "health_records",
        "prioritisation",
        "advocacy",
    }
    for competency in framework.values():
        assert competency.description and competency.strong_evidence and competency.weak_evidence


def test_the_bank_has_at_least_45_questions_each_with_probes_and_three_anchors() -> None:
    questions = load_questions()
    assert len(questions) >= 45
    assert len({q.key for q in questions}) == len(questions)
    for q in questions:
        assert q.type in QUESTION_TYPES
        assert q.probes
        assert all(q.rubric[anchor].strip() for anchor in ("1", "3", "5"))
        assert q.minutes > 0
    assert {q.type for q in questions} == set(QUESTION_TYPES)


@pytest.mark.parametrize("topic", TOPICS)
def test_the_bank_covers_the_topic(topic: str) -> None:
    pattern = re.compile(TOPICS[topic], re.IGNORECASE)
    assert any(pattern.search(q.text) for q in load_questions()), topic


def test_every_competency_is_assessed_by_some_question() -> None:
    used = {key for q in load_questions() for key in q.competencies}
    assert used == {c.key for c in load_framework()}


def test_candidates_have_questions_to_ask_about_team_training_development_and_culture() -> None:
    groups = {g.key: g for g in load_candidate_questions()}
    assert set(groups) == {"team", "training", "development", "culture"}
    assert sum(len(g.questions) for g in groups.values()) >= 12


def test_the_labelled_sets_are_large_enough_and_use_known_labels() -> None:
    sentences = load_star_sentences()
    assert len(sentences) >= 400
    assert {s.part for s in sentences} == {"situation", "task", "action", "result", "none"}
    answers = load_competency_answers()
    assert len(answers) >= 120
    keys = {c.key for c in load_framework()}
    assert all(a.competencies and set(a.competencies) <= keys for a in answers)


def _copy_data(tmp_path: Path) -> Path:
    for name in (
        "framework.json",
        "questions.json",
        "candidate_questions.json",
        "lexicons.json",
        "competency_answers.jsonl",
    ):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


def test_validation_names_an_unknown_competency_and_a_question_without_probes_or_anchors(tmp_path: Path) -> None:
    data_dir = _copy_data(tmp_path)
    bank = json.loads((data_dir / "questions.json").read_text())
    bank["questions"][0]["competencies"] = ["empathy", "telepathy"]
    bank["questions"][1]["probes"] = []
    del bank["questions"][2]["rubric"]["3"]
    (data_dir / "questions.json").write_text(json.dumps(bank))
    problems = validate(data_dir)
    assert any("unknown competency 'telepathy'" in p for p in problems)
    assert any("has no follow-up probes" in p for p in problems)
    assert any("lacks rubric anchors for 3" in p for p in problems)


def test_validation_reports_a_file_that_is_not_json(tmp_path: Path) -> None:
    data_dir = _copy_data(tmp_path)
    (data_dir / "framework.json").write_text("{not json")
    [problem] = validate(data_dir)
    assert "framework.json is not valid JSON" in problem


def test_a_sentence_csv_with_an_unknown_part_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("sentence,part\nI rang the ward.,action\nIt went well.,outcome\n")
    with pytest.raises(HiringDataError, match=r"line 3: unknown part 'outcome'"):
        read_star_csv(path)
