"""The hiring data files, loaded into typed objects: the competency framework, the interview question bank,
questions for candidates to ask, and the labelled sets the practice feedback is trained and measured on.

The files live in ``liaison/hiring/data/`` and are meant to be edited by an administrator; ``validate()``
lists every problem (an unknown competency key, a question without probes or anchors) so a bad edit fails
the tests, not an interview.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

QUESTION_TYPES = ("behavioural", "situational", "knowledge", "motivation")
COMPETENCY_KINDS = ("competency", "knowledge")
CANDIDATE_QUESTION_GROUPS = ("team", "training", "development", "culture")
STAR_LABELS = ("situation", "task", "action", "result", "none")
RUBRIC_ANCHORS = ("1", "3", "5")


class HiringDataError(ValueError):
    """A data file is missing, malformed, or refers to something that does not exist."""


@dataclass(frozen=True)
class Competency:
    key: str
    name: str
    kind: str
    description: str
    strong_evidence: tuple[str, ...]
    weak_evidence: tuple[str, ...]
    cues: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    type: str
    competencies: tuple[str, ...]
    probes: tuple[str, ...]
    rubric: dict[str, str]
    minutes: int


@dataclass(frozen=True)
class CandidateQuestionGroup:
    key: str
    name: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Lexicons:
    hedges: tuple[str, ...]
    fillers: tuple[str, ...]
    outcomes: tuple[str, ...]
    jargon: tuple[str, ...]


@dataclass(frozen=True)
class LabelledSentence:
    sentence: str
    part: str
    # Groups the sentences of one answer, in order, so cross-validation never splits an answer and the tagger
    # can read each sentence in context; "" where a file has no answer column.
    answer: str


@dataclass(frozen=True)
class LabelledAnswer:
    key: str
    text: str
    competencies: tuple[str, ...]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise HiringDataError(f"{path.name} is missing from {path.parent}.") from exc
    except json.JSONDecodeError as exc:
        raise HiringDataError(
            f"{path.name} is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from exc


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(item) for item in value or ())


@cache
def load_framework(data_dir: Path = DATA_DIR) -> tuple[Competency, ...]:
    raw = _read_json(data_dir / "framework.json")
    try:
        return tuple(
            Competency(
                key=item["key"],
                name=item["name"],
                kind=item["kind"],
                description=item["description"],
                strong_evidence=_strings(item["strong_evidence"]),
                weak_evidence=_strings(item["weak_evidence"]),
                cues=_strings(item.get("cues", ())),
            )
            for item in raw["competencies"]
        )
    except (KeyError, TypeError) as exc:
        raise HiringDataError(f"framework.json: every competency needs the field {exc}.") from exc


@cache
def load_questions(data_dir: Path = DATA_DIR) -> tuple[Question, ...]:
    raw = _read_json(data_dir / "questions.json")
    try:
        return tuple(
            Question(
                key=item["key"],
                text=item["text"],
                type=item["type"],
                competencies=_strings(item["competencies"]),
                probes=_strings(item["probes"]),
                rubric={str(k): str(v) for k, v in item["rubric"].items()},
                minutes=int(item["minutes"]),
            )
            for item in raw["questions"]
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise HiringDataError(f"questions.json: a question is missing or has a malformed field ({exc}).") from exc


@cache
def load_candidate_questions(data_dir: Path = DATA_DIR) -> tuple[CandidateQuestionGroup, ...]:
    raw = _read_json(data_dir / "candidate_questions.json")
    try:
        return tuple(
            CandidateQuestionGroup(key=group["key"], name=group["name"], questions=_strings(group["questions"]))
            for group in raw["groups"]
        )
    except (KeyError, TypeError) as exc:
        raise HiringDataError(f"candidate_questions.json: a group needs the field {exc}.") from exc


@cache
def load_lexicons(data_dir: Path = DATA_DIR) -> Lexicons:
    raw = _read_json(data_dir / "lexicons.json")
    try:
        return Lexicons(
            hedges=_strings(raw["hedges"]),
            fillers=_strings(raw["fillers"]),
            outcomes=_strings(raw["outcomes"]),
            jargon=_strings(raw["jargon"]),
        )
    except (KeyError, TypeError) as exc:
        raise HiringDataError(f"lexicons.json needs the list {exc}.") from exc


def competency_names(data_dir: Path = DATA_DIR) -> dict[str, str]:
    return {c.key: c.name for c in load_framework(data_dir)}


def read_star_csv(path: Path) -> list[LabelledSentence]:
    """Read ``sentence,part`` rows (an optional ``answer`` column groups rows into answers).

    Raises HiringDataError naming the row and the problem, so a hand-made file is easy to fix.
    """
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise HiringDataError(f"Cannot open {path}: {exc.strerror or exc}.") from exc
    with handle:
        reader = csv.DictReader(handle)
        columns = [name.strip().lower() for name in reader.fieldnames or []]
        missing = [name for name in ("sentence", "part") if name not in columns]
        if missing:
            found = ", ".join(columns) or "nothing"
            raise HiringDataError(
                f"{path.name}: the header must have the columns 'sentence' and 'part' "
                f"(missing: {', '.join(missing)}; found: {found})."
            )
        reader.fieldnames = columns
        rows: list[LabelledSentence] = []
        try:
            for line, row in enumerate(reader, start=2):
                sentence = (row.get("sentence") or "").strip()
                part = (row.get("part") or "").strip().lower()
                if not sentence:
                    raise HiringDataError(f"{path.name}, line {line}: the sentence is empty.")
                if part not in STAR_LABELS:
                    raise HiringDataError(
                        f"{path.name}, line {line}: unknown part {part!r}; use one of {', '.join(STAR_LABELS)}."
                    )
                answer = (row.get("answer") or "").strip()
                rows.append(LabelledSentence(sentence=sentence, part=part, answer=answer))
        except csv.Error as exc:
            raise HiringDataError(f"{path.name}: not a readable CSV file ({exc}).") from exc
        except UnicodeDecodeError as exc:
            raise HiringDataError(f"{path.name}: not UTF-8 text ({exc.reason}).") from exc
    if not rows:
        raise HiringDataError(f"{path.name}: no labelled sentences found.")
    return rows


def load_star_sentences(data_dir: Path = DATA_DIR) -> list[LabelledSentence]:
    return read_star_csv(data_dir / "star_sentences.csv")


def load_competency_answers(data_dir: Path = DATA_DIR) -> list[LabelledAnswer]:
    path = data_dir / "competency_answers.jsonl"
    answers: list[LabelledAnswer] = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            answers.append(
                LabelledAnswer(
                    key=str(item.get("id", line_number)), text=item["text"], competencies=_strings(item["competencies"])
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise HiringDataError(f"{path.name}, line {line_number}: malformed answer ({exc}).") from exc
    return answers


def _duplicates(keys: Iterable[str]) -> list[str]:
    counts = Counter(keys)
    return sorted(key for key, count in counts.items() if count > 1)


def validate(data_dir: Path = DATA_DIR) -> list[str]:
    """Every problem found in the data files, as sentences; an empty list means the data is sound."""
    problems: list[str] = []
    try:
        framework = load_framework(data_dir)
        questions = load_questions(data_dir)
        groups = load_candidate_questions(data_dir)
        load_lexicons(data_dir)
    except HiringDataError as exc:
        return [str(exc)]
    keys = {c.key for c in framework}
    problems += [f"framework.json: the key {k!r} is used twice." for k in _duplicates(c.key for c in framework)]
    for c in framework:
        if c.kind not in COMPETENCY_KINDS:
            problems.append(f"framework.json: {c.key!r} has kind {c.kind!r}; use competency or knowledge.")
        if not (c.description and c.strong_evidence and c.weak_evidence):
            problems.append(f"framework.json: {c.key!r} needs a description and strong and weak evidence.")
    problems += [f"questions.json: the key {k!r} is used twice." for k in _duplicates(q.key for q in questions)]
    for q in questions:
        where = f"questions.json: {q.key!r}"
        if q.type not in QUESTION_TYPES:
            problems.append(f"{where} has type {q.type!r}; use one of {', '.join(QUESTION_TYPES)}.")
        if not q.competencies:
            problems.append(f"{where} is not mapped to any competency.")
        problems += [f"{where} refers to the unknown competency {k!r}." for k in q.competencies if k not in keys]
        if not q.probes:
            problems.append(f"{where} has no follow-up probes.")
        missing = [a for a in RUBRIC_ANCHORS if not q.rubric.get(a, "").strip()]
        if missing:
            problems.append(f"{where} lacks rubric anchors for {', '.join(missing)}.")
        if q.minutes <= 0:
            problems.append(f"{where} needs a positive time budget in minutes.")
    for g in groups:
        if g.key not in CANDIDATE_QUESTION_GROUPS:
            problems.append(f"candidate_questions.json: unknown group {g.key!r}.")
        if not g.questions:
            problems.append(f"candidate_questions.json: the group {g.key!r} is empty.")
    try:
        answers = load_competency_answers(data_dir)
    except (HiringDataError, OSError) as exc:
        problems.append(str(exc))
    else:
        for a in answers:
            problems += [
                f"competency_answers.jsonl: {a.key!r} refers to the unknown competency {k!r}."
                for k in a.competencies
                if k not in keys
            ]
    return problems
