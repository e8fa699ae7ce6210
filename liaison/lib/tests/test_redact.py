"""Redacting free text: what goes, what stays so the comment still reads."""

from __future__ import annotations

from liaison.lib.redact import redact_comment


def test_it_takes_out_titled_names_numbers_emails_and_dates() -> None:
    text = (
        "Mrs Jane Doe on ward 5 saw Dr. O'Neill and nurse Kelly on 3 March 2026. "
        "NHS number 943 476 5919, phone 07700 900123, email jane.doe@example.org."
    )
    assert redact_comment(text) == (
        "[name] on ward 5 saw [name] and [name] on [date]. NHS number [NHS number], phone [phone], email [email]."
    )


def test_it_takes_out_the_names_it_is_given_in_full_and_in_part() -> None:
    assert redact_comment("Peter Quigley here; Peter's mum was scared.", names=["Peter Quigley"]) == (
        "[name] here; [name] mum was scared."
    )


def test_it_leaves_ordinary_words_after_a_lower_case_title_word() -> None:
    text = "I will miss Christmas at home, and the Emergency Department was busy."
    assert redact_comment(text) == text
