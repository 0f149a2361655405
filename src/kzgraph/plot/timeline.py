"""The timeline picture: every dated event and document on one time axis, in lanes by kind.

Drawn from the catalog query ``timeline`` (``readings=all``, so deprecated readings are
drawn, faded), ``plots/timeline-lanes`` (the lane of each item) and
``plots/conflict-links`` (conflicting claims, drawn red and linked).  Month- or
year-precision dates are spans; the years before 1991 are squeezed behind an axis break.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kzgraph.errors import EmptyPlotError, PlotError
from kzgraph.plot.network import all_edges, neighbours
from kzgraph.plot.output import to_svg
from kzgraph.plot.shared import (
    CONFLICT,
    KZ,
    LANES,
    LOCK,
    NOTE_GREY,
    RC,
    Picture,
    day_of,
    fmt_day,
    fractional_year,
    plot_queries,
    query_rows,
    resolve_focus,
    short_label,
    text_of,
    text_width,
)
from kzgraph.query import Engine, SavedQuery
from kzgraph.render import span_text

BREAK_YEAR = 1991  # the article's period starts here; earlier years are compressed
BREAK_WIDTH = 2.5  # how many 'years' of width the compressed years before 1991 take
KEY_COLOUR = "#555555"  # the marks of the legend
FONT = 7.5  # of the item labels
ROW_PT = 12.5  # height of a row of items
PAD = 3.0  # between a mark and its label
LANE_GAP = 0.7  # rows between two lanes
LEFT_IN, RIGHT_IN = 2.3, 0.35  # margins beside the axes (inches)
TOP_IN, BOTTOM_IN = 0.55, 1.25
COLOURS = {key: colour for key, _n, colour in LANES}
LANE_NAMES = {key: name for key, name, _c in LANES}


@dataclass(frozen=True)
class TimelineItem:
    iri: str
    label: str
    lane: str
    kind: str  # "event" or "document"
    earliest: _dt.date
    latest: _dt.date | None  # None: the article gives no latest bound
    date: str | None  # the date at the article's precision, as written; a span as start/end
    deprecated: bool
    conflicts: tuple[str, ...]  # labels of the conflicts the claim is part of

    @property
    def shape(self) -> str:
        """``point`` (one known day), ``span`` (a span or a month/year) or ``open``."""
        if self.latest is None:
            return "open"
        return "point" if self.latest == self.earliest else "span"

    @property
    def short_when(self) -> str:
        """The date for a label: '17 Oct 1994', 'Oct 1992', '1993', '1940–1950', 'after 1991'."""
        if self.latest is None:
            e = self.earliest
            start = str(e.year) if (e.month, e.day) == (1, 1) else fmt_day(e)
            return f"{start} or later"
        if self.latest == self.earliest:
            return fmt_day(self.earliest)
        e, last = self.earliest, self.latest
        if e.day == 1 and last + _dt.timedelta(days=1) == _dt.date(
            last.year + last.month // 12, last.month % 12 + 1, 1
        ):
            if (e.year, e.month) == (last.year, last.month):
                return f"{e:%b} {e.year}"
            if e.month == 1 and last.month == 12:
                return str(e.year) if e.year == last.year else f"{e.year}–{last.year}"
            return f"{e:%b} {e.year} – {last:%b} {last.year}"
        if (e.year, e.month) == (last.year, last.month):
            return f"{e.day}–{last.day} {e:%b} {e.year}"
        return f"{fmt_day(e)} – {fmt_day(last)}"

    @property
    def when(self) -> str:
        """The date for a tooltip: a day or a span of days as people write it ('17 Oct 1994',
        '16–18 Oct 1994'); a month, a year or a span of them as the article gives it, with the
        days it stands for ('1992-10 (1 Oct 1992 – 31 Oct 1992)')."""
        if self.latest is None:
            return f"on or after {fmt_day(self.earliest)} (no latest date in the article)"
        if self.latest == self.earliest:
            return fmt_day(self.earliest)
        days = f"{fmt_day(self.earliest)} – {fmt_day(self.latest)}"
        spanned = span_text(self.date) if self.date else None
        if spanned is not None and re.fullmatch(r"[\d-]{10}/[\d-]{10}", self.date or ""):
            return spanned  # a span of days says all its bounds say
        if spanned is not None:
            return f"{spanned} ({days})"
        return f"{self.date} ({days})" if self.date else days


@dataclass(frozen=True)
class Timeline:
    items: tuple[TimelineItem, ...]
    links: tuple[tuple[str, str], ...]  # pairs of conflicting claims, both on the picture
    start: _dt.date | None
    end: _dt.date | None
    focus: str | None = None


# --------------------------------------------------------------------------- data


def timeline_data(
    engine: Engine,
    start: str | _dt.date | None = None,
    end: str | _dt.date | None = None,
    *,
    focus: str | None = None,
    queries: Mapping[str, SavedQuery] | None = None,
) -> Timeline:
    """The items of the timeline picture (the rows of the ``timeline`` query)."""
    queries = queries or plot_queries()
    start_d = _as_date(start, "from")
    end_d = _as_date(end, "to")
    if start_d and end_d and start_d > end_d:
        raise PlotError(f"the period is empty: {start_d} is after {end_d}")
    params = [("readings", "all")]
    if start_d:
        params.append(("from", start_d.isoformat()))
    if end_d:
        params.append(("to", end_d.isoformat()))
    rows = query_rows(engine, queries, "timeline", params)
    lanes = {text_of(r, "item"): r for r in query_rows(engine, queries, "plots/timeline-lanes")}
    conflicts, pairs = _conflicts(engine, queries)
    keep: set[str] | None = None
    iri = None
    if focus:
        iri = resolve_focus(engine, focus)
        keep = {iri} | neighbours(all_edges(engine, queries), iri, 1)
    items = []
    for r in rows:
        item = text_of(r, "item")
        earliest = day_of(text_of(r, "earliest"))
        if item is None or earliest is None or (keep is not None and item not in keep):
            continue
        lane_row = lanes.get(item, {})
        items.append(
            TimelineItem(
                iri=item,
                label=text_of(r, "itemLabel") or item,
                lane=text_of(lane_row, "lane") or "other",
                kind=text_of(r, "kind") or "event",
                earliest=earliest,
                latest=day_of(text_of(r, "latest")),
                date=text_of(r, "date"),
                deprecated=text_of(lane_row, "rank") == KZ + "DeprecatedRank",
                conflicts=tuple(sorted(c for c in conflicts.get(item, ()) if c))
                or (("conflicting claim",) if item in conflicts else ()),
            )
        )
    if not items:
        if focus:
            raise EmptyPlotError(f"no dated events or documents linked to {focus!r}")
        raise EmptyPlotError(
            f"no events between {(start_d or _dt.date(1900, 1, 1)).isoformat()} "
            f"and {(end_d or _dt.date(2021, 12, 31)).isoformat()}"
        )
    shown = {i.iri for i in items}
    links = tuple(sorted((a, b) for a, b in pairs if a in shown and b in shown))
    return Timeline(tuple(items), links, start_d, end_d, iri)


def _conflicts(
    engine: Engine, queries: Mapping[str, SavedQuery]
) -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """Each claim's conflict labels ("" for an unnamed one), and the conflicting pairs."""
    conflicts: dict[str, set[str]] = defaultdict(set)
    pairs = set()
    for r in query_rows(engine, queries, "plots/conflict-links"):
        claim, other = text_of(r, "claim"), text_of(r, "other")
        if claim and other:
            pairs.add((claim, other))
            conflicts[claim].add("")
            conflicts[other].add("")
        elif claim and r.get("conflict") is not None:
            conflicts[claim].add(text_of(r, "conflictLabel") or text_of(r, "conflict") or "")
    return conflicts, pairs


