"""The feedback dashboard's running counts (``FeedbackTally``), kept by difference as answers change.

An answer counts once under "total", once under its FFT score and its likelihood-to-recommend band when it
has them, once under its sentiment, and once under each of its themes, on its site, department and day.
A service that adds an answer calls :func:`add`; one that changes an answer's scores, themes or sentiment
takes :func:`facts` before and after and calls :func:`change`. Both write in the caller's transaction with
one additive upsert (``INSERT … ON CONFLICT DO UPDATE SET count = count + excluded.count``), which
PostgreSQL and SQLite both run, and which two writers can run at once without losing a count.

:func:`rebuild` recounts from the answers themselves (``liaison feedback tallies --rebuild``, the migration that
introduced them, and ``liaison generate``); :func:`verify` compares the two (``liaison feedback tallies``), as
the tests do after every path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction

from liaison.feedback.models import FeedbackResponse, FeedbackTally

_Key = tuple[int, int, date, str, str]  # (site, department or 0, day, kind, key)

_FACT_FIELDS = ("site_id", "department_id", "received_on", "fft_score", "likelihood", "sentiment", "themes")


@dataclass(frozen=True)
class Facts:
    """What an answer contributes to the counts."""

    site_id: int
    department_id: int | None
    received_on: date
    fft_score: int | None = None
    likelihood: int | None = None
    sentiment: int | None = None
    themes: tuple[str, ...] = ()


def facts(response: FeedbackResponse) -> Facts:
    return Facts(
        site_id=response.site_id,
        department_id=response.department_id,
        received_on=response.received_on,
        fft_score=response.fft_score,
        likelihood=response.likelihood,
        sentiment=response.sentiment,
        themes=tuple(response.themes or ()),
    )


def _facts_from_values(values: tuple[Any, ...]) -> Facts:
    site_id, department_id, received_on, fft_score, likelihood, sentiment, themes = values
    return Facts(site_id, department_id, received_on, fft_score, likelihood, sentiment, tuple(themes or ()))


def likelihood_band(score: int) -> str:
    return "promoter" if score >= 9 else "detractor" if score <= 6 else "passive"


def _counts(answer: Facts, sign: int, into: Counter[_Key]) -> None:
    where = (answer.site_id, answer.department_id or 0, answer.received_on)
    into[(*where, "total", "")] += sign
    if answer.fft_score:
        into[(*where, "fft", str(answer.fft_score))] += sign
    if answer.likelihood is not None:
        into[(*where, "ltr", likelihood_band(answer.likelihood))] += sign
    if answer.sentiment:
        into[(*where, "sentiment", str(answer.sentiment))] += sign
    for theme in dict.fromkeys(answer.themes):  # a theme listed twice still counts once
        into[(*where, "theme", theme[:80])] += sign


def _write(delta: Counter[_Key]) -> None:
    rows = [(site, department, day, kind, key, n) for (site, department, day, kind, key), n in delta.items() if n]
    if not rows:
        return
    table = connection.ops.quote_name(FeedbackTally._meta.db_table)
    adapt = connection.ops.adapt_datefield_value
    # The names are our own model's; every value goes as a parameter.
    sql = (
        f"INSERT INTO {table} (site_id, department_key, day, kind, key, count) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (site_id, department_key, day, kind, key) "
        f"DO UPDATE SET count = {table}.count + excluded.count"
    )
    # Sorted, so two writers touching the same rows lock them in the same order and cannot deadlock.
    rows.sort(key=lambda row: (row[0], row[1], row[2], row[3], row[4]))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, [(s, d, adapt(day), k, key, n) for s, d, day, k, key, n in rows])


def add(answers: Iterable[Facts]) -> None:
    """Count new answers."""
    delta: Counter[_Key] = Counter()
    for answer in answers:
        _counts(answer, 1, delta)
    _write(delta)


def change(before: Iterable[Facts], after: Iterable[Facts]) -> None:
    """Move the counts of changed answers from what they were to what they are."""
    delta: Counter[_Key] = Counter()
    for answer in before:
        _counts(answer, -1, delta)
    for answer in after:
        _counts(answer, 1, delta)
    _write(delta)


def _recount(site_ids: Iterable[int] | None = None) -> Counter[_Key]:
    answers = FeedbackResponse.objects.all()
    if site_ids is not None:
        answers = answers.filter(site_id__in=list(site_ids))
    delta: Counter[_Key] = Counter()
    for values in answers.order_by().values_list(*_FACT_FIELDS).iterator(chunk_size=5000):
        _counts(_facts_from_values(values), 1, delta)
    return delta


def rebuild(site_ids: Iterable[int] | None = None) -> int:
    """Recount from the answers (all sites, or those given); returns the number of tally rows."""
    chosen = None if site_ids is None else list(site_ids)
    with transaction.atomic():
        tallies = FeedbackTally.objects.all()
        if chosen is not None:
            tallies = tallies.filter(site_id__in=chosen)
        tallies.delete()
        counted = _recount(chosen)
        _write(counted)
    return sum(1 for n in counted.values() if n)


def verify(site_ids: Iterable[int] | None = None) -> list[str]:
    """The differences between the tallies and a recount (empty when they agree), for tests and checks."""
    chosen = None if site_ids is None else list(site_ids)
    stored: Counter[_Key] = Counter()
    tallies = FeedbackTally.objects.exclude(count=0)
    if chosen is not None:
        tallies = tallies.filter(site_id__in=chosen)
    for site, department, day, kind, key, n in tallies.values_list(
        "site_id", "department_key", "day", "kind", "key", "count"
    ):
        stored[(site, department, day, kind, key)] = n
    counted = +_recount(chosen)
    return [
        f"{key}: tallied {stored.get(key, 0)}, counted {counted.get(key, 0)}"
        for key in sorted(set(stored) | set(counted), key=str)
        if stored.get(key, 0) != counted.get(key, 0)
    ]
