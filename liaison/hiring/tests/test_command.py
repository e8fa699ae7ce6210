"""``liaison hiring evaluate`` and ``liaison hiring train``."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from liaison.hiring import analysis

PARTS = {"situation", "task", "action", "result", "none"}


def _run(*args: str) -> str:
    out = StringIO()
    call_command("hiring", *args, stdout=out)
    return out.getvalue()


def test_evaluate_prints_cross_validated_metrics_as_json() -> None:
    report = json.loads(_run("evaluate", "--json"))
    star = report["star"]
    assert "cross-validation grouped by answer" in star["validation"]
    assert set(star["per_part"]) == PARTS
    for metrics in star["per_part"].values():
        assert {"precision", "recall", "f1", "support"} <= set(metrics)
    assert star["macro_f1"] >= 0.80
    assert star["meets_target"] is True
    assert set(star["sentence_only"]["per_part"]) == PARTS
    assert 0.0 < report["competencies"]["macro_f1"] <= 1.0
    assert report["competencies"]["per_competency"]
    assert report["speed"]["ms_per_answer"]["tag_star"] > 0


def test_evaluate_on_a_given_csv_trains_on_the_shipped_sentences_and_tests_on_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(
        "sentence,part\n"
        "I was working on the PALS desk when a family arrived upset about a cancelled operation.,situation\n"
        "My job was to get them a new date that day.,task\n"
        "I called the surgical admissions team and arranged a new date.,action\n"
        "As a result the operation went ahead the following week.,result\n"
        "That's a good question.,none\n"
    )
    text = _run("evaluate", "--data", str(path))
    assert "tested on the 5 sentences given" in text
    assert "sentence by sentence" in text
    assert "macro F1" in text
    report = json.loads(_run("evaluate", "--data", str(path), "--json"))
    assert report["star"]["data"] == str(path)
    assert report["star"]["per_part"]["action"]["support"] == 1


def test_evaluate_refuses_a_csv_without_the_part_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("sentence,label\nI rang the ward.,action\n")
    with pytest.raises(CommandError, match=r"must have the columns 'sentence' and 'part' \(missing: part"):
        _run("evaluate", "--data", str(path))


def test_evaluate_refuses_an_unknown_part(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("sentence,part\nI rang the ward.,outcome\n")
    with pytest.raises(CommandError, match=r"line 2: unknown part 'outcome'; use one of situation, task"):
        _run("evaluate", "--data", str(path))


def test_evaluate_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not a file"):
        _run("evaluate", "--data", str(tmp_path / "nowhere.csv"))


def test_train_writes_both_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analysis, "STAR_MODEL", tmp_path / "star_model")
    monkeypatch.setattr(analysis, "COMPETENCY_MODEL", tmp_path / "competency_model")
    text = _run("train")
    assert "sentences" in text and "answers" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "competency_model.json",
        "competency_model.npz",
        "star_model.json",
        "star_model.npz",
    ]
