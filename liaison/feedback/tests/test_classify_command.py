"""`liaison feedback classify FILE.csv`: themes, sentiment and confidence for each comment, nothing stored.

The expected values are the shipped model's own answers for the same comments, never hard-coded: which
comments it is unsure of changes whenever it is retrained.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from liaison.feedback.analysis.text import Context
from liaison.feedback.management.commands.feedback import DEFAULT_DATA
from liaison.feedback.services import shipped_model
from liaison.feedback.themes import THEME_LABELS

LIAISON = Path(sys.executable).parent / "liaison"
ADDED = ["themes", "sentiment", "confidence", "needs_review", "theme_probabilities"]
# Written for these tests: comments as a ward's card box might hold them.
COMMENTS = [
    "The nurses were kind and explained everything before the operation.",
    "Waited six hours in A&E and nobody told us what was happening.",
    "Food was cold every day and the ward was noisy at night.",
    "",
    "Parking is impossible and the machines only take coins.",
    "ok",
    "Dr Patel listened to my worries and changed my medication. Thank you!",
]


def classify(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("feedback", "classify", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def score(value: str) -> int | None:
    """As the command reads a score: 1–6, anything else is no score (the shared file also has 7s)."""
    return int(value) if value.strip() in {"1", "2", "3", "4", "5", "6"} else None


@pytest.fixture
def shared_head(tmp_path: Path) -> Path:
    """The first 300 answers of the shared labelled NHS file, with all its columns."""
    if not DEFAULT_DATA.exists():
        pytest.skip(f"The shared data file is not here: {DEFAULT_DATA}")
    with DEFAULT_DATA.open(encoding="utf-8-sig", newline="") as f:
        rows = [row for _, row in zip(range(301), csv.reader(f), strict=False)]
    return write_csv(tmp_path / "fft.csv", rows[0], rows[1:])


@pytest.fixture
def comments_only(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "cards.csv", ["Comment"], [[c] for c in COMMENTS])


def test_it_classifies_the_shared_file_reading_each_comment_with_its_question_and_score(
    shared_head: Path, tmp_path: Path
) -> None:
    out = tmp_path / "classified.csv"
    stdout, stderr = classify(str(shared_head), "--out", str(out))
    assert stdout == ""
    assert "Classified 300 rows" in stderr and str(out) in stderr

    with shared_head.open(encoding="utf-8", newline="") as f:
        source = list(csv.DictReader(f))
    with out.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        result = list(reader)
    assert reader.fieldnames == [*source[0].keys(), *ADDED]
    assert len(result) == 300
    assert [row["Comment ID"] for row in result] == [row["Comment ID"] for row in source]

    with_text = [i for i, row in enumerate(source) if row["FFT answer"].strip()]
    expected = shipped_model().predict(
        [source[i]["FFT answer"].strip() for i in with_text],
        [
            Context(question=source[i]["FFT question"], fft_score=score(source[i]["FFT categorical answer"]))
            for i in with_text
        ],
    )
    for i, prediction in zip(with_text, expected, strict=True):
        row = result[i]
        assert row["themes"] == "; ".join(prediction.themes)
        assert int(row["sentiment"]) == prediction.sentiment
        assert float(row["confidence"]) == pytest.approx(prediction.confidence, abs=0.001)
        assert row["needs_review"] == ("yes" if prediction.needs_review else "no")
        probabilities = json.loads(row["theme_probabilities"])
        assert sorted(probabilities) == sorted(THEME_LABELS)
        assert all(0.0 <= p <= 1.0 for p in probabilities.values())
    assert {row["needs_review"] for row in result} <= {"yes", "no", ""}


def test_the_added_columns_are_prefixed_when_the_file_has_one_of_the_same_name(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "coded.csv", ["comment", "themes"], [[COMMENTS[1], "waiting"]])
    stdout, _ = classify(str(source))
    reader = csv.DictReader(io.StringIO(stdout))
    row = next(reader)
    assert reader.fieldnames == ["comment", "themes", *[f"model_{name}" for name in ADDED]]
    assert row["themes"] == "waiting"
    assert row["model_themes"] == "; ".join(shipped_model().predict([COMMENTS[1]], [Context()])[0].themes)


def test_the_console_script_classifies_a_file_of_comments_alone_with_no_database(
    comments_only: Path, tmp_path: Path
) -> None:
    # A fresh install: no database has been made, and none is made or needed.
    database = tmp_path / "never" / "liaison.sqlite3"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "liaison.settings",
        "LIAISON_DEBUG": "1",
        "LIAISON_DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{database}",
    }
    run = subprocess.run(
        [str(LIAISON), "feedback", "classify", str(comments_only), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert not database.exists()
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["input"] for line in lines] == [{"Comment": c} for c in COMMENTS]
    assert [line["row"] for line in lines] == list(range(1, len(COMMENTS) + 1))

    texts = [c for c in COMMENTS if c]
    expected = iter(shipped_model().predict(texts, [Context()] * len(texts)))
    for line, comment in zip(lines, COMMENTS, strict=True):
        if not comment:  # an empty card: nothing to classify
            assert (line["themes"], line["sentiment"], line["confidence"], line["needs_review"]) == (
                None,
                None,
                None,
                None,
            )
            continue
        prediction = next(expected)
        assert line["themes"] == prediction.themes
        assert line["sentiment"] == prediction.sentiment
        assert line["needs_review"] is prediction.needs_review
        assert line["confidence"] == pytest.approx(prediction.confidence, abs=0.001)
        assert set(line["theme_probabilities"]) == set(THEME_LABELS)
    assert f"Classified {len(COMMENTS)} rows" in run.stderr


def test_the_console_script_reports_a_missing_file_without_a_traceback(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(LIAISON), "feedback", "classify", str(tmp_path / "nowhere.csv")],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}"},
        timeout=120,
        check=False,
    )
    assert run.returncode == 1
    assert f"No file at {tmp_path / 'nowhere.csv'}" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_long_file_shows_its_progress_and_is_written_in_batches(tmp_path: Path) -> None:
    rows = [[str(n), COMMENTS[n % len(COMMENTS)]] for n in range(250)]
    source = write_csv(tmp_path / "many.csv", ["id", "comment"], rows)
    stdout, stderr = classify(str(source), "--batch-size", "100")
    assert "100 of 250 rows" in stderr and "200 of 250 rows" in stderr and "250 of 250 rows" in stderr
    result = list(csv.DictReader(io.StringIO(stdout)))
    assert [row["id"] for row in result] == [str(n) for n in range(250)]
    assert all(row["needs_review"] in {"yes", "no"} for row in result if row["comment"])


def test_named_columns_are_used_and_an_out_of_range_score_is_read_as_no_score(tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "survey.csv",
        ["Prompt", "Rating", "What they said"],
        [
            ["What was good?", "1", "Nothing."],
            ["What could we do better?", "9", "Nothing."],
            ["What could we do better?", "", "Nothing."],
        ],
    )
    stdout, stderr = classify(
        str(source),
        "--text-column",
        "What they said",
        "--question-column",
        "Prompt",
        "--score-column",
        "Rating",
        "--json",
    )
    assert "1 FFT scores were not 1–6 and were read as no score" in stderr
    lines = [json.loads(line) for line in stdout.splitlines()]
    expected = shipped_model().predict(
        ["Nothing."] * 3,
        [Context("What was good?", 1), Context("What could we do better?", None), Context("What could we do better?")],
    )
    assert [(line["themes"], line["sentiment"]) for line in lines] == [(p.themes, p.sentiment) for p in expected]
    # The out-of-range score was left out, so the second and third rows read the same.
    assert lines[1]["theme_probabilities"] == lines[2]["theme_probabilities"]


def test_a_windows_spreadsheet_file_is_read_with_a_note(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "excel.csv", ["text"], [["The café charged £5 for a sandwich."]], "cp1252")
    stdout, stderr = classify(str(source))
    assert "is not UTF-8; read it as Windows-1252" in stderr
    row = next(csv.DictReader(io.StringIO(stdout)))
    assert row["text"] == "The café charged £5 for a sandwich."
    assert row["sentiment"] in {"1", "2", "3", "4", "5"}


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, (), "No file at"),
        (b"", (), "is empty"),
        (b"\n\n", (), "is empty"),
        (b"comment\nfine\n", ("--text-column", "Feedback"), "No column named “Feedback” for the comments"),
        (b"id,when\n1,today\n", (), "Name it with --text-column. The columns are: id, when."),
        (b"text\n\x81\x8d bad bytes\n", (), "neither UTF-8 nor Windows-1252"),
        ("text\nhello\n".encode("utf-16"), (), "not a text CSV file"),
        (b"comment,Q\nfine,x\n", ("--question-column", "Question"), "No column named “Question”"),
    ],
)
def test_bad_input_gets_a_clear_error(
    tmp_path: Path, content: bytes | None, args: tuple[str, ...], message: str
) -> None:
    source = tmp_path / "input.csv"
    if content is not None:
        source.write_bytes(content)
    with pytest.raises(CommandError, match=re.escape(message)):
        classify(str(source), *args)


def test_it_will_not_write_over_its_input(comments_only: Path) -> None:
    with pytest.raises(CommandError, match="--out names the input file"):
        classify(str(comments_only), "--out", str(comments_only))
    assert comments_only.read_text(encoding="utf-8").splitlines()[1] == COMMENTS[0]


def test_a_file_with_headings_only_gives_headings_only(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "none.csv", ["comment"], [])
    stdout, stderr = classify(str(source))
    assert stdout.splitlines() == [",".join(["comment", *ADDED])]
    assert "Classified 0 rows" in stderr
