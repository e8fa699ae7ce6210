"""``liaison generate``: fill a database with realistic synthetic data, to measure Liaison at the size of a big office.

What it writes, spread over ``years`` years up to now: synthetic sites (England and the US in turn, marked in
``ops.SyntheticSite``), their departments, staff, logins (officers, managers, an investigator per department;
a director, an executive and an auditor across the sites), a survey per site; cases with coded issues,
timelines, letters, investigation requests with answers, findings and outcomes, referrals and reopenings,
each audited; and feedback answers with their themes and sentiment. See ``generate_cases`` for how a case's
story is played up to now.

Safety: it refuses, writing nothing, when the database holds any case outside the synthetic sites (a real
case). A second run on a database it filled adds more to the same sites, their references continuing.

The stories are made day by day in time order, by worker processes on big runs (``generate_worker``) while
this process writes. Everything is written in one transaction: COPY on PostgreSQL (bulk mode for big runs,
see ``generate_sink``), plain INSERTs on SQLite. The audit rows are chained after the trail's head under the
chain's lock, so ``liaison audit verify`` passes afterwards.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import pickle
import random
import sys
import time as clock
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TextIO

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from liaison.accounts.models import User
from liaison.audit.models import AuditEvent
from liaison.audit.sealing import chain_head, seal_pending
from liaison.audit.services import audit_record
from liaison.cases.models import Case, CaseSequence
from liaison.feedback import tallies
from liaison.feedback.models import FeedbackResponse, Survey
from liaison.lib.errors import ApplicationError
from liaison.ops import generate_sink, generate_worker
from liaison.ops.generate_audit import AuditChain
from liaison.ops.generate_cases import KEYED, MODELS, PER_CASE, DayJob, DayRows, Maker, _pick
from liaison.ops.generate_sink import Sink
from liaison.ops.generate_world import PASSWORD, SiteWorld, World, build_world, site_codes
from liaison.ops.models import GenerationRun, SyntheticSite
from liaison.org.models import Department, Site, StaffMember

# From this many cases and answers on PostgreSQL, indexes are built once at the end instead of row by row.
BULK_FROM = 100_000
BATCH_ROWS = 150_000  # rows held in memory before they are written

# What the organisation's setup adds, counted in the report with the rest.
_SETUP: list[type[models.Model]] = [Site, Department, StaffMember, User, Survey]

# How busy each hour of the day is, at the site: cases come in office hours, feedback all evening too.
_CASE_HOURS: tuple[int, ...] = (1, 1, 1, 1, 1, 1, 2, 6, 14, 16, 15, 14, 12, 14, 15, 14, 12, 9, 5, 3, 2, 2, 1, 1)
_FEEDBACK_HOURS: tuple[int, ...] = (1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 8, 8, 8, 8, 9, 10, 11, 11, 10, 8, 5, 2)
_WEEKDAY = (1.15, 1.05, 1.05, 1.0, 0.95, 0.3, 0.25)  # Monday … Sunday
_HOUR_TABLES: dict[tuple[int, ...], tuple[tuple[int, int], ...]] = {
    hours: tuple(enumerate(hours)) for hours in (_CASE_HOURS, _FEEDBACK_HOURS)
}


class GenerateRefused(ApplicationError):
    """The database holds data the generator must not mix with; nothing was written."""


@dataclass
class GenerateReport:
    counts: dict[str, int]  # rows written, by table
    seconds: float
    sites: list[str] = field(default_factory=list)  # the synthetic sites' codes
    users_created: int = 0
    password: str = PASSWORD  # every generated login's password
    bulk: bool = False
    phases: dict[str, float] = field(default_factory=dict)  # seconds: setup, rows, tallies, indexes, statistics…


class Progress:
    """A one-line progress bar on stderr: done, rate and time left; quiet unless switched on."""

    def __init__(self, total: int, *, enabled: bool, out: TextIO | None = None) -> None:
        self.total, self.enabled, self.out = max(total, 1), enabled, out or sys.stderr
        self.started = self.shown = clock.monotonic()

    def update(self, done: int, *, force: bool = False) -> None:
        now = clock.monotonic()
        if not self.enabled or (not force and now - self.shown < 0.5):
            return
        self.shown = now
        elapsed = now - self.started
        share = min(done / self.total, 1.0)
        left = elapsed / share - elapsed if share > 0 else 0
        bar = "#" * int(share * 30)
        self.out.write(
            f"\r[{bar:<30}] {share:6.1%} {done:,}/{self.total:,} cases and answers, "
            f"{_duration(elapsed)} so far, about {_duration(left)} left  "
        )
        self.out.flush()

    def phase(self, words: str) -> None:
        if self.enabled:
            self.out.write(f"\n{words}")
            self.out.flush()

    def end(self) -> None:
        if self.enabled:
            self.out.write(f"\nDone in {_duration(clock.monotonic() - self.started)}.\n")
            self.out.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def check_safe(sites: int) -> None:
    """Refuse (raising ``GenerateRefused``) unless every case in the database is synthetic."""
    synthetic = SyntheticSite.objects.values("site_id")
    real = Case.objects.exclude(site_id__in=synthetic).count()
    if real:
        raise GenerateRefused(
            f"This database holds {real:,} case{'s' if real != 1 else ''} that liaison generate did not create. "
            "It only writes into a database without real cases (a new one, or one it filled before). "
            "Nothing was written."
        )
    taken = Site.objects.filter(code__in=site_codes(sites)).exclude(pk__in=synthetic).values_list("code", flat=True)
    if taken:
        raise GenerateRefused(
            f"A site the generator did not create already uses a code it needs ({', '.join(sorted(taken))}). "
            "Nothing was written."
        )


def generate(
    cases: int,
    feedback: int,
    sites: int = 2,
    years: int = 3,
    seed: int = 1,
    progress: bool = False,
    *,
    bulk: bool | None = None,
    batch: int = BATCH_ROWS,
    workers: int | None = None,
) -> GenerateReport:
    """Add ``cases`` synthetic cases and ``feedback`` feedback answers, spread over the last ``years`` years.

    ``bulk`` (PostgreSQL only) drops and rebuilds indexes around the load; by default it is on from
    ``BULK_FROM`` cases and answers. ``batch``: rows held in memory before they are written. ``workers``:
    processes making the stories while this one writes (0: none; by default one per spare CPU for a big run on
    PostgreSQL). The data depend only on the seed, not on the workers. Raises ``GenerateRefused`` when the
    database holds real cases.
    """
    if cases < 0 or feedback < 0 or sites < 1 or years < 1:
        raise GenerateRefused("Give zero or more cases and answers, at least one site and at least one year.")
    check_safe(sites)
    big = connection.vendor == "postgresql" and cases + feedback >= BULK_FROM
    bulk = connection.vendor == "postgresql" and (big if bulk is None else bulk)
    if workers is None:
        workers = max(1, min(4, (os.cpu_count() or 2) - 1)) if big else 0
    started_at = timezone.now()
    started = clock.monotonic()
    runs = GenerationRun.objects.count()
    rng = random.Random(f"{seed}:{runs}")  # noqa: S311 - synthetic data, not secrets
    bar = Progress(cases + feedback, enabled=progress)
    parameters = {"cases": cases, "feedback": feedback, "sites": sites, "years": years, "seed": seed}
    phases: dict[str, float] = {}
    mark = started

    def phase(name: str) -> None:
        nonlocal mark
        now = clock.monotonic()
        phases[name] = round(now - mark, 1)
        mark = now

    with transaction.atomic():
        before = _row_counts(_SETUP)
        # The first row of the run. Sealing it takes the sealer's lock until the end of this transaction: the
        # generated events are written sealed, after it, and nobody else extends the chain meanwhile.
        first = audit_record(action="ops.generate", details={**parameters, "synthetic": True})
        seal_pending()
        first.refresh_from_db(fields=["seq", "prev_hash", "hash"])
        world = build_world(sites=sites, cases=cases, years=years, rng=rng)
        check_safe(sites)  # the world's own writes never add a real case; this guards against a concurrent one
        seal_pending()  # the world's own events (staff, sites) come before the generated history
        head = chain_head()
        sink = Sink(MODELS, keyed=KEYED)
        definitions = generate_sink.bulk_begin([m._meta.db_table for m in MODELS]) if bulk else []
        phase("setup")
        chain = AuditChain(sink, world.people(), seq=head[0], prev_hash=head[1])
        numbers = {
            (sequence.site_id, sequence.year): sequence.last_number
            for sequence in CaseSequence.objects.filter(site__in=world.site_models)
        }
        plan = _Plan(world, sink, numbers, rng=rng, now=started_at, seed=f"{seed}:{runs}")
        # The rows are plain values without cycles: the cycle collector would only walk them again and again.
        collecting = gc.isenabled()
        gc.disable()
        try:
            _play(
                plan, world, sink, chain, counts=(cases, feedback), years=years, bar=bar, batch=batch, workers=workers
            )
        finally:
            if collecting:
                gc.enable()
        chain.release()
        sink.flush()
        sink.finish()
        bar.update(cases + feedback, force=True)
        phase("rows")
        if feedback:
            # The feedback dashboard sums running tallies that the services keep as answers arrive; these answers
            # came without the services, so the synthetic sites' tallies are counted again from the answers.
            bar.phase("Counting the feedback dashboard's tallies…")
            tallies.rebuild(site_ids=[sw.site_id for sw in world.sites])
            phase("tallies")
        for (site_id, year), number in numbers.items():
            CaseSequence.objects.update_or_create(site_id=site_id, year=year, defaults={"last_number": number})
        if bulk:
            bar.phase("Building the indexes again…")
            generate_sink.bulk_end(definitions)
            phase("indexes")
        bar.phase("Updating the planner's statistics…")
        generate_sink.analyse([m._meta.db_table for m in MODELS])
        phase("statistics")
        # Counted without scanning the big tables: the rows the sink wrote, the audit rows by their gapless seq.
        counts = {table: rows - before[table] for table, rows in _row_counts(_SETUP).items()}
        counts.update(sink.counts())
        assert first.seq is not None  # sealed above
        counts[AuditEvent._meta.db_table] = chain.seq - first.seq + 1
        seconds = round(clock.monotonic() - started, 1)
        GenerationRun.objects.create(
            started_at=started_at,
            finished_at=timezone.now(),
            seed=seed,
            parameters=parameters,
            counts=counts,
            seconds=seconds,
        )
    phase("commit")
    bar.end()
    return GenerateReport(
        counts=counts,
        seconds=round(clock.monotonic() - started, 1),
        sites=[sw.code for sw in world.sites],
        users_created=world.users_created,
        bulk=bulk,
        phases=phases,
    )


def _row_counts(models_: list[type[models.Model]]) -> dict[str, int]:
    return {model._meta.db_table: model._default_manager.count() for model in models_}


def _day_counts(total: int, days: list[date]) -> list[int]:
    """``total`` spread over the days: fewer at weekends, more in winter, a little growth over the years."""
    weights = []
    for n, day in enumerate(days):
        season = 1 + 0.12 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 20) / 365)
        weights.append(_WEEKDAY[day.weekday()] * season * (1 + 0.15 * n / max(len(days), 1)))
    scale = total / sum(weights)
    counts, carried = [], 0.0
    for weight in weights:
        carried += weight * scale
        whole = int(carried + 1e-9)
        counts.append(whole)
        carried -= whole
    counts[-1] += total - sum(counts)
    return counts


def _moment(day: date, sw: SiteWorld, hours: tuple[int, ...], rng: random.Random, now: datetime) -> datetime:
    hour = _pick(rng, _HOUR_TABLES[hours])
    local = datetime.combine(
        day, time(hour, rng.randrange(60), rng.randrange(60), rng.randrange(1_000_000)), tzinfo=sw.zone
    )
    moment = local.astimezone(UTC)
    if moment > now - timedelta(minutes=5):  # today's share of the day has not all happened yet
        moment = now - timedelta(minutes=rng.randint(5, 600), microseconds=rng.randrange(1_000_000))
    return moment


class _Plan:
    """What the main process decides for each day, in order: when each case and answer arrives, at which site,
    with which key and reference, and a block of keys for the day's issues, letters and requests."""

    def __init__(
        self, world: World, sink: Sink, numbers: dict[tuple[int, int], int], *, rng: random.Random, now: datetime,
        seed: str,
    ) -> None:  # fmt: skip
        self.world, self.sink, self.numbers, self.rng, self.now, self.seed = world, sink, numbers, rng, now, seed
        self.site_weights = tuple((n, sw.weight) for n, sw in enumerate(world.sites))

    def day(self, day: date, cases: int, answers: int) -> DayJob:
        rng, now, sites, sink = self.rng, self.now, self.world.sites, self.sink
        arrivals = []
        for _ in range(cases):
            n = _pick(rng, self.site_weights)
            arrivals.append((_moment(day, sites[n], _CASE_HOURS, rng, now), n, True))
        for _ in range(answers):
            n = _pick(rng, self.site_weights)
            arrivals.append((_moment(day, sites[n], _FEEDBACK_HOURS, rng, now), n, False))
        arrivals.sort(key=lambda arrival: arrival[0])
        planned = []
        for moment, n, is_case in arrivals:
            if is_case:
                sw = sites[n]
                year = moment.astimezone(sw.zone).year
                number = self.numbers.get((sw.site_id, year), 0) + 1
                self.numbers[(sw.site_id, year)] = number
                planned.append((moment, n, sink.next_id(Case), f"{sw.code}-{year}-{number:05d}"))
            else:
                planned.append((moment, n, sink.next_id(FeedbackResponse), ""))
        keys = {
            model._meta.label: sink.next_id(model, PER_CASE[model._meta.label] * cases)
            for model in KEYED
            if model._meta.label in PER_CASE
        }
        return DayJob(seed=f"{self.seed}:{day.toordinal()}", arrivals=planned, keys=keys, cases=cases)


