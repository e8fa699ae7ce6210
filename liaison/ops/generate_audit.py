"""The synthetic audit trail: rows from every day's stories, chained in time order after the trail's head.

Each row's hash is SHA-256 over its canonical form (``AuditEvent.canonical``: sorted keys, no spaces, UTF-8)
and the previous row's hash, exactly as ``audit.services.audit_record`` chains a row, so ``liaison audit
verify`` accepts the trail. The canonical form is written directly here, because building a dict and a JSON
encoder for each of millions of rows would cost more than all the rest; the first 500 rows of a run, and one
in 1009 after, are checked against ``AuditEvent.canonical`` itself, and a difference stops the run.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, cast

from liaison.audit.models import AuditEvent
from liaison.ops.generate_sink import Sink, json_encoder
from liaison.ops.generate_world import Person

# The columns of an audit row as the generator gives them (checked against the model at start).
AUDIT_COLUMNS = (
    "seq", "occurred_at", "actor_id", "actor_email", "action", "object_type", "object_id", "site_id",
    "ip_address", "user_agent", "details", "prev_hash", "hash",
)  # fmt: skip

_text = json.encoder.encode_basestring
encode_details = json_encoder(sort_keys=True)  # details as the canonical form writes them


def _number(value: int | None) -> str:
    return "null" if value is None else str(value)


def _moment_of(row: tuple[Any, ...]) -> datetime:
    moment: datetime = row[0]
    return moment


class _Fields:
    """The attributes ``AuditEvent.canonical`` reads, to check a row against it without a model instance."""

    __slots__ = (
        "action", "actor_email", "actor_id", "details", "ip_address", "object_id", "object_type",
        "occurred_at", "prev_hash", "seq", "site_id", "user_agent",
    )  # fmt: skip
    action: str
    actor_email: str
    actor_id: int | None
    details: dict[str, Any]
    ip_address: str | None
    object_id: str
    object_type: str
    occurred_at: datetime
    prev_hash: str
    seq: int
    site_id: int | None
    user_agent: str


class AuditChain:
    """Audit rows waiting, by day; ``release`` hashes the days before a moment into the chain in time order.

    A day is sorted when it is released (rows of the same moment keep the order they came in), which costs
    far less than keeping millions of rows in a heap. Every moment is in UTC, so a day is a UTC date.
    A row is ``(moment, actor id or None, action, object type, object id, site id, details as encoded)``.
    """

    def __init__(self, sink: Sink, people: dict[int, Person], *, seq: int, prev_hash: str) -> None:
        table = sink.table(AuditEvent)
        self._converting = table.expect(AUDIT_COLUMNS, encoded=("details",))
        self._add = table.waiting.append
        self.people = people
        self.seq = seq
        self.prev_hash = prev_hash
        self._days: dict[int, list[tuple[Any, ...]]] = {}
        self._first_day: int | None = None  # the earliest day still waiting
        self._released_to = 0  # every day before this one was released
        self._fields = _Fields()
        self._actors: dict[int | None, tuple[Any, ...]] = {}
        self._sites: dict[int | None, str] = {}
        self._checked_until = seq + 500

    def push_all(self, rows: list[tuple[Any, ...]]) -> None:
        days = self._days
        for row in rows:
            day = row[0].toordinal()
            waiting = days.get(day)
            if waiting is None:
                if day < self._released_to:
                    raise RuntimeError(f"an audit row of {row[0]:%Y-%m-%d} came after that day was chained")
                waiting = days[day] = []
                if self._first_day is None or day < self._first_day:
                    self._first_day = day
            waiting.append(row)

    def release(self, before: datetime | None = None) -> None:
        """Chain every row of the days before ``before``'s day (all of them when ``before`` is None)."""
        if self._first_day is None:
            return
        end = before.toordinal() if before is not None else max(self._days) + 1
        if self._first_day >= end:
            return
        for day in range(self._first_day, end):
            rows = self._days.pop(day, None)
            if rows:
                rows.sort(key=_moment_of)
                self._chain(rows)
        self._released_to = end
        self._first_day = min(self._days, default=None)

    def _parts(self, actor_id: int | None) -> tuple[Any, ...]:
        """An actor's pieces of the canonical form, worked out once: (who, where from, browser, and the values)."""
        found = self._actors.get(actor_id)
        if found is None:
            person = self.people[actor_id] if actor_id is not None else None
            email, ip, agent = (person.email, person.ip, person.agent) if person else ("", None, "")
            found = self._actors[actor_id] = (
                f'"actor_email":{_text(email)},"actor_id":{_number(actor_id)},',
                f'"ip_address":{_text(ip) if ip is not None else "null"},',
                f'"user_agent":{_text(agent)}}}',
                email, ip, agent,
            )  # fmt: skip
        return found

    def _chain(self, rows: list[tuple[Any, ...]]) -> None:
        add, sha256, parts, sites = self._add, hashlib.sha256, self._parts, self._sites
        converting = self._converting
        for when, actor_id, action, object_type, object_id, site_id, details in rows:
            self.seq += 1
            seq, prev = self.seq, self.prev_hash
            who, where, browser, email, ip, agent = parts(actor_id)
            site = sites.get(site_id) or sites.setdefault(site_id, _number(site_id))
            oid = str(object_id)
            canonical = (
                f'{{"action":{_text(action)},{who}"details":{details},{where}"object_id":"{oid}",'
                f'"object_type":{_text(object_type)},"occurred_at":"{when.isoformat(timespec="microseconds")}",'
                f'"prev_hash":"{prev}","seq":{seq},"site_id":{site},{browser}'
            ).encode()
            if seq <= self._checked_until or seq % 1009 == 0:
                self._check(
                    canonical, seq, when, actor_id, email, action, object_type, oid, site_id, ip, agent, details
                )
            digest = sha256(canonical).hexdigest()
            values = [seq, when, actor_id, email, action, object_type, oid, site_id, ip, agent, details, prev, digest]
            for n, convert in converting:  # SQLite only: its dates are text
                values[n] = convert(values[n])
            add(values)
            self.prev_hash = digest

    def _check(self, canonical: bytes, *values: Any) -> None:
        """The bytes hashed here must be exactly those ``AuditEvent.canonical`` gives, or verify would fail."""
        fields = self._fields
        fields.seq, fields.occurred_at, fields.actor_id, fields.actor_email, fields.action = values[:5]
        fields.object_type, fields.object_id, fields.site_id, fields.ip_address, fields.user_agent = values[5:10]
        fields.details, fields.prev_hash = json.loads(values[10]), self.prev_hash
        if AuditEvent.canonical(cast(AuditEvent, fields)) != canonical:
            raise RuntimeError("the generator no longer writes audit rows as AuditEvent.canonical does: update it")
