"""The geometry of the small server-rendered charts: counts in, rectangles and axis ticks out.

Pure Python (no Django), so the numbers behind a chart are tested without rendering it; a template
draws the result as SVG (templates/papers/includes/institution_stats.html).
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One series' segment of one column: its rectangle in the chart's coordinates (y grows down)."""

    column: int
    series: int
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Label:
    column: int
    key: object  # the column as given (a month, say), for the template to format
    x: float  # the middle of the column


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    top: float
    bottom: float  # the baseline: y of the value 0
    scale_max: int
    bars: list
    ticks: list
    labels: list


def nice_ceiling(value, *, intervals=4):
    """The smallest axis maximum ≥ value whose `intervals` steps are 1, 2, 2.5 or 5 × 10^k, whole numbers."""
    if value <= 0:
        return intervals
    raw = value / intervals
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = max(1, factor * magnitude)
        if step == int(step) and step * intervals >= value:  # 2.5 only from 25 up: counts are whole
            return int(step * intervals)
    raise AssertionError("unreachable: 10 × magnitude ≥ raw")


def stacked_bars(
    columns, series, counts, *, width=400, height=160, left=30, top=8, bottom=22, gap=0.2, label_every=6
):
    """Stacked bars: one column per entry of `columns`, one segment per entry of `series` with a count.

    `counts` maps (column, series) → count (missing pairs are 0). Segments stack in the order of
    `series` from the baseline up; a column's height is its total on a scale from 0 to
    nice_ceiling(largest total), so the axis reads in round numbers. `gap` is the share of a column's
    slot left empty between bars; every `label_every`-th column gets a label position, from the first.
    """
    plot_width = width - left - 1
    baseline = height - bottom
    plot_height = baseline - top
    totals = [sum(counts.get((c, s), 0) for s in series) for c in columns]
    scale_max = nice_ceiling(max(totals, default=0))
    slot = plot_width / len(columns) if columns else 0
    bar_width = slot * (1 - gap)
    bars, labels = [], []
    for i, column in enumerate(columns):
        x = left + i * slot + (slot - bar_width) / 2
        stacked = 0
        for j, key in enumerate(series):
            count = counts.get((column, key), 0)
            if count <= 0:
                continue
            y_top = baseline - (stacked + count) / scale_max * plot_height
            y_bottom = baseline - stacked / scale_max * plot_height
            bars.append(Bar(i, j, count, _r(x), _r(y_top), _r(bar_width), _r(y_bottom - y_top)))
            stacked += count
        if i % label_every == 0:
            labels.append(Label(i, column, _r(left + i * slot + slot / 2)))
    steps = 4
    ticks = [Tick(scale_max * k // steps, _r(baseline - k / steps * plot_height)) for k in range(steps + 1)]
    return Chart(width, height, left, top, baseline, scale_max, bars, ticks, labels)


def _r(value):
    # One decimal is below a pixel at any size the chart is shown, and keeps the markup short.
    return round(value, 1)
