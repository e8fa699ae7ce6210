"""Practice and drill feedback: STAR tagging, competency evidence, observations with their sentences."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from liaison.hiring import analysis
from liaison.hiring.analysis import (
    STAR_MODEL,
    detect_competencies,
    drill_feedback,
    fit_star_model,
    practice_feedback,
    split_sentences,
    tag_star,
)
from liaison.hiring.data import load_star_sentences

CLEAR_ANSWER = (
    "In my last job I worked on the PALS desk at a large teaching hospital. "
    "A son came in furious because nobody had told him his father had been moved to another ward overnight. "
    "My role was to find out what had happened and get him a proper update that morning. "
    "I listened to him, apologised, and then I called the ward manager and arranged for the doctor to see him. "
    "As a result he had his update within an hour, and the ward now phones families when a patient is moved."
)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_sentences_split_at_full_stops_but_not_after_titles_or_abbreviations() -> None:
    text = "I spoke to Dr. Patel and Mrs. Lee, e.g. about the letter. Then I rang back!\nKind regards\nAmy Shah"
    assert split_sentences(text) == [
        "I spoke to Dr. Patel and Mrs. Lee, e.g. about the letter.",
        "Then I rang back!",
        "Kind regards",
        "Amy Shah",
    ]


def test_star_tagging_finds_each_part_on_the_right_sentence() -> None:
    tagged = tag_star(CLEAR_ANSWER)
    assert [t.part for t in tagged] == ["situation", "situation", "task", "action", "result"]
    assert all(0.0 < t.confidence <= 1.0 for t in tagged)


def test_star_tagging_of_a_lone_sentence_and_of_nothing() -> None:
    assert tag_star("") == []
    [(_sentence, part, _)] = tag_star("I called the ward sister and arranged a meeting with the consultant.")
    assert part == "action"


def test_competency_detection_gives_the_sentences_that_show_it() -> None:
    answer = (
        "A Somali family were unhappy that their grandmother had not understood her operation. "
        "I booked a female interpreter for a meeting with the surgeon, because she had asked to speak to a woman. "
        "She asked her own questions and agreed to the surgery."
    )
    found = dict(detect_competencies(answer))
    assert "cultural_competency" in found
    assert any("interpreter" in s for s in found["cultural_competency"])


def test_practice_feedback_shows_each_observation_with_its_sentences_and_no_score() -> None:
    answer = CLEAR_ANSWER + " We basically sorted it out together, and I think it went maybe 90% well."
    feedback = practice_feedback(answer)
    assert feedback["star"]["missing"] == []
    assert feedback["star"]["task"]["sentences"] == [
        "My role was to find out what had happened and get him a proper update that morning."
    ]
    assert feedback["competencies"] and all(c["sentences"] for c in feedback["competencies"])
    specifics = {item["text"]: item["sentence"] for item in feedback["specifics"]}
    assert any("90%" in text for text in specifics)
    hedges = {item["phrase"]: item["sentences"] for item in feedback["hedging"]}
    assert hedges["basically"] == [answer.split(". ")[-1]]
    assert {"maybe", "i think"} <= set(hedges)
    assert feedback["length"]["words"] > 80
    assert feedback["ownership"]["i"]["count"] >= 1
    assert not {k for k in _keys(feedback) if "score" in k.lower() or "hire" in k.lower()}


def test_practice_feedback_notes_a_short_answer_and_missing_parts() -> None:
    feedback = practice_feedback("I am a people person and I always listen.")
    assert feedback["length"]["note"].startswith("Short")
    assert set(feedback["star"]["missing"]) == {"situation", "task", "action", "result"}


def test_practice_feedback_counts_we_and_i_action_sentences() -> None:
    answer = (
        "A family complained about visiting times on the ward. "
        "We held a meeting with the ward manager. "
        "We agreed a new visiting plan with them. "
        "They were happy with the plan."
    )
    ownership = practice_feedback(answer)["ownership"]
    assert ownership["we"]["count"] >= 1
    assert ownership["i"]["count"] == 0
    assert "'we'" in ownership["note"]


def test_drill_feedback_flags_a_missing_timescale_and_blaming_language() -> None:
    reply = (
        "Dear Mrs Okafor,\n\nThank you for your letter about your father's discharge. "
        "You should have asked the nurses for the discharge letter, as you were told on the day. "
        "His obs were normal when he left. We will look into the delay with pharmacy.\n\nYours sincerely,\nPALS"
    )
    feedback = drill_feedback(reply)
    checks = feedback["checks"]
    assert checks["timescale"]["present"] is False
    assert "timescale" in feedback["missing"]
    assert checks["blame"]["present"] is True
    assert checks["blame"]["sentences"] == [
        "You should have asked the nurses for the discharge letter, as you were told on the day."
    ]
    assert checks["jargon"]["found"] == ["obs"]
    assert set(feedback["flags"]) == {"blame", "jargon"}
    assert checks["acknowledgement"]["present"] is True
    assert not {k for k in _keys(feedback) if "score" in k.lower()}


def test_drill_feedback_finds_everything_in_a_complete_reply() -> None:
    reply = (
        "Dear Mr Lee,\n\nThank you for contacting us about your wife's care in the emergency department. "
        "I am so sorry that you were not kept informed. "
        "This happened because updates to relatives were missed while the department was very busy. "
        "I have asked the matron to review how updates are given, and I will write to you with her findings "
        "within 10 working days. If you would like to talk sooner, please call me on 020 7946 0000.\n\n"
        "Kind regards\nSarah Khan\nPatient Relations Officer"
    )
    feedback = drill_feedback(reply, contact_names=["Sarah Khan"])
    assert feedback["missing"] == []
    assert feedback["flags"] == []
    assert feedback["checks"]["timescale"]["found"] == ["within 10 working days"]
    assert "Sarah Khan" in feedback["checks"]["named_contact"]["found"]


def test_a_signed_reply_names_a_contact_without_being_told_the_name() -> None:
    reply = "Thank you for your email. I will call you by Friday.\n\nYours sincerely,\nTom Reid"
    assert drill_feedback(reply)["checks"]["named_contact"]["found"] == ["Tom Reid"]


def test_the_shipped_weights_load_without_pickle_and_match_the_labelled_data() -> None:
    with np.load(STAR_MODEL.with_suffix(".npz"), allow_pickle=False) as arrays:
        shipped = arrays["weights"]
    retrained = fit_star_model(load_star_sentences())
    assert retrained.vectoriser.names == analysis.star_model().vectoriser.names
    assert np.allclose(retrained.weights, shipped, atol=1e-2)


def test_feedback_takes_milliseconds_per_answer() -> None:
    practice_feedback(CLEAR_ANSWER)  # load the models
    started = time.perf_counter()
    for _ in range(20):
        practice_feedback(CLEAR_ANSWER + " Extra sentence so nothing is cached.")
    assert (time.perf_counter() - started) / 20 < 0.05