def _as_date(value: str | _dt.date | None, name: str) -> _dt.date | None:
    if value is None or isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise PlotError(f"--{name} expects a date like 1994-10-17, got {value!r}") from None


def timeline_figure(
    engine: Engine,
    start: str | _dt.date | None = None,
    end: str | _dt.date | None = None,
    *,
    focus: str | None = None,
    queries: Mapping[str, SavedQuery] | None = None,
) -> Picture:
    """Every dated event and document on one axis, in lanes by kind."""
    data = timeline_data(engine, start, end, focus=focus, queries=queries)
    return draw_timeline(data, title=_timeline_title(engine, data))


def _timeline_title(engine: Engine, data: Timeline) -> str:
    if data.focus:
        return f"Timeline of {engine.labels([data.focus])[data.focus]}"
    lo = data.start.year if data.start else min(i.earliest for i in data.items).year
    hi = data.end.year if data.end else 2020
    return f"Kazakhstan–Turkey relations {lo}–{hi}: events and documents"


def timeline_svg(
    engine: Engine,
    start: str | _dt.date | None = None,
    end: str | _dt.date | None = None,
    *,
    focus: str | None = None,
    queries: Mapping[str, SavedQuery] | None = None,
) -> str:
    """The timeline as SVG text (``focus``: only the items linked to that entity)."""
    return to_svg(timeline_figure(engine, start, end, focus=focus, queries=queries))


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Axis:
    """Dates to x: linear from BREAK_YEAR on, the years before it squeezed."""

    lo: float
    hi: float
    broken: bool

    def x(self, day: _dt.date) -> float:
        y = fractional_year(day)
        if self.broken and y < BREAK_YEAR:
            return BREAK_YEAR - (BREAK_YEAR - y) * BREAK_WIDTH / (BREAK_YEAR - self.lo)
        return y

    @property
    def left(self) -> float:
        return BREAK_YEAR - BREAK_WIDTH if self.broken else self.lo


