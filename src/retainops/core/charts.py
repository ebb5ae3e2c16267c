"""Charts for the whole product: matplotlib, drawn on the server as SVG.

Why matplotlib, and on the server: one library serves every place a chart
appears. A page embeds the SVG inline (no script, so nothing for the
Content-Security-Policy to allow and nothing fetched from a CDN); a PDF
report draws the same SVG; an e-mail attaches the PNG. The library is a
dependency of the project, so it is installed with it and served from it.

An app builds a `Chart` with one of the functions below and hands it to a
template (`{% load charts %}{% chart the_chart %}`), which prints the figure
with its title and, for screen readers and people who would rather read, the
numbers behind it in a table.

Each drawing is cached by its content: a dashboard asked for again draws
nothing new.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# The stylesheet's colours (core/static/retainops/app.css), so a chart reads
# as part of the page: the first series is the accent blue.
PALETTE = ("#2554c7", "#c05621", "#1f8a4c", "#b7791f", "#6b46c1", "#c53030", "#718096")
BAND_COLOURS = {"green": "#1f8a4c", "amber": "#b7791f", "red": "#c53030"}
INK = "#1d2330"
MUTED = "#5d6677"
LINE = "#dde2ea"

_SVG_START = re.compile(r"^.*?(<svg\b)", re.DOTALL)
# matplotlib writes a fixed width and height in points; the page decides the size.
_SVG_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')


@dataclass(frozen=True)
class Series:
    """One line or one set of bars: a name for the legend and its values (None = no value)."""

    name: str
    values: tuple[float | None, ...]

    @classmethod
    def of(cls, name: str, values: Sequence[float | None]) -> Series:
        return cls(name=name, values=tuple(None if v is None else float(v) for v in values))


@dataclass(frozen=True)
class Band:
    """A shaded horizontal range behind a line chart (a target zone, a health band)."""

    low: float
    high: float
    colour: str = "green"


@dataclass(frozen=True)
class Chart:
    """A drawn chart: its SVG, and the table of numbers it shows."""

    kind: str
    title: str
    svg: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = field(default=())
    figure: Figure | None = field(default=None, compare=False, repr=False)

    def png(self, dpi: int = 110) -> bytes:
        """The same chart as a PNG (for e-mail clients and documents that do not take SVG)."""
        if self.figure is None:
            raise ValueError("this chart was built without its figure")
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()


def line_chart(
    *,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    y_label: str = "",
    bands: Sequence[Band] = (),
    y_limits: tuple[float, float] | None = None,
) -> Chart:
    """A trend over time: one line per series, optional shaded bands behind."""
    return _line_chart(title, tuple(x_labels), tuple(series), y_label, tuple(bands), y_limits)


def bar_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    y_label: str = "",
    stacked: bool = False,
) -> Chart:
    """Amounts per category: grouped (or stacked) bars, one colour per series."""
    return _bar_chart(title, tuple(categories), tuple(series), y_label, stacked)


def heat_map(
    *,
    title: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[float]],
    value_label: str = "",
    diverging: bool = True,
) -> Chart:
    """A grid of values (hour by day, say): diverging colours centre on zero."""
    grid = tuple(tuple(float(v) for v in row) for row in values)
    if len(grid) != len(row_labels) or any(len(r) != len(column_labels) for r in grid):
        raise ValueError("heat map values must have one row per row label and one value per column")
    return _heat_map(title, tuple(row_labels), tuple(column_labels), grid, value_label, diverging)


@lru_cache(maxsize=256)
def _line_chart(
    title: str,
    x_labels: tuple[str, ...],
    series: tuple[Series, ...],
    y_label: str,
    bands: tuple[Band, ...],
    y_limits: tuple[float, float] | None,
) -> Chart:
    figure, axes = _figure()
    positions = range(len(x_labels))
    for band in bands:
        axes.axhspan(
            band.low, band.high, color=BAND_COLOURS.get(band.colour, band.colour), alpha=0.08, lw=0
        )
    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        ys = [float("nan") if v is None else v for v in one.values]
        axes.plot(
            positions,
            ys,
            color=colour,
            lw=2,
            marker="o" if len(ys) <= 24 else None,
            ms=3,
            label=one.name,
        )
    _label_x(axes, x_labels)
    if y_limits is not None:
        axes.set_ylim(*y_limits)
    _finish(axes, y_label, legend=len(series) > 1)
    return _drawn("line", title, figure, x_labels, series)


@lru_cache(maxsize=256)
def _bar_chart(
    title: str,
    categories: tuple[str, ...],
    series: tuple[Series, ...],
    y_label: str,
    stacked: bool,
) -> Chart:
    figure, axes = _figure()
    count = max(len(series), 1)
    width = 0.8 if stacked else 0.8 / count
    bottoms = [0.0] * len(categories)
    for index, one in enumerate(series):
        heights = [0.0 if v is None else v for v in one.values]
        xs: list[float]
        if stacked:
            xs = [float(c) for c in range(len(categories))]
            axes.bar(
                xs,
                heights,
                width,
                bottom=bottoms,
                color=PALETTE[index % len(PALETTE)],
                label=one.name,
            )
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        else:
            xs = [c - 0.4 + width * (index + 0.5) for c in range(len(categories))]
            axes.bar(xs, heights, width, color=PALETTE[index % len(PALETTE)], label=one.name)
    _label_x(axes, categories)
    _finish(axes, y_label, legend=len(series) > 1)
    return _drawn("bar", title, figure, categories, series)


@lru_cache(maxsize=64)
def _heat_map(
    title: str,
    row_labels: tuple[str, ...],
    column_labels: tuple[str, ...],
    grid: tuple[tuple[float, ...], ...],
    value_label: str,
    diverging: bool,
) -> Chart:
    figure, axes = _figure(height=max(2.0, 0.32 * len(row_labels) + 1.2))
    flat = [v for row in grid for v in row] or [0.0]
    if diverging:
        reach = max(abs(min(flat)), abs(max(flat)), 1e-9)
        image = axes.imshow(
            grid, aspect="auto", cmap="RdBu", vmin=-reach, vmax=reach, interpolation="nearest"
        )
    else:
        image = axes.imshow(grid, aspect="auto", cmap="Blues", interpolation="nearest")
    axes.set_yticks(range(len(row_labels)), labels=row_labels, fontsize=8)
    _label_x(axes, column_labels)
    colour_bar = figure.colorbar(image, ax=axes, fraction=0.03, pad=0.01)
    colour_bar.set_label(value_label, color=MUTED, fontsize=8)
    colour_bar.ax.tick_params(labelsize=7, colors=MUTED)
    for spine in axes.spines.values():
        spine.set_visible(False)
    columns = ("", *column_labels)
    rows = tuple(
        (label, *(_number(v) for v in row)) for label, row in zip(row_labels, grid, strict=True)
    )
    return _render("heatmap", title, figure, columns, rows)


@lru_cache(maxsize=1)
def _matplotlib() -> ModuleType:
    """matplotlib, loaded on the first chart drawn: it takes about a second to import,
    which every process start (the worker, each management command) would pay."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on a server; must precede any drawing import
    import matplotlib.figure

    return matplotlib


