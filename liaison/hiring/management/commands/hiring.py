"""``liaison hiring``: measure and retrain the practice-feedback models.

liaison hiring evaluate [--data FILE.csv] [--json] [--folds N]
liaison hiring train
liaison hiring purge     (delete candidates past their vacancy's retention date; run daily)
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liaison.hiring.analysis import evaluate, train
from liaison.hiring.data import HiringDataError


class Command(BaseCommand):
    help = (
        "Hiring practice models. 'evaluate' cross-validates the STAR tagger and the competency detector "
        "(or tests the tagger on your own sentence,part CSV with --data); 'train' rebuilds the shipped weights."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        evaluate_parser = sub.add_parser("evaluate", help="Print precision, recall and F1 of the feedback models.")
        evaluate_parser.add_argument(
            "--data",
            metavar="FILE.csv",
            help="A CSV with the columns sentence,part (part: situation, task, action, result or none) and "
            "optionally answer; the tagger is trained on the shipped sentences and tested on this file.",
        )
        evaluate_parser.add_argument("--json", action="store_true", help="Print the metrics as JSON.")
        evaluate_parser.add_argument("--folds", type=int, default=5, help="Cross-validation folds (default 5).")
        sub.add_parser("train", help="Rebuild star_model and competency_model from the labelled data files.")
        sub.add_parser("purge", help="Delete candidates whose vacancy's retention date has passed.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "purge":
            from liaison.hiring.panels import candidates_purge

            self.stdout.write(f"Candidates deleted after their retention date: {candidates_purge()}.")
            return
        try:
            if options["subcommand"] == "train":
                for name, written in train().items():
                    self.stdout.write(f"{name}: wrote {written}")
                return
            data = Path(options["data"]) if options.get("data") else None
            if data is not None and not data.is_file():
                raise CommandError(f"--data: {data} is not a file.")
            report = evaluate(data, folds=options["folds"])
        except HiringDataError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(_as_text(report))


def _as_text(report: dict[str, Any]) -> str:
    star, competencies = report["star"], report["competencies"]
    lines = [
        f"STAR tagger: {star['method']}",
        f"  data: {star['data']}",
        f"  validation: {star['validation']}",
        f"  decoding: {star['decoding']}",
        f"  {'part':<12}{'precision':>10}{'recall':>8}{'f1':>7}{'support':>9}",
    ]
    for part, m in star["per_part"].items():
        lines.append(f"  {part:<12}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>7.3f}{m['support']:>9}")
    verdict = "meets" if star["meets_target"] else "does not meet"
    lines.append(f"  macro F1 {star['macro_f1']:.3f} ({verdict} the {star['target_macro_f1']:.2f} target)")
    if "sentence_only" in star:
        lines.append(f"  macro F1 reading each sentence on its own: {star['sentence_only']['macro_f1']:.3f}")
    lines += [
        f"Competency detector: {competencies['method']}",
        f"  data: {competencies['data']}",
        f"  validation: {competencies['validation']}",
        f"  macro F1 {competencies['macro_f1']:.3f}, micro F1 {competencies['micro_f1']:.3f}",
        "Speed (ms per answer): " + ", ".join(f"{name} {ms}" for name, ms in report["speed"]["ms_per_answer"].items()),
    ]
    return "\n".join(lines)