def _play(
    plan: _Plan,
    world: World,
    sink: Sink,
    chain: AuditChain,
    *,
    counts: tuple[int, int],
    years: int,
    bar: Progress,
    batch: int,
    workers: int,
) -> None:
    """Day by day, in time order: plan the day, have its stories made (here or by a worker), write its rows."""
    today = plan.now.date()
    days = [today - timedelta(days=n) for n in range(years * 365 - 1, -1, -1)]
    cases, answers = counts
    jobs = (
        (day, plan.day(day, day_cases, day_answers))
        for day, day_cases, day_answers in zip(days, _day_counts(cases, days), _day_counts(answers, days), strict=True)
    )
    done = 0

    def take(day: date, rows: DayRows, arrivals: int) -> None:
        nonlocal done
        for name, table_rows in rows.rows.items():
            sink.by_name[name].waiting.extend(table_rows)
        chain.push_all(rows.audit)
        # No day still to come has a row two days before its own (sites' time zones differ by hours).
        chain.release(datetime.combine(day - timedelta(days=1), time(0), tzinfo=UTC))
        if sink.pending() >= batch:
            sink.flush()
        done += arrivals
        bar.update(done)

    if not workers:
        maker = Maker(world.sites, now=plan.now)
        for day, job in jobs:
            take(day, maker.day(job), len(job.arrivals))
        return
    context = multiprocessing.get_context("spawn")
    start = (settings.SETTINGS_MODULE, pickle.dumps(world.sites), plan.now)
    with context.Pool(workers, initializer=generate_worker.start, initargs=start) as pool:
        waiting: deque[tuple[date, int, Any]] = deque()
        for day, job in jobs:
            waiting.append((day, len(job.arrivals), pool.apply_async(generate_worker.make_day, (job,))))
            if len(waiting) > 2 * workers + 2:  # a few days ahead, no more: memory stays flat
                first, arrivals, result = waiting.popleft()
                take(first, result.get(), arrivals)
        while waiting:
            first, arrivals, result = waiting.popleft()
            take(first, result.get(), arrivals)