@dataclass(frozen=True)
class _Frame:
    """The period drawn, its axis, and how many points a year takes."""

    lo_day: _dt.date
    hi_day: _dt.date
    axis: _Axis
    axes_pt: float  # width of the axes in points
    per_x: float  # points per (axis) year

    @property
    def hi(self) -> float:
        return self.axis.hi

    def px(self, x: float) -> float:
        return (x - self.axis.left) * self.per_x


@dataclass(frozen=True)
class _Placed:
    """An item with its lane, its row in the lane, its x extent and its label."""

    item: TimelineItem
    lane: str
    row: int
    x0: float
    x1: float
    text: str
    right: bool  # the label is right of the mark
    cut_right: bool  # the item runs past the end of the period


def _frame(data: Timeline, width: float) -> _Frame:
    first_day = min(i.earliest for i in data.items)
    last_day = max(i.latest or i.earliest for i in data.items)
    lo_day = data.start or min(first_day, _dt.date(BREAK_YEAR, 1, 1))
    hi_day = data.end or max(last_day, _dt.date(2020, 12, 31))
    lo, hi = fractional_year(lo_day), fractional_year(hi_day + _dt.timedelta(days=1))
    axis = _Axis(lo, hi, broken=lo < BREAK_YEAR - 4 and hi > BREAK_YEAR + 4)
    axes_pt = (width - LEFT_IN - RIGHT_IN) * 72
    return _Frame(lo_day, hi_day, axis, axes_pt, axes_pt / (hi - axis.left))


