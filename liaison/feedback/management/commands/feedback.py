"""``liaison feedback train|evaluate|tallies``: retrain the theme and sentiment model, measure the shipped one,
or check and rebuild the dashboard's tallies.

Subcommands are functions ``handle_<name>(command, options)`` in ``HANDLERS``; another module can add
one (e.g. ``import``) by adding its parser in ``add_arguments`` and its function to the dict.
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "nhs_qdc_v6_labelled.csv"
FIT_NOTE = (
    "Scored with the shipped model. If these rows were part of its training data (the shared NHS set is), "
    "this measures fit, not how well it generalises; see docs/feedback-model.md for cross-validated figures."
)


def _corrections(command: BaseCommand) -> Iterable[Any]:
    try:
        from liaison.feedback.corrections import load_corrections  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        command.stdout.write("No officers' corrections yet (liaison.feedback.corrections is missing): skipped.")
        return ()
    corrections = list(load_corrections())
    command.stdout.write(f"Including {len(corrections)} officers' corrections.")
    return corrections


def handle_train(command: BaseCommand, options: dict[str, Any]) -> None:
    from liaison.feedback.analysis.model import WEIGHTS_DIR
    from liaison.feedback.analysis.train import train

    data = Path(options["data"] or DEFAULT_DATA)
    out = Path(options["out"] or WEIGHTS_DIR)
    if not data.exists():
        raise CommandError(f"No training data at {data}.")
    corrections = _corrections(command) if options["with_corrections"] else ()
    started = time.perf_counter()
    model = train(data, corrections)
    model.save(out)
    command.stdout.write(
        f"Trained on {model.info['rows']} comments from {data.name} in {time.perf_counter() - started:.0f} s; "
        f"saved to {out}."
    )


def handle_evaluate(command: BaseCommand, options: dict[str, Any]) -> None:
    from liaison.feedback.analysis.evaluate import evaluate
    from liaison.feedback.analysis.model import FeedbackModel

    data = Path(options["data"])
    if not data.exists():
        raise CommandError(f"No file at {data}.")
    try:
        result = evaluate(FeedbackModel.load(), data)
    except ValueError as e:
        raise CommandError(str(e)) from e
    result["note"] = FIT_NOTE
    if options["json"]:
        command.stdout.write(json.dumps(result, indent=2))
        return
    command.stdout.write(
        f"{result['rows']} comments. Themes: macro F1 {result['theme_macro_f1']:.3f}, "
        f"micro F1 {result['theme_micro_f1']:.3f}. Sentiment ({result['sentiment_rows']} labelled): "
        f"accuracy {result['sentiment_accuracy']:.3f}, macro F1 {result['sentiment_macro_f1']:.3f}. "
        f"Speed: {result['comments_per_second']:.0f} comments/s."
    )
    command.stdout.write(f"{'Theme':<60} {'Prec':>6} {'Recall':>6} {'F1':>6} {'Support':>7}")
    for row in result["per_label"]:
        command.stdout.write(
            f"{row['label']:<60} {row['precision']:>6.3f} {row['recall']:>6.3f} {row['f1']:>6.3f} {row['support']:>7}"
        )
    command.stdout.write(f"Note: {FIT_NOTE}")


def handle_tallies(command: BaseCommand, options: dict[str, Any]) -> None:
    """Compare the dashboard's tallies with a recount from the answers; ``--rebuild`` recounts them."""
    from liaison.feedback import tallies

    if options["rebuild"]:
        rows = tallies.rebuild()
        command.stdout.write(f"Recounted the feedback dashboard's tallies from the answers: {rows} rows.")
        return
    differences = tallies.verify()
    if differences:
        for line in differences[:20]:
            command.stdout.write(line)
        raise CommandError(
            f"{len(differences)} tallies differ from a recount; `liaison feedback tallies --rebuild` recounts them."
        )
    command.stdout.write("The feedback dashboard's tallies agree with the answers.")


HANDLERS: dict[str, Callable[[BaseCommand, dict[str, Any]], None]] = {
    "train": handle_train,
    "evaluate": handle_evaluate,
    "tallies": handle_tallies,
}


class Command(BaseCommand):
    help = (
        "Feedback text analysis. 'train' retrains the theme and sentiment model from a labelled CSV; "
        "'evaluate' scores the shipped model on a labelled CSV (on its own training data that measures fit, "
        "not generalisation)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        train = sub.add_parser("train", help="Retrain the model and write its weights (.npz + .json).")
        train.add_argument("--data", help=f"Labelled CSV in the shared layout (default: {DEFAULT_DATA}).")
        train.add_argument("--out", help="Folder for model.npz and model.json (default: the shipped weights).")
        train.add_argument(
            "--with-corrections", action="store_true", help="Add officers' corrections; they win over the CSV."
        )
        evaluate = sub.add_parser(
            "evaluate",
            help="Score the shipped model on a labelled CSV. On the data it was trained on this measures fit, "
            "not generalisation: use bench/feedback_model.py for cross-validated figures.",
        )
        evaluate.add_argument("--data", required=True, help="Labelled CSV in the shared layout.")
        evaluate.add_argument("--json", action="store_true", help="Print one JSON object.")
        counts = sub.add_parser("tallies", help="Check the dashboard's tallies against the answers.")
        counts.add_argument("--rebuild", action="store_true", help="Recount them from the answers.")

    def handle(self, *args: Any, **options: Any) -> None:
        HANDLERS[options["subcommand"]](self, options)
