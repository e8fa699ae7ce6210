"""``liaison feedback train|evaluate|tallies|classify``: retrain the theme and sentiment model, measure the
shipped one, check and rebuild the dashboard's tallies, or classify the comments of a CSV file without storing
them.

Subcommands are functions ``handle_<name>(command, options)`` in ``HANDLERS``; another module can add
one (e.g. ``import``) by adding its parser in ``add_arguments`` and its function to the dict.
"""

from __future__ import annotations

import csv
import io
import json
import time
from argparse import SUPPRESS, ArgumentParser
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "nhs_qdc_v6_labelled.csv"
FIT_NOTE = (
    "Scored with the shipped model. If these rows were part of its training data (the shared NHS set is), "
    "this measures fit, not how well it generalises; see docs/feedback-model.md for cross-validated figures."
)


def handle_train(command: BaseCommand, options: dict[str, Any]) -> None:
    from liaison.feedback.analysis.model import WEIGHTS_DIR
    from liaison.feedback.analysis.train import train

    data = Path(options["data"] or DEFAULT_DATA)
    out = Path(options["out"] or WEIGHTS_DIR)
    if not data.exists():
        raise CommandError(f"No training data at {data}.")
    if options["folds"] < 2:
        raise CommandError("--folds needs at least 2.")
    corrections: list[Any] = []
    if options["with_corrections"]:
        from liaison.feedback.corrections import load_corrections

        corrections = list(load_corrections(with_context=True))
        command.stdout.write(f"Including {len(corrections)} officers' corrections.")
    started = time.perf_counter()
    report = None
    if corrections and not options["no_report"]:
        report = _corrections_report(command, data, corrections, folds=options["folds"])
    model = train(data, corrections)
    if report is not None:
        # Kept with the weights, so the dashboard shows what the corrections did for the model in use.
        model.info["corrections_before_after"] = report
    model.save(out)
    command.stdout.write(
        f"Trained on {model.info['rows']} comments from {data.name} in {time.perf_counter() - started:.0f} s; "
        f"saved to {out}."
    )


def _corrections_report(
    command: BaseCommand, data: Path, corrections: list[Any], *, folds: int
) -> dict[str, Any] | None:
    from liaison.feedback import services
    from liaison.feedback.corrections import corrections_before_after

    if len(corrections) < 2:
        command.stdout.write("One correction is too few to measure what corrections change: no before/after report.")
        return None
    folds = min(folds, len(corrections))
    try:
        in_use = services.shipped_model()
    except (OSError, ValueError) as e:
        command.stdout.write(f"The model in use could not be loaded ({e}): no before/after report.")
        return None
    command.stdout.write(
        f"Measuring the corrections' effect: {folds} extra training runs on {data.name}, each holding out a "
        f"{folds}th of the corrections (skip with --no-report)."
    )
    report = corrections_before_after(
        in_use,
        data,
        corrections,
        folds=folds,
        progress=lambda done: command.stderr.write(f"Held-out fold {done} of {folds} done."),
    )
    before, after = report["before"], report["after"]
    command.stdout.write(
        f"Agreement with {report['corrections']} officers' corrections, before → after retraining (held out):"
    )
    command.stdout.write(f"  themes micro F1     {before['theme_micro_f1']:.3f} → {after['theme_micro_f1']:.3f}")
    command.stdout.write(
        f"  sentiment accuracy  {before['sentiment_accuracy']:.3f} → {after['sentiment_accuracy']:.3f} "
        f"({after['sentiment_rows']} with a sentiment)"
    )
    if report["before_model_had_corrections"]:
        command.stdout.write(
            "  Note: the model in use was itself trained with corrections, some perhaps these: 'before' may flatter it."
        )
    return report


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


# -- classify: themes and sentiment for the comments of a CSV file, nothing stored --------------------------------

TEXT_COLUMNS = ("FFT answer", "comment", "Comment", "text")
QUESTION_COLUMNS = ("FFT question",)
SCORE_COLUMNS = ("FFT categorical answer",)
CLASSIFY_BATCH = 2000
# What classify adds to each row. A column of the input with one of these names makes them all "model_…".
ADDED_COLUMNS = ("themes", "sentiment", "confidence", "needs_review", "theme_probabilities")


@dataclass(frozen=True)
class _Input:
    path: Path
    encoding: str
    header: list[str]
    rows: int  # after the header