def _stack(
    data: Timeline, frame: _Frame
) -> tuple[list[_Placed], dict[str, list[float]], list[TimelineItem]]:
    """Greedy stacking: each lane has rows; an item takes the first row it fits in.
    Also the rows' right ends per lane and the items cut at the period's edges."""
    placed: list[_Placed] = []
    lane_rows: dict[str, list[float]] = {key: [] for key, _n, _c in LANES}
    clipped = []
    order = sorted(data.items, key=lambda i: (i.earliest, i.latest or i.earliest, i.iri))
    for item in order:
        lane = item.lane if item.lane in lane_rows else "other"
        cut_left = item.earliest < frame.lo_day
        cut_right = (item.latest or item.earliest) > frame.hi_day
        if cut_left or cut_right:
            clipped.append(item)
        x0 = frame.axis.x(max(item.earliest, frame.lo_day))
        end_day = min(item.latest or item.earliest, frame.hi_day)
        x1 = frame.axis.x(end_day + _dt.timedelta(days=1)) if item.latest else x0
        text = f"{short_label(item.label, 58)}, {item.short_when}"
        if cut_left:
            text = f"◀ {text} (from {item.earliest.year})"
        w = text_width(text, FONT)
        mark_end = frame.px(x1) + (5 if item.shape != "span" else 0)
        if mark_end + PAD + w <= frame.axes_pt:
            a, b, side = frame.px(x0) - 5, mark_end + PAD + w, "right"
        else:
            a, b, side = frame.px(x0) - 5 - PAD - w, mark_end, "left"
        rows = lane_rows[lane]
        for r, row_end in enumerate(rows):
            if row_end + 4 <= a:
                rows[r] = b
                break
        else:
            rows.append(b)
            r = len(rows) - 1
        placed.append(_Placed(item, lane, r, x0, x1, text, side == "right", cut_right))
    return placed, lane_rows, clipped


def _lane_tops(lane_rows: Mapping[str, list[float]]) -> tuple[dict[str, float], float]:
    """The first row of each lane that has items, and the number of rows in all."""
    lane_top: dict[str, float] = {}
    y = 0.0
    for key, _name, _colour in LANES:
        if lane_rows[key]:
            lane_top[key] = y
            y += len(lane_rows[key]) + LANE_GAP
    return lane_top, y - LANE_GAP


# --------------------------------------------------------------------------- drawing


def draw_timeline(data: Timeline, *, title: str = "Timeline", width: float = 16.0) -> Picture:
    """The timeline picture of ``data``: lanes, the axis, the marks, links and the key."""
    import matplotlib
    from matplotlib.figure import Figure

    frame = _frame(data, width)
    placed, lane_rows, clipped = _stack(data, frame)
    lane_top, total_rows = _lane_tops(lane_rows)
    height = TOP_IN + BOTTOM_IN + total_rows * ROW_PT / 72

    with LOCK, matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, height), dpi=72)
        ax = fig.add_axes(
            (
                LEFT_IN / width,
                BOTTOM_IN / height,
                frame.axes_pt / 72 / width,
                total_rows * ROW_PT / 72 / height,
            )
        )
        picture = Picture(fig, title)
        ax.set_xlim(frame.axis.left, frame.hi)
        ax.set_ylim(total_rows, 0)
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_title(title, loc="left", fontweight="bold")
        _draw_lanes(ax, frame, lane_top, lane_rows)
        _draw_time_axis(ax, data, frame, total_rows)
        centre: dict[str, tuple[float, float]] = {}
        for n, place in enumerate(placed):
            centre[place.item.iri] = _draw_item(ax, picture, n, place, frame, lane_top)
        _draw_conflict_links(ax, picture, data, centre)
        _draw_timeline_key(fig, frame, width, height, clipped)
    return picture


def _draw_lanes(
    ax: Any, frame: _Frame, lane_top: Mapping[str, float], lane_rows: Mapping[str, list[float]]
) -> None:
    """Every other lane on a grey band, each lane's name left of the axes."""
    from matplotlib.patches import Rectangle

    axis = frame.axis
    for n, (key, top) in enumerate(lane_top.items()):
        lane_height = len(lane_rows[key])
        if n % 2 == 0:
            ax.add_patch(
                Rectangle(
                    (axis.left, top - LANE_GAP / 2),
                    frame.hi - axis.left,
                    lane_height + LANE_GAP,
                    facecolor="#F3F3F3",
                    edgecolor="none",
                    zorder=0,
                )
            )
        ax.text(
            -0.008,
            top + lane_height / 2,
            LANE_NAMES[key],
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="center",
            fontsize=9,
            color=COLOURS[key],
            fontweight="bold",
        )


