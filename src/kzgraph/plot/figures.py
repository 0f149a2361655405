"""The figures picture: money, counts and diaspora populations over time.

Drawn from the catalog query ``figures-over-time`` (``readings=all``) and
``plots/conflict-links``.  One panel per kind of amount; targets are hollow stars
joined to the actual value, lower and upper bounds are arrows, and each label gives the
paragraph [P#] and, for populations, the work the article cites.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kzgraph.errors import EmptyPlotError
from kzgraph.plot.output import to_svg
from kzgraph.plot.shared import (
    CONFLICT,
    KEY_GREY,
    KZ,
    LOCK,
    MEASURE_PALETTE,
    NOTE_GREY,
    RC,
    Picture,
    day_of,
    fractional_year,
    plot_queries,
    query_rows,
    text_of,
)
from kzgraph.query import Engine, SavedQuery
from kzgraph.terms import Literal, Term

TITLE = "Kazakhstan–Turkey relations in figures: values, targets and bounds"
PANEL_IN = 4.2  # height of a panel (inches)


@dataclass(frozen=True)
class Figure:
    iri: str
    label: str
    measure: str
    about: str | None
    earliest: _dt.date | None
    latest: _dt.date | None
    value: float
    currency: str | None
    unit: str | None
    status: str  # local name: Actual, Target, LowerBound, UpperBound, Approximate
    period_note: str | None
    locators: tuple[str, ...]
    citations: tuple[str, ...]
    conflicts: bool = False


# --------------------------------------------------------------------------- data


def figures_data(
    engine: Engine, *, queries: Mapping[str, SavedQuery] | None = None
) -> tuple[Figure, ...]:
    """The figures of the picture (rows of ``figures-over-time``, one per figure)."""
    queries = queries or plot_queries()
    rows = query_rows(engine, queries, "figures-over-time", [("readings", "all")])
    conflicted = {
        text_of(r, "claim") for r in query_rows(engine, queries, "plots/conflict-links")
    } | {text_of(r, "other") for r in query_rows(engine, queries, "plots/conflict-links")}
    grouped: dict[str, list[dict[str, Term]]] = {}
    for r in rows:
        iri = text_of(r, "figure")
        if iri:
            grouped.setdefault(iri, []).append(r)
    out = []
    for iri, group in grouped.items():
        figure = _figure(iri, group, iri in conflicted)
        if figure is not None:
            out.append(figure)
    if not out:
        raise EmptyPlotError("no economic or population figures in the graph")
    return tuple(out)


def _figure(iri: str, group: list[dict[str, Term]], conflicts: bool) -> Figure | None:
    """The figure of one IRI's rows (one per locator and cited work); None without a value."""
    r = group[0]
    value = r.get("value")
    if not isinstance(value, Literal):
        return None
    locators = sorted(
        {locator for g in group if (locator := text_of(g, "locator"))},
        key=lambda s: int(s[1:]) if s[1:].isdigit() else 0,
    )
    return Figure(
        iri=iri,
        label=text_of(r, "figureLabel") or iri,
        measure=text_of(r, "measureLabel") or "?",
        about=text_of(r, "aboutLabel"),
        earliest=day_of(text_of(r, "earliest")),
        latest=day_of(text_of(r, "latest")),
        value=float(value.value),
        currency=text_of(r, "currency"),
        unit=text_of(r, "unit"),
        status=(text_of(r, "status") or KZ + "Actual").rsplit("#", 1)[-1],
        period_note=text_of(r, "periodNote"),
        locators=tuple(x for x in locators if x),
        citations=tuple(sorted({c for g in group if (c := text_of(g, "citationLabel"))})),
        conflicts=conflicts,
    )


_STATUS_TEXT = {
    "Actual": "",
    "Target": "target",
    "LowerBound": "more than",
    "UpperBound": "at most",
    "Approximate": "about",
}


def _amount(f: Figure) -> str:
    v = f.value
    if f.currency == "USD":
        text = f"US${v / 1e9:g} bn" if v >= 1e9 else f"US${v / 1e6:g} m"
    else:
        text = f"{v:,.0f}"
    prefix = {"LowerBound": "> ", "UpperBound": "≤ ", "Approximate": "≈ "}.get(f.status, "")
    return prefix + text


def figures_figure(engine: Engine, *, queries: Mapping[str, SavedQuery] | None = None) -> Picture:
    """Money, counts and diaspora populations over time, targets and bounds marked."""
    return draw_figures(figures_data(engine, queries=queries))


def figures_svg(engine: Engine, *, queries: Mapping[str, SavedQuery] | None = None) -> str:
    """The figures picture as SVG text."""
    return to_svg(figures_figure(engine, queries=queries))


# --------------------------------------------------------------------------- drawing


@dataclass(frozen=True)
class _Panel:
    """One panel's axes and what it needs to place a figure on them."""

    ax: Any
    key: str  # "money", "count" or "population"
    items: Sequence[Figure]
    lo: float  # x limits (years)
    hi: float
    scale: float  # the value of one y unit
    top: float  # the largest value in y units

    def bound_ends(self, v: float) -> tuple[float, float]:
        """Where a lower bound's arrow ends above ``v``, an upper bound's below it."""
        if self.key != "money":
            return v * 1.6, v / 1.6
        return v + self.top * 0.18, v - self.top * 0.18