def _read_input(path: Path) -> _Input:
    """Check the file can be read as CSV and count its rows (one quick pass, nothing kept in memory).

    UTF-8 first (with or without a byte-order mark), then Windows-1252, which is what spreadsheet programs
    on Windows save as "CSV" in Britain.
    """
    if not path.is_file():
        raise CommandError(f"No file at {path}.")
    with path.open("rb") as raw:
        start = raw.read(4096)
    if not start.strip():
        raise CommandError(f"{path.name} is empty.")
    if b"\x00" in start:
        raise CommandError(f"{path.name} is not a text CSV file (UTF-16 or binary?). Save it as CSV UTF-8.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            with path.open(encoding=encoding, newline="") as f:
                reader = csv.reader(f)
                header = next(reader, [])
                rows = sum(1 for _ in reader)
        except UnicodeDecodeError:
            continue
        except csv.Error as e:
            raise CommandError(f"{path.name} is not a CSV file we can read: {e}.") from None
        if not any(name.strip() for name in header):
            raise CommandError(f"{path.name} has no column headings on its first line.")
        return _Input(path, encoding, [name.strip() for name in header], rows)
    raise CommandError(f"{path.name} is neither UTF-8 nor Windows-1252 text. Save it as CSV UTF-8 and try again.")


def _column(header: list[str], named: str | None, candidates: tuple[str, ...], what: str, *, only: bool) -> int | None:
    """The position of the column named on the command line, else of the first candidate present."""
    if named:
        if named not in header:
            raise CommandError(f"No column named “{named}” for the {what}. The columns are: {', '.join(header)}.")
        return header.index(named)
    for name in candidates:
        if name in header:
            return header.index(name)
    if only and len(header) == 1:
        return 0
    return None


def _score(value: str) -> int | None:
    """An FFT score 1–6, or None (empty, not a number, or out of range: read as no score)."""
    try:
        score = int(value.strip())
    except ValueError:
        return None
    return score if 1 <= score <= 6 else None


def _batches(source: _Input, size: int) -> Iterator[list[list[str]]]:
    with source.path.open(encoding=source.encoding, newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        batch: list[list[str]] = []
        for row in reader:
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


def handle_classify(command: BaseCommand, options: dict[str, Any]) -> None:
    """Themes, theme probabilities, sentiment and the model's confidence for each comment of a CSV file.

    Nothing is stored and no database is needed. The file is read twice (once to check and count it, once to
    classify it), a batch at a time, so a file of a million comments never sits in memory.
    """
    from liaison.feedback import services
    from liaison.feedback.analysis.text import Context

    source = _read_input(Path(options["file"]))
    if source.encoding != "utf-8-sig":
        command.stderr.write(f"Note: {source.path.name} is not UTF-8; read it as Windows-1252.")
    header = source.header
    text_at = _column(header, options["text_column"], TEXT_COLUMNS, "comments", only=True)
    if text_at is None:
        raise CommandError(
            f"Which column holds the comments? Name it with --text-column. The columns are: {', '.join(header)}."
        )
    question_at = _column(header, options["question_column"], QUESTION_COLUMNS, "questions", only=False)
    score_at = _column(header, options["score_column"], SCORE_COLUMNS, "FFT scores", only=False)
    out_path = Path(options["out"]) if options["out"] else None
    if out_path is not None and out_path.resolve() == source.path.resolve():
        raise CommandError("--out names the input file: choose another file for the results.")
    clash = any(name in header for name in ADDED_COLUMNS)
    added = [f"model_{name}" if clash else name for name in ADDED_COLUMNS]
    as_json = options["json"]
    batch_size = options["batch_size"]
    if batch_size < 1:
        raise CommandError("--batch-size needs at least 1.")

    try:
        model = services.shipped_model()
    except (OSError, ValueError) as e:
        raise CommandError(f"The feedback model could not be loaded: {e}") from None
    started = time.perf_counter()
    done = flagged = bad_scores = ragged = 0
    target: IO[str] | None = None
    try:
        if out_path is not None:
            try:
                target = out_path.open("w", encoding="utf-8", newline="")
            except OSError as e:
                raise CommandError(f"Cannot write {out_path}: {e.strerror}.") from None

        def emit(chunk: str) -> None:
            if target is not None:
                target.write(chunk)
            else:
                command.stdout.write(chunk, ending="")

        if not as_json:
            buffer = io.StringIO()
            csv.writer(buffer).writerow([*header, *added])
            emit(buffer.getvalue())
        for batch in _batches(source, batch_size):
            cells = []
            for row in batch:
                if len(row) > len(header):
                    ragged += 1
                cells.append((row + [""] * len(header))[: len(header)])
            texts = [row[text_at].strip() for row in cells]
            contexts = []
            for row in cells:
                raw_score = row[score_at] if score_at is not None else ""
                score = _score(raw_score) if raw_score.strip() else None
                bad_scores += bool(raw_score.strip()) and score is None
                contexts.append(Context(question=row[question_at] if question_at is not None else "", fft_score=score))
            wanted = [i for i, text in enumerate(texts) if text]
            predictions = dict(
                zip(wanted, model.predict([texts[i] for i in wanted], [contexts[i] for i in wanted]), strict=True)
            )
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for i, row in enumerate(cells):
                prediction = predictions.get(i)
                flagged += bool(prediction and prediction.needs_review)
                if as_json:
                    line = {
                        "row": done + i + 1,
                        "input": dict(zip(header, row, strict=True)),
                        **_json_fields(prediction),
                    }
                    buffer.write(json.dumps(line, ensure_ascii=False) + "\n")
                else:
                    writer.writerow([*row, *_csv_fields(prediction)])
            emit(buffer.getvalue())
            done += len(batch)
            if source.rows > batch_size:
                rate = done / max(time.perf_counter() - started, 1e-6)
                command.stderr.write(f"{done:,} of {source.rows:,} rows ({rate:,.0f} a second)")
    finally:
        if target is not None:
            target.close()
    where = f"; written to {out_path}" if out_path is not None else ""
    command.stderr.write(
        f"Classified {done:,} rows in {time.perf_counter() - started:.1f} s: {flagged:,} for an officer to check "
        f"(confidence below the model's threshold){where}."
    )
    if bad_scores:
        command.stderr.write(f"Note: {bad_scores:,} FFT scores were not 1–6 and were read as no score.")
    if ragged:
        command.stderr.write(f"Note: {ragged:,} rows had more cells than headings; the extra cells were left out.")


def _csv_fields(prediction: Any) -> list[str]:
    if prediction is None:  # no comment on this row
        return ["", "", "", "", ""]
    return [
        "; ".join(prediction.themes),
        str(prediction.sentiment),
        f"{prediction.confidence:.3f}",
        "yes" if prediction.needs_review else "no",
        json.dumps(prediction.theme_scores, ensure_ascii=False, separators=(",", ":")),
    ]


def _json_fields(prediction: Any) -> dict[str, Any]:
    if prediction is None:
        return dict.fromkeys(ADDED_COLUMNS)
    return {
        "themes": list(prediction.themes),
        "sentiment": prediction.sentiment,
        "confidence": round(float(prediction.confidence), 3),
        "needs_review": bool(prediction.needs_review),
        "theme_probabilities": prediction.theme_scores,
    }


HANDLERS: dict[str, Callable[[BaseCommand, dict[str, Any]], None]] = {
    "train": handle_train,
    "evaluate": handle_evaluate,
    "tallies": handle_tallies,
    "classify": handle_classify,
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
            "--with-corrections",
            action="store_true",
            help="Add officers' corrections; they win over the CSV. Also measures, held out, how far the model "
            "agrees with them before and after (kept in the model's info, shown on the feedback dashboard).",
        )
        train.add_argument(
            "--folds", type=int, default=5, help="Folds of the corrections for the before/after report (default 5)."
        )
        train.add_argument("--no-report", action="store_true", help="Skip the before/after report (saves the runs).")
        evaluate = sub.add_parser(
            "evaluate",
            help="Score the shipped model on a labelled CSV. On the data it was trained on this measures fit, "
            "not generalisation: use bench/feedback_model.py for cross-validated figures.",
        )
        evaluate.add_argument("--data", required=True, help="Labelled CSV in the shared layout.")
        evaluate.add_argument("--json", action="store_true", help="Print one JSON object.")
        counts = sub.add_parser("tallies", help="Check the dashboard's tallies against the answers.")
        counts.add_argument("--rebuild", action="store_true", help="Recount them from the answers.")
        classify = sub.add_parser(
            "classify",
            help="Themes, sentiment and confidence for each comment of a CSV file; nothing is stored.",
        )
        classify.add_argument("file", help="A CSV file with one comment a row and headings on the first line.")
        classify.add_argument(
            "--text-column",
            help=f"The comments' column (default: the first of {', '.join(TEXT_COLUMNS)}, or the only one).",
        )
        classify.add_argument("--question-column", help="The question each comment answers (default: FFT question).")
        classify.add_argument(
            "--score-column", help="The FFT score 1–6 given with it (default: FFT categorical answer)."
        )
        classify.add_argument("--json", action="store_true", help="One JSON object a line instead of CSV.")
        classify.add_argument("--out", help="Write to this file instead of the standard output.")
        classify.add_argument("--batch-size", type=int, default=CLASSIFY_BATCH, help=SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        HANDLERS[options["subcommand"]](self, options)
