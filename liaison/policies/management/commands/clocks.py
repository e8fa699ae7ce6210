"""``liaison clocks``: show the deadlines a policy pack sets for a case, without touching the database.

    liaison clocks --pack england_nhs --type complaint --received 2026-03-27T23:30
    liaison clocks --pack us_cms --type complaint --channel phone --received now --json

A received time without a UTC offset is read in the zone (the pack's default unless --zone is given).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from liaison.policies.base import CASE_TYPES, CHANNELS, TOPICS, CaseFacts
from liaison.policies.registry import PACKS, get_pack

FLAGS = (
    "resolved_at_time_by_staff_present",
    "postponed",
    "referred",
    "requires_investigation",
    "requires_further_action",
    "requested_formal_or_response",
    "medicare_beneficiary",
)


class Command(BaseCommand):
    help = "Show the clocks (deadlines), classification and time limit that a policy pack gives a case."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--pack", required=True, choices=list(PACKS), help="Policy pack key.")
        parser.add_argument("--type", required=True, choices=CASE_TYPES, dest="case_type", help="Case type.")
        parser.add_argument(
            "--received",
            required=True,
            help="When the case was received: an ISO 8601 date-time (read in the zone if it has no offset) or 'now'.",
        )
        parser.add_argument("--channel", default="other", choices=CHANNELS, help="How it came in (default: other).")
        parser.add_argument("--event-date", help="When the matter happened (YYYY-MM-DD).")
        parser.add_argument("--awareness-date", help="When the complainant learnt of it (YYYY-MM-DD).")
        parser.add_argument("--topic", action="append", default=[], choices=sorted(TOPICS), help="Repeatable.")
        parser.add_argument(
            "--flag", action="append", default=[], choices=FLAGS, help="A fact that is true; repeatable."
        )
        parser.add_argument("--zone", help="IANA time zone of the site (default: the pack's, e.g. Europe/London).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")

    def handle(self, *args: Any, **options: Any) -> None:
        pack = get_pack(options["pack"])
        zone = _zone(options["zone"] or pack.default_zone)
        received = _received(options["received"], zone)
        flags: dict[str, Any] = dict.fromkeys(options["flag"], True)
        try:
            facts = CaseFacts(
                case_type=options["case_type"],
                channel=options["channel"],
                received_at=received,
                event_date=_date("--event-date", options["event_date"]),
                awareness_date=_date("--awareness-date", options["awareness_date"]),
                topics=frozenset(options["topic"]),
                **flags,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        classification = pack.classify(facts)
        clocks = pack.clocks(facts, zone)
        time_limit = pack.time_limit(facts, zone)

        if options["json"]:
            limit = asdict(time_limit)
            limit["limit_date"] = time_limit.limit_date.isoformat() if time_limit.limit_date else None
            payload = {
                "pack": pack.key,
                "type": facts.case_type,
                "received": received.isoformat(),
                "zone": zone.key,
                "classification": {
                    "case_type": classification.case_type,
                    "is_grievance": classification.is_grievance,
                    "reasons": list(classification.reasons),
                    "rule_ids": list(classification.rule_ids),
                },
                "clocks": [
                    {
                        "key": clock.key,
                        "name": clock.name,
                        "due": clock.due.isoformat(),
                        "rule": clock.rule,
                        "rule_id": clock.rule_id,
                        "source": clock.source,
                    }
                    for clock in clocks
                ],
                "time_limit": limit,
            }
            self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False))
            return

        lines = [
            f"{pack.name}: {facts.case_type} by {facts.channel.replace('_', ' ')}, received {_show(received)}",
            f"Classification: {classification.case_type}" + (" (grievance)" if classification.is_grievance else ""),
            *(f"  - {reason}" for reason in classification.reasons),
            "",
        ]
        if not clocks:
            lines.append("No clocks apply.")
        for clock in clocks:
            lines += [
                f"{clock.name}: due {_show(clock.due)}",
                f"  {clock.rule}",
                f"  {clock.rule_id}, {clock.source}",
            ]
        lines += ["", f"Time limit{f' ({time_limit.rule_id})' if time_limit.rule_id else ''}: {time_limit.rule}"]
        if time_limit.needs_decision:
            lines.append(
                "  Out of time: record whether there was good reason and a fair investigation is still possible."
            )
        self.stdout.write("\n".join(lines))


def _show(moment: datetime) -> str:
    return f"{moment:%a %d %b %Y %H:%M} {moment.tzname()} (UTC{moment:%z})"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CommandError(f"--zone {name!r} is not a known IANA time zone, such as Europe/London.") from exc


def _received(text: str, zone: ZoneInfo) -> datetime:
    if text.strip().lower() == "now":
        return timezone.now().astimezone(zone)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CommandError(
            f"--received {text!r} is not an ISO 8601 date-time; write it like 2026-03-27T23:30 or "
            "2026-03-27T23:30+00:00."
        ) from exc
    if value.utcoffset() is not None:
        return value.astimezone(zone)
    local = value.replace(tzinfo=zone)
    # A wall-clock time skipped when the clocks go forward does not exist: refuse it rather than guess.
    if local.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != value:
        raise CommandError(
            f"--received {text!r} does not exist in {zone.key} (the clocks went forward); give a UTC offset."
        )
    return local


def _date(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{option} {text!r} is not a date; write it like 2026-03-27.") from exc