def _panels(figures: Sequence[Figure]) -> list[tuple[str, str, list[Figure]]]:
    """The panels that have figures: (key, heading, figures)."""
    panels = [
        ("money", "Money (US$ billion)", [f for f in figures if f.currency == "USD"]),
        (
            "count",
            "Companies, enterprises, joint ventures (count, log scale)",
            [f for f in figures if f.currency != "USD" and f.measure != "population"],
        ),
        (
            "population",
            "Diaspora population (people, log scale)",
            [f for f in figures if f.measure == "population"],
        ),
    ]
    return [p for p in panels if p[2]]


def draw_figures(figures: Sequence[Figure], *, title: str | None = None) -> Picture:
    """The figures picture: a panel per kind of amount, a legend of measures, a key."""
    import matplotlib
    from matplotlib.figure import Figure as MplFigure

    title = title or TITLE
    panels = _panels(figures)
    measures = sorted({f.measure for f in figures})
    colour = {m: MEASURE_PALETTE[i % len(MEASURE_PALETTE)] for i, m in enumerate(measures)}
    tall = PANEL_IN * len(panels) + 1
    with LOCK, matplotlib.rc_context(RC):
        fig = MplFigure(figsize=(13, PANEL_IN * len(panels) + 1.0), dpi=72)
        picture = Picture(fig, title)
        fig.suptitle(title, x=0.06, ha="left", fontweight="bold", fontsize=12)
        grid = fig.add_gridspec(
            len(panels),
            1,
            left=0.06,
            right=0.74,
            top=1 - 0.7 / tall,
            bottom=0.8 / tall,
            hspace=0.38,
        )
        n_mark = 0
        for row, (key, heading, items) in enumerate(panels):
            panel = _panel_axes(fig.add_subplot(grid[row]), key, heading, items)
            targets: dict[str, list[tuple[float, float]]] = defaultdict(list)
            for f in sorted(items, key=lambda f: (f.measure, f.earliest or _dt.date.max, f.iri)):
                xm, v = _draw_figure(panel, picture, n_mark, f, colour[f.measure])
                n_mark += 1
                if f.status in ("Target", "Actual"):
                    targets[f.measure].append((xm, v))
            _draw_target_lines(panel, targets, colour)
            _draw_measure_legend(panel, colour)
        _draw_figures_key(fig)
    return picture


def _panel_axes(ax: Any, key: str, heading: str, items: Sequence[Figure]) -> _Panel:
    """Set up a panel's axes: its heading, grid, scale and limits."""
    from matplotlib.ticker import FormatStrFormatter, MaxNLocator

    ax.set_title(heading, loc="left", fontsize=10)
    ax.grid(axis="y", color="#E0E0E0", lw=0.6)
    ax.set_axisbelow(True)
    scale = 1e9 if key == "money" else 1.0
    if key != "money":
        ax.set_yscale("log")
    dated = [f for f in items if f.earliest or f.latest]
    years = [fractional_year(d) for f in dated for d in (f.earliest, f.latest) if d]
    lo, hi = math.floor(min(years)) - 1, math.ceil(max(years)) + 1
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%d"))
    values = [f.value / scale for f in items]
    if key == "money":
        ax.set_ylim(0, max(values) * 1.35)
    else:
        ax.set_ylim(min(values) / 3, max(values) * 4)
    return _Panel(ax, key, items, lo, hi, scale, max(values))


def _figure_tip(f: Figure) -> tuple[str, str]:
    """The CSS classes and the tooltip of a figure's mark."""
    sources = "; ".join(f.citations) or "the article"
    where = ", ".join(f.locators)
    tip = (
        f"{f.label}\n{f.measure}: {_amount(f)}"
        f"{' (' + _STATUS_TEXT[f.status] + ')' if _STATUS_TEXT.get(f.status) else ''}"
        f"\n{f.period_note or ''}\nSource: {sources} [{where}]"
    ).replace("\n\n", "\n")
    css = f"kz-figure kz-{f.status.lower()}" + (" kz-conflict" if f.conflicts else "")
    return css, tip


