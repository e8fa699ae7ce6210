"""The geometry of simple charts drawn as server-side SVG: no JavaScript, prints, and works in PDFs.

Each function returns plain data for ``templates/charts/*.html``; every chart there is drawn beside the
table of the same numbers, so a screen-reader user (and anyone who would rather read) gets them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | int | None
    shown: str  # the value as printed ("12", "<5", "84.0%", "–")
    href: str = ""
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    text_x: float = 0
    text_y: float = 0


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    label_width: int = 0
    # For line charts: the polyline's points, one run per stretch without gaps, and the y-axis ticks.
    runs: list[str] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)
    baseline: float = 0


def horizontal_bars(
    title: str, items: Sequence[tuple[str, float | int | None, str, str]], *, width: int = 640, bar: int = 22
) -> Chart:
    """One bar per (label, value, shown, href), longest for the largest value."""
    label_width = 240
    room = width - label_width - 70
    top = max((v for _, v, _, _ in items if v), default=0) or 1
    bars = []
    for index, (label, value, shown, href) in enumerate(items):
        y = index * (bar + 8)
        length = round(room * (value or 0) / top, 1)
        bars.append(
            Bar(label, value, shown, href, label_width, y, length, bar, label_width + length + 6, y + bar * 0.7)
        )
    return Chart(title, width, max(len(items) * (bar + 8), bar), bars, label_width)


def columns(
    title: str, items: Sequence[tuple[str, float | int | None, str, str]], *, width: int = 640, height: int = 180
) -> Chart:
    """Vertical columns (a month each), labelled underneath, values on top."""
    top = max((v for _, v, _, _ in items if v), default=0) or 1
    step = width / max(len(items), 1)
    bars = []
    for index, (label, value, shown, href) in enumerate(items):
        tall = round((height - 20) * (value or 0) / top, 1)
        x = round(step * index + step * 0.15, 1)
        bars.append(
            Bar(
                label,
                value,
                shown,
                href,
                x,
                height - tall,
                round(step * 0.7, 1),
                tall,
                x + step * 0.35,
                height - tall - 4,
            )
        )
    return Chart(title, width, height, bars, baseline=height)


def percent_line(
    title: str, items: Sequence[tuple[str, float | None, str]], *, width: int = 640, height: int = 160
) -> Chart:
    """Shares (0–100) month by month; a month without a value breaks the line rather than drawing it at 0."""
    step = width / max(len(items), 1)
    bars: list[Bar] = []
    runs: list[str] = []
    current: list[str] = []
    for index, (label, value, shown) in enumerate(items):
        x = round(step * index + step / 2, 1)
        if value is None:
            if current:
                runs.append(" ".join(current))
            current = []
            bars.append(Bar(label, value, shown, "", x, height, 0, 0, x, height))
            continue
        y = round(height - height * value / 100, 1)
        current.append(f"{x},{y}")
        bars.append(Bar(label, value, shown, "", x, y, 0, 0, x, y - 6))
    if current:
        runs.append(" ".join(current))
    ticks = [(round(height - height * p / 100, 1), f"{p}%") for p in (0, 50, 100)]
    return Chart(title, width, height, bars, runs=runs, ticks=ticks, baseline=height)