def _draw_time_axis(ax: Any, data: Timeline, frame: _Frame, total_rows: float) -> None:
    """Major ticks every 5 years, the squeezed years marked as a break."""
    axis, lo, hi = frame.axis, frame.axis.lo, frame.hi
    ticks = [
        t
        for t in range(math.ceil(max(lo, BREAK_YEAR if axis.broken else lo)), int(hi) + 1)
        if t % 5 == 0 or t == BREAK_YEAR
    ]
    positions = [float(t) for t in ticks]
    labels = [str(t) for t in ticks]
    if axis.broken:
        early = sorted({i.earliest.year for i in data.items if i.earliest.year < BREAK_YEAR})
        for year in early:  # the first years of the squeezed items, where there is room
            x = axis.x(_dt.date(year, 1, 1))
            if all(abs(x - p) * frame.per_x >= 26 for p in positions):
                positions.append(x)
                labels.append(str(year))
        ax.axvspan(axis.left, BREAK_YEAR, color="#E8E8E8", zorder=0.1, lw=0)
        for dx in (-0.12, 0.0):
            ax.plot(
                [BREAK_YEAR + dx - 0.08, BREAK_YEAR + dx + 0.08],
                [total_rows + 0.35, total_rows - 0.35],
                color="black",
                lw=0.9,
                clip_on=False,
                zorder=5,
            )
    ax.set_xticks(positions, labels)
    ax.set_xticks(
        [t for t in range(math.ceil(axis.left), int(hi) + 1) if t >= BREAK_YEAR or not axis.broken],
        minor=True,
    )
    ax.grid(axis="x", which="major", color="#D0D0D0", lw=0.6, zorder=0.2)
    ax.set_axisbelow(True)


def _item_tip(item: TimelineItem, lane: str) -> tuple[str, str]:
    """The CSS classes and the tooltip of an item's mark."""
    css = (
        "kz-event"
        + (" kz-conflict" if item.conflicts else "")
        + (" kz-deprecated" if item.deprecated else "")
        + f" kz-{item.shape}"
    )
    tip = f"{item.label}\n{item.when}\n{LANE_NAMES[lane]}"
    if item.deprecated:
        tip += "\nDeprecated reading"
    for c in item.conflicts:
        tip += f"\nConflict: {c}"
    return css, tip


def _draw_item(
    ax: Any,
    picture: Picture,
    n: int,
    place: _Placed,
    frame: _Frame,
    lane_top: Mapping[str, float],
) -> tuple[float, float]:
    """One item's mark, its arrow when cut at the period's end, and its label; its centre."""
    from matplotlib.lines import Line2D

    item, x0, x1 = place.item, place.x0, place.x1
    yc = lane_top[place.lane] + place.row + 0.5
    colour = COLOURS[place.lane]
    alpha = 0.45 if item.deprecated else 1.0
    conflicted = bool(item.conflicts)
    css, tip = _item_tip(item, place.lane)
    _draw_mark(ax, place, yc, alpha, picture.mark(f"kz-event-{n}", css, tip, item.iri))
    if place.cut_right:
        ax.add_line(
            Line2D(
                [frame.hi], [yc], marker=">", color=colour, markersize=5, zorder=4, clip_on=False
            )
        )
    per_x = frame.per_x
    tx = (
        (x1 + (5 if item.shape != "span" else 0) / per_x + 3 / per_x)
        if place.right
        else (x0 - (5 + 3) / per_x)
    )
    ax.text(
        tx,
        yc,
        place.text,
        ha="left" if place.right else "right",
        va="center",
        fontsize=FONT,
        color=CONFLICT if conflicted else "#202020",
        alpha=max(alpha, 0.6),
        zorder=5,
        gid=picture.mark(f"kz-label-{n}", "kz-label", tip, item.iri),
        url=item.iri,
    )
    return ((x0 + x1) / 2, yc)