def _draw_figure(
    panel: _Panel, picture: Picture, n_mark: int, f: Figure, c: str
) -> tuple[float, float]:
    """One figure: its mark with the period as error bars, its arrows and its label.
    Returns where the mark is (x in years, y in the panel's units)."""
    ax, lo, hi = panel.ax, panel.lo, panel.hi
    v = f.value / panel.scale
    x0 = fractional_year(f.earliest) if f.earliest else None
    x1 = fractional_year(f.latest + _dt.timedelta(days=1)) if f.latest else None
    xm = (x0 + x1) / 2 if x0 is not None and x1 is not None else (x0 or x1 or hi)
    css, tip = _figure_tip(f)
    gid = picture.mark(f"kz-figure-{n_mark}", css, tip, f.iri)
    target = f.status == "Target"
    xerr = None
    if x0 is not None and x1 is not None:
        xerr = [[xm - x0], [x1 - xm]]
    container = ax.errorbar(
        [xm],
        [v],
        xerr=xerr,
        fmt="*" if target else "o",
        markersize=11 if target else 7,
        color=c,
        markerfacecolor="white" if target else c,
        markeredgecolor=CONFLICT if f.conflicts else c,
        markeredgewidth=1.6,
        capsize=4,
        elinewidth=1.4,
        linestyle="none",
        zorder=3,
    )
    container.lines[0].set_gid(gid)
    container.lines[0].set_url(f.iri)
    if x0 is None and x1 is not None:  # only a latest date: "by then"
        ax.annotate(
            "",
            xy=(x1 - (hi - lo) * 0.06, v),
            xytext=(x1, v),
            arrowprops={"arrowstyle": "->", "color": c, "lw": 1.3, "linestyle": "--"},
            zorder=2,
        )
    if f.status in ("LowerBound", "UpperBound"):
        _draw_bound(panel, f.status == "LowerBound", xm, v, c)
    _draw_figure_label(panel, f, xm, v)
    return xm, v


def _draw_bound(panel: _Panel, up: bool, xm: float, v: float, c: str) -> None:
    """A bound: an arrow up (more than) or down (at most) from a short bar at the value."""
    top, bottom = panel.bound_ends(v)
    ax, span = panel.ax, panel.hi - panel.lo
    ax.annotate(
        "",
        xy=(xm, top if up else bottom),
        xytext=(xm, v),
        arrowprops={"arrowstyle": "-|>", "color": c, "lw": 1.6, "mutation_scale": 12},
        zorder=2,
    )
    ax.plot([xm - span * 0.012, xm + span * 0.012], [v, v], color=c, lw=2.4, zorder=3)


def _draw_figure_label(panel: _Panel, f: Figure, xm: float, v: float) -> None:
    """The amount and its [P#] beside the mark (populations: what and who counted)."""
    lo, hi = panel.lo, panel.hi
    sources = "; ".join(f.citations) or "the article"
    where = ", ".join(f.locators)
    text = _amount(f)
    if f.status == "Target":
        text = f"target {text}"
    if panel.key == "population":
        text = f"{f.about or f.measure}: {text}\n{sources} [{where}]"
    else:
        text = f"{text} [{where}]"
    dy = 10 if f.status != "UpperBound" else -22
    left = xm < (lo + hi) / 2 + (hi - lo) * 0.25
    panel.ax.annotate(
        text,
        xy=(xm, v),
        xytext=(9 if left else -9, dy),
        textcoords="offset points",
        fontsize=7.5,
        color="#202020",
        va="bottom",
        ha="left" if left else "right",
    )


def _draw_target_lines(
    panel: _Panel, targets: Mapping[str, list[tuple[float, float]]], colour: Mapping[str, str]
) -> None:
    """A dashed line from the actual value to the target, per measure that has a target."""
    for m, pts in targets.items():
        has_target = any(f.status == "Target" and f.measure == m for f in panel.items)
        if has_target and len(pts) > 1:
            pts = sorted(pts)
            panel.ax.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                linestyle="--",
                color=colour[m],
                lw=1,
                alpha=0.7,
                zorder=1,
            )


def _draw_measure_legend(panel: _Panel, colour: Mapping[str, str]) -> None:
    """The panel's measures, right of it."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", color=colour[m], linestyle="none", label=m)
        for m in sorted({f.measure for f in panel.items})
    ]
    panel.ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=8,
        title="Measure",
        title_fontsize=8,
        alignment="left",
    )


def _draw_figures_key(fig: Any) -> None:
    """How to read the marks, and the source line."""
    from matplotlib.lines import Line2D

    def key(label: str, marker: str, **style: Any) -> Any:
        return Line2D([], [], marker=marker, color=KEY_GREY, label=label, **style)

    key_handles = [
        key("actual value", "o", linestyle="none"),
        key(
            "target (dashed from the actual value)",
            "*",
            markerfacecolor="white",
            markersize=11,
            linestyle="--",
        ),
        key("lower bound: more than", "$↑$", linestyle="none", markersize=10),
        key("upper bound: at most", "$↓$", linestyle="none", markersize=10),
        key("period the figure refers to (earliest–latest)", "|", linestyle="-", markersize=8),
        Line2D(
            [],
            [],
            marker="o",
            color="white",
            markeredgecolor=CONFLICT,
            linestyle="none",
            markeredgewidth=1.6,
            label="part of a conflict",
        ),
    ]
    fig.legend(
        handles=key_handles,
        loc="lower right",
        bbox_to_anchor=(0.99, 0.04),
        frameon=False,
        fontsize=8,
        title="How to read",
        title_fontsize=9,
        alignment="left",
    )
    fig.text(
        0.06,
        0.012,
        "Source: kzgraph, saved query 'figures-over-time'; labels give the "
        "paragraph [P#] and the work the article cites.",
        fontsize=7.5,
        color=NOTE_GREY,
    )