def _figure(height: float = 2.8) -> tuple[Figure, Axes]:
    figure = _matplotlib().figure.Figure(figsize=(7.2, height), dpi=100, layout="constrained")
    axes = figure.subplots()
    axes.set_facecolor("white")
    return figure, axes


def _label_x(axes: Axes, labels: tuple[str, ...]) -> None:
    # At most about a dozen labels fit under a 7-inch chart; thin the rest.
    step = max(1, -(-len(labels) // 12))
    ticks = list(range(0, len(labels), step))
    axes.set_xticks(ticks, labels=[labels[i] for i in ticks], fontsize=8)


def _finish(axes: Axes, y_label: str, *, legend: bool) -> None:
    axes.set_ylabel(y_label, color=MUTED, fontsize=9)
    axes.tick_params(colors=MUTED, labelsize=8)
    axes.grid(axis="y", color=LINE, lw=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(LINE)
    if legend:
        axes.legend(frameon=False, fontsize=8, loc="best")


def _drawn(
    kind: str, title: str, figure: Figure, labels: tuple[str, ...], series: tuple[Series, ...]
) -> Chart:
    columns = ("", *(one.name for one in series))
    rows = tuple(
        (label, *(_number(one.values[i] if i < len(one.values) else None) for one in series))
        for i, label in enumerate(labels)
    )
    return _render(kind, title, figure, columns, rows)


def _render(
    kind: str,
    title: str,
    figure: Figure,
    columns: tuple[str, ...],
    rows: tuple[tuple[str, ...], ...],
) -> Chart:
    buffer = io.StringIO()
    # Text stays text (smaller, selectable); the hash salt keeps ids stable so
    # the same data gives the same bytes.
    with _matplotlib().rc_context({"svg.fonttype": "none", "svg.hashsalt": "retainops"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Title": title})
    svg = _SVG_START.sub(r"\1", buffer.getvalue(), count=1)
    svg = _SVG_SIZE.sub(r'<svg\1 width="100%" preserveAspectRatio="xMidYMid meet"', svg, count=1)
    return Chart(kind=kind, title=title, svg=svg, columns=columns, rows=rows, figure=figure)


def _number(value: float | None) -> str:
    if value is None or value != value:  # None or NaN
        return "\N{EN DASH}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"