def _draw_mark(ax: Any, place: _Placed, yc: float, alpha: float, gid: str) -> None:
    """A bar for a span, a diamond for a known day, an open arrow for "on or after";
    a conflicting claim is edged (and a bar hatched) in red."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    item, x0, x1 = place.item, place.x0, place.x1
    colour = COLOURS[place.lane]
    conflicted = bool(item.conflicts)
    if item.shape == "span":
        patch = Rectangle(
            (x0, yc - 0.32),
            x1 - x0,
            0.64,
            facecolor=colour,
            alpha=alpha,
            edgecolor=CONFLICT if conflicted else colour,
            hatch="/////" if conflicted else None,
            lw=1.3 if conflicted else 0.5,
            zorder=3,
            gid=gid,
            url=item.iri,
        )
        ax.add_patch(patch)
        return
    marker = "D" if item.shape == "point" else ">"
    ax.add_line(
        Line2D(
            [x0],
            [yc],
            marker=marker,
            markersize=6.5 if marker == "D" else 7,
            markerfacecolor=colour if item.shape == "point" else "white",
            markeredgecolor=CONFLICT if conflicted else colour,
            markeredgewidth=1.8 if conflicted else 1.2,
            alpha=alpha,
            linestyle="none",
            zorder=4,
            gid=gid,
            url=item.iri,
        )
    )


def _draw_conflict_links(
    ax: Any, picture: Picture, data: Timeline, centre: Mapping[str, tuple[float, float]]
) -> None:
    """A dashed red arc between each two conflicting claims."""
    from matplotlib.patches import FancyArrowPatch

    for n, (iri_a, iri_b) in enumerate(data.links):
        (xa, ya), (xb, yb) = centre[iri_a], centre[iri_b]
        label_a = next(i.label for i in data.items if i.iri == iri_a)
        label_b = next(i.label for i in data.items if i.iri == iri_b)
        ax.add_patch(
            FancyArrowPatch(
                (xa, ya),
                (xb, yb),
                arrowstyle="-",
                connectionstyle="arc3,rad=0.25",
                linestyle=(0, (4, 3)),
                color=CONFLICT,
                lw=0.8,
                alpha=0.55,
                zorder=2,
                gid=picture.mark(
                    f"kz-link-{n}", "kz-conflict-link", f"{label_a}\nconflicts with\n{label_b}"
                ),
            )
        )


def _draw_timeline_key(
    fig: Any, frame: _Frame, width: float, height: float, clipped: list[TimelineItem]
) -> None:
    """The legend of the mark shapes, and the notes (axis break, cut items, source)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D(
            [],
            [],
            marker="D",
            color=KEY_COLOUR,
            linestyle="none",
            markersize=6,
            label="known day",
        ),
        Patch(facecolor=KEY_COLOUR, label="month, year or span (earliest–latest day)"),
        Line2D(
            [],
            [],
            marker=">",
            color=KEY_COLOUR,
            markerfacecolor="white",
            linestyle="none",
            markersize=7,
            label="on or after (no latest date)",
        ),
        Patch(facecolor="white", edgecolor=CONFLICT, hatch="/////", label="conflicting claim"),
        Line2D([], [], color=CONFLICT, linestyle=(0, (4, 3)), label="conflicts with"),
    ]
    fig.legend(
        handles=handles,
        loc="lower left",
        ncol=5,
        frameon=False,
        fontsize=8,
        bbox_to_anchor=(LEFT_IN / width, 0.1 / height),
    )
    notes = []
    if frame.axis.broken:
        notes.append(f"Years before {BREAK_YEAR} are compressed (grey band, axis break).")
    if clipped:
        names_cut = "; ".join(short_label(i.label, 45) for i in clipped[:4])
        more = f" and {len(clipped) - 4} more" if len(clipped) > 4 else ""
        notes.append(
            f"{len(clipped)} item(s) run past the period and are cut at its edge "
            f"(◀ ▶): {names_cut}{more}."
        )
    notes.append("Source: kzgraph, saved query 'timeline'; every item links to its resource.")
    fig.text(LEFT_IN / width, 0.42 / height, "  ".join(notes), fontsize=7.5, color=NOTE_GREY)
