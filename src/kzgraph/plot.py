"""Pictures of the graph: a timeline, a network and the figures over time.

Every picture is drawn from saved queries, never from hard-coded lists:

- timeline: the catalog query ``timeline`` (items and dates; ``readings=all`` so that
  deprecated readings are drawn, faded) plus ``plots/timeline-lanes`` (the lane of each
  item) and ``plots/conflict-links`` (conflicting claims);
- network: the catalog query ``network-edges``;
- figures: the catalog query ``figures-over-time``.

The ``plots/`` queries are plumbing that only the pictures need, so they are kept out
of the catalog (``load_catalog`` reads the top folder only).

Each ``*_figure`` function returns a :class:`Picture` (a matplotlib Figure plus the
tooltips and links of its marks); ``*_svg`` returns SVG text; :func:`save` writes a
Picture or SVG text by file extension (.svg, .png, .html).  matplotlib and networkx
are imported inside the functions, so importing this module (and ``kzgraph --help``)
stays cheap.  No pyplot: figures are built with the object API, so nothing global
changes and the server can draw from several threads.

Deterministic output: the SVG hash salt is fixed, the date metadata is left out, the
network layout uses a fixed seed and every list is sorted, so the same graph gives the
same bytes.
"""

from __future__ import annotations

import datetime as _dt
import html
import io
import math
import os
import re
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kzgraph.errors import EmptyPlotError, PlotError
from kzgraph.project import default_root, display_path
from kzgraph.query import Engine, SavedQuery, load_catalog, parse_saved_query, run_saved
from kzgraph.render import span_text
from kzgraph.terms import Literal, Term

if TYPE_CHECKING:  # matplotlib is imported only inside the plot functions
    from matplotlib.typing import RcKeyType

FORMATS = ("svg", "png", "html")
#: matplotlib's rc_context changes global settings: one drawing at a time (kzgraph serve
#: builds pages in threads)
_LOCK = threading.RLock()
PNG_DPI = 110
SEED = 20240917  # network layout
KZ = "https://w3id.org/kzgraph/ontology#"

#: matplotlib settings for every picture (deterministic SVG with real <text> elements)
RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "kzgraph",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 11,
    "path.simplify": False,
}

# Okabe-Ito colours, safe for colour-blind readers
LANES: tuple[tuple[str, str, str], ...] = (
    ("kz-tr", "Visits Kazakhstan → Turkey", "#0072B2"),
    ("tr-kz", "Visits Turkey → Kazakhstan", "#E69F00"),
    ("meeting", "Summits and meetings", "#009E73"),
    ("document", "Documents", "#CC79A7"),
    ("founding", "Foundings and openings", "#8C6D31"),
    ("diaspora", "Diasporas and migrations", "#56B4E9"),
    ("other", "Other events", "#7F7F7F"),
)
CONFLICT = "#C00000"
BREAK_YEAR = 1991  # the article's period starts here; earlier years are compressed
BREAK_WIDTH = 2.5  # how many 'years' of width the compressed years before 1991 take


# --------------------------------------------------------------------------- pictures


@dataclass(frozen=True)
class Mark:
    """What the SVG says about one drawn element (by its matplotlib gid)."""

    css: str  # class attribute, e.g. "kz-event kz-conflict"
    title: str  # tooltip
    iri: str | None = None  # link target


@dataclass
class Picture:
    """A matplotlib figure with the tooltips and links of its marks."""

    figure: Any
    title: str
    marks: dict[str, Mark] = field(default_factory=dict)

    def mark(self, gid: str, css: str, title: str, iri: str | None = None) -> str:
        self.marks[gid] = Mark(css, title, iri)
        return gid


# --------------------------------------------------------------------------- queries


def plot_queries(folder: Path | None = None) -> dict[str, SavedQuery]:
    """The saved queries the pictures use: the catalog plus ``plots/*.rq``."""
    folder = folder or default_root() / "queries"
    catalog = dict(load_catalog(folder))
    plots = folder / "plots"
    if plots.is_dir():
        for path in sorted(plots.glob("*.rq")):
            catalog[f"plots/{path.stem}"] = parse_saved_query(path)
    return catalog


def _rows(
    engine: Engine,
    queries: Mapping[str, SavedQuery],
    name: str,
    params: Iterable[tuple[str, str]] = (),
) -> list[dict[str, Term]]:
    query = queries.get(name)
    if query is None:
        raise PlotError(f"the pictures need the saved query {name!r}, which is missing")
    result = run_saved(engine, query, params)
    return [
        {v: t for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]


def _s(row: Mapping[str, Term], key: str) -> str | None:
    term = row.get(key)
    return None if term is None else term.value


def _day(value: str | None) -> _dt.date | None:
    if not value:
        return None
    try:
        return _dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _resolve(engine: Engine, focus: str) -> str:
    from kzgraph.describe import resolve

    return resolve(engine, focus)


# --------------------------------------------------------------------------- text

_DATE_TAIL = re.compile(
    r"(,\s*(\d{1,2}(–\d{1,2})?\s+)?((January|February|March|April|May|June|July|August|"
    r"September|October|November|December)\s+)?(mid-)?\d{4}(–\d{4})?|\s*\(\d{4}\)|,\s*mid-\d{4})$"
)


def short_label(label: str, width: int = 60) -> str:
    """A label for the picture: the date tail dropped (the axis shows it), then cut."""
    text = _DATE_TAIL.sub("", label).strip() or label
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b(?=\s+\d{4})")


def node_label(label: str, width: int = 44) -> str:
    """A network label: months shortened ('Oct 1994'), 'official ' dropped, then cut."""
    text = _MONTHS.sub(lambda m: m.group(1), label).replace("official visit", "visit")
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _text_width(text: str, size: float) -> float:
    """Width of ``text`` in points at font ``size`` (exact, from the font's glyphs)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=RC["font.family"], size=size)
    width, _height, _descent = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return float(width)


def _fmt_day(day: _dt.date) -> str:
    return f"{day.day} {day:%b} {day.year}"


# --------------------------------------------------------------------------- timeline


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
            start = str(e.year) if (e.month, e.day) == (1, 1) else _fmt_day(e)
            return f"{start} or later"
        if self.latest == self.earliest:
            return _fmt_day(self.earliest)
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
        return f"{_fmt_day(e)} – {_fmt_day(last)}"

    @property
    def when(self) -> str:
        """The date for a tooltip: a day or a span of days as people write it ('17 Oct 1994',
        '16–18 Oct 1994'); a month, a year or a span of them as the article gives it, with the
        days it stands for ('1992-10 (1 Oct 1992 – 31 Oct 1992)')."""
        if self.latest is None:
            return f"on or after {_fmt_day(self.earliest)} (no latest date in the article)"
        if self.latest == self.earliest:
            return _fmt_day(self.earliest)
        days = f"{_fmt_day(self.earliest)} – {_fmt_day(self.latest)}"
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
    rows = _rows(engine, queries, "timeline", params)
    lanes = {_s(r, "item"): r for r in _rows(engine, queries, "plots/timeline-lanes")}
    conflicts: dict[str, set[str]] = defaultdict(set)
    pairs = set()
    for r in _rows(engine, queries, "plots/conflict-links"):
        claim, other = _s(r, "claim"), _s(r, "other")
        if claim and other:
            pairs.add((claim, other))
            conflicts[claim].add("")
            conflicts[other].add("")
        elif claim and r.get("conflict") is not None:
            conflicts[claim].add(_s(r, "conflictLabel") or _s(r, "conflict") or "")
    keep: set[str] | None = None
    iri = None
    if focus:
        iri = _resolve(engine, focus)
        keep = {iri} | _neighbours(_edges(engine, queries), iri, 1)
    items = []
    for r in rows:
        item = _s(r, "item")
        earliest = _day(_s(r, "earliest"))
        if item is None or earliest is None or (keep is not None and item not in keep):
            continue
        lane_row = lanes.get(item, {})
        items.append(
            TimelineItem(
                iri=item,
                label=_s(r, "itemLabel") or item,
                lane=_s(lane_row, "lane") or "other",
                kind=_s(r, "kind") or "event",
                earliest=earliest,
                latest=_day(_s(r, "latest")),
                date=_s(r, "date"),
                deprecated=_s(lane_row, "rank") == KZ + "DeprecatedRank",
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


def _as_date(value: str | _dt.date | None, name: str) -> _dt.date | None:
    if value is None or isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise PlotError(f"--{name} expects a date like 1994-10-17, got {value!r}") from None


def _year(day: _dt.date) -> float:
    first = _dt.date(day.year, 1, 1).toordinal()
    length = _dt.date(day.year + 1, 1, 1).toordinal() - first
    return day.year + (day.toordinal() - first) / length


@dataclass(frozen=True)
class _Axis:
    """Dates to x: linear from BREAK_YEAR on, the years before it squeezed."""

    lo: float
    hi: float
    broken: bool

    def x(self, day: _dt.date) -> float:
        y = _year(day)
        if self.broken and y < BREAK_YEAR:
            return BREAK_YEAR - (BREAK_YEAR - y) * BREAK_WIDTH / (BREAK_YEAR - self.lo)
        return y

    @property
    def left(self) -> float:
        return BREAK_YEAR - BREAK_WIDTH if self.broken else self.lo


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


def draw_timeline(data: Timeline, *, title: str = "Timeline", width: float = 16.0) -> Picture:
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, Patch, Rectangle

    font = 7.5
    row_pt = 12.5
    pad = 3.0
    first_day = min(i.earliest for i in data.items)
    last_day = max(i.latest or i.earliest for i in data.items)
    lo_day = data.start or min(first_day, _dt.date(BREAK_YEAR, 1, 1))
    hi_day = data.end or max(last_day, _dt.date(2020, 12, 31))
    lo, hi = _year(lo_day), _year(hi_day + _dt.timedelta(days=1))
    axis = _Axis(lo, hi, broken=lo < BREAK_YEAR - 4 and hi > BREAK_YEAR + 4)
    left_in, right_in = 2.3, 0.35
    axes_pt = (width - left_in - right_in) * 72
    per_x = axes_pt / (hi - axis.left)

    def px(x: float) -> float:
        return (x - axis.left) * per_x

    # ---- greedy stacking: each lane has rows; an item takes the first row it fits in
    placed: list[tuple[TimelineItem, str, int, float, float, str, bool, bool]] = []
    lane_rows: dict[str, list[float]] = {key: [] for key, _n, _c in LANES}
    clipped = []
    order = sorted(data.items, key=lambda i: (i.earliest, i.latest or i.earliest, i.iri))
    for item in order:
        lane = item.lane if item.lane in lane_rows else "other"
        cut_left = item.earliest < lo_day
        cut_right = (item.latest or item.earliest) > hi_day
        if cut_left or cut_right:
            clipped.append(item)
        x0 = axis.x(max(item.earliest, lo_day))
        end_day = min(item.latest or item.earliest, hi_day)
        x1 = axis.x(end_day + _dt.timedelta(days=1)) if item.latest else x0
        text = f"{short_label(item.label, 58)}, {item.short_when}"
        if cut_left:
            text = f"◀ {text} (from {item.earliest.year})"
        w = _text_width(text, font)
        mark_end = px(x1) + (5 if item.shape != "span" else 0)
        if mark_end + pad + w <= axes_pt:
            a, b, side = px(x0) - 5, mark_end + pad + w, "right"
        else:
            a, b, side = px(x0) - 5 - pad - w, mark_end, "left"
        rows = lane_rows[lane]
        for r, row_end in enumerate(rows):
            if row_end + 4 <= a:
                rows[r] = b
                break
        else:
            rows.append(b)
            r = len(rows) - 1
        placed.append((item, lane, r, x0, x1, text, side == "right", cut_right))

    lane_top: dict[str, float] = {}
    y = 0.0
    gap = 0.7
    for key, _name, _colour in LANES:
        if lane_rows[key]:
            lane_top[key] = y
            y += len(lane_rows[key]) + gap
    total_rows = y - gap
    top_in, bottom_in = 0.55, 1.25
    height = top_in + bottom_in + total_rows * row_pt / 72

    with _LOCK, matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, height), dpi=72)
        ax = fig.add_axes(
            (
                left_in / width,
                bottom_in / height,
                axes_pt / 72 / width,
                total_rows * row_pt / 72 / height,
            )
        )
        picture = Picture(fig, title)
        ax.set_xlim(axis.left, hi)
        ax.set_ylim(total_rows, 0)
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_title(title, loc="left", fontweight="bold")
        colours = {key: colour for key, _n, colour in LANES}
        names = {key: name for key, name, _c in LANES}
        for n, (key, top) in enumerate(lane_top.items()):
            lane_height = len(lane_rows[key])
            if n % 2 == 0:
                ax.add_patch(
                    Rectangle(
                        (axis.left, top - gap / 2),
                        hi - axis.left,
                        lane_height + gap,
                        facecolor="#F3F3F3",
                        edgecolor="none",
                        zorder=0,
                    )
                )
            ax.text(
                -0.008,
                top + lane_height / 2,
                names[key],
                transform=ax.get_yaxis_transform(),
                ha="right",
                va="center",
                fontsize=9,
                color=colours[key],
                fontweight="bold",
            )
        # ---- x axis: major ticks every 5 years, the squeezed years marked as a break
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
                if all(abs(x - p) * per_x >= 26 for p in positions):
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
            [
                t
                for t in range(math.ceil(axis.left), int(hi) + 1)
                if t >= BREAK_YEAR or not axis.broken
            ],
            minor=True,
        )
        ax.grid(axis="x", which="major", color="#D0D0D0", lw=0.6, zorder=0.2)
        ax.set_axisbelow(True)
        # ---- the marks
        centre: dict[str, tuple[float, float]] = {}
        for n, (item, lane, r, x0, x1, text, right, cut_right) in enumerate(placed):
            yc = lane_top[lane] + r + 0.5
            colour = colours[lane]
            alpha = 0.45 if item.deprecated else 1.0
            conflicted = bool(item.conflicts)
            css = (
                "kz-event"
                + (" kz-conflict" if conflicted else "")
                + (" kz-deprecated" if item.deprecated else "")
                + f" kz-{item.shape}"
            )
            tip = f"{item.label}\n{item.when}\n{names[lane]}"
            if item.deprecated:
                tip += "\nDeprecated reading"
            for c in item.conflicts:
                tip += f"\nConflict: {c}"
            gid = picture.mark(f"kz-event-{n}", css, tip, item.iri)
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
            else:
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
            if cut_right:
                ax.add_line(
                    Line2D(
                        [hi], [yc], marker=">", color=colour, markersize=5, zorder=4, clip_on=False
                    )
                )
            tx = (
                (x1 + (5 if item.shape != "span" else 0) / per_x + 3 / per_x)
                if right
                else (x0 - (5 + 3) / per_x)
            )
            ax.text(
                tx,
                yc,
                text,
                ha="left" if right else "right",
                va="center",
                fontsize=font,
                color=CONFLICT if conflicted else "#202020",
                alpha=max(alpha, 0.6),
                zorder=5,
                gid=picture.mark(f"kz-label-{n}", "kz-label", tip, item.iri),
                url=item.iri,
            )
            centre[item.iri] = ((x0 + x1) / 2, yc)
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
        # ---- legend and notes
        handles = [
            Line2D(
                [],
                [],
                marker="D",
                color="#555555",
                linestyle="none",
                markersize=6,
                label="known day",
            ),
            Patch(facecolor="#555555", label="month, year or span (earliest–latest day)"),
            Line2D(
                [],
                [],
                marker=">",
                color="#555555",
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
            bbox_to_anchor=(left_in / width, 0.1 / height),
        )
        notes = []
        if axis.broken:
            notes.append(f"Years before {BREAK_YEAR} are compressed (grey band, axis break).")
        if clipped:
            names_cut = "; ".join(short_label(i.label, 45) for i in clipped[:4])
            more = f" and {len(clipped) - 4} more" if len(clipped) > 4 else ""
            notes.append(
                f"{len(clipped)} item(s) run past the period and are cut at its edge "
                f"(◀ ▶): {names_cut}{more}."
            )
        notes.append("Source: kzgraph, saved query 'timeline'; every item links to its resource.")
        fig.text(left_in / width, 0.42 / height, "  ".join(notes), fontsize=7.5, color="#404040")
    return picture


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


# --------------------------------------------------------------------------- network

NODE_KINDS: tuple[tuple[str, str, str], ...] = (
    ("person", "Person", "#0072B2"),
    ("state", "State", "#D55E00"),
    ("document", "Document", "#CC79A7"),
    ("institution", "Institution", "#009E73"),
    ("event", "Event", "#E69F00"),
    ("place", "Place", "#7F7F7F"),
    ("group", "Diaspora", "#56B4E9"),
)
RELATION_COLOURS = {
    "signed": "#CC79A7",
    "party to": "#A0527F",
    "visited": "#0072B2",
    "hosted": "#D55E00",
    "took part": "#8FA8BF",
    "founded": "#009E73",
    "about": "#6FBF9F",
    "signed during": "#B58BB0",
    "part of": "#E69F00",
    "at": "#9A9A9A",
    "located in": "#BDBDBD",
    "serves": "#56B4E9",
    "lives in": "#56B4E9",
}


@dataclass(frozen=True)
class Edge:
    source: str
    relation: str
    target: str


@dataclass(frozen=True)
class Network:
    nodes: dict[str, tuple[str, str]]  # iri -> (label, kind)
    edges: tuple[Edge, ...]
    focus: str | None = None
    depth: int = 0


def _edges(engine: Engine, queries: Mapping[str, SavedQuery]) -> Network:
    nodes: dict[str, tuple[str, str]] = {}
    edges = []
    for r in _rows(engine, queries, "network-edges"):
        s, t, rel = _s(r, "source"), _s(r, "target"), _s(r, "relation")
        if not (s and t and rel):
            continue
        nodes[s] = (_s(r, "sourceLabel") or s, _s(r, "sourceKind") or "event")
        nodes[t] = (_s(r, "targetLabel") or t, _s(r, "targetKind") or "event")
        edges.append(Edge(s, rel, t))
    return Network(nodes, tuple(sorted(set(edges), key=lambda e: (e.source, e.relation, e.target))))


def _neighbours(net: Network, start: str, depth: int) -> set[str]:
    adjacent: dict[str, set[str]] = defaultdict(set)
    for e in net.edges:
        adjacent[e.source].add(e.target)
        adjacent[e.target].add(e.source)
    seen, frontier = {start}, {start}
    for _ in range(depth):
        frontier = {n for f in frontier for n in adjacent[f]} - seen
        seen |= frontier
    return seen - {start}


def network_data(
    engine: Engine,
    focus: str | None = None,
    depth: int = 1,
    *,
    queries: Mapping[str, SavedQuery] | None = None,
) -> Network:
    """Nodes and edges of the network picture (the rows of ``network-edges``)."""
    if depth < 1:
        raise PlotError(f"--depth must be 1 or more, got {depth}")
    net = _edges(engine, queries or plot_queries())
    if not net.edges:
        raise EmptyPlotError("the graph has no relations to draw")
    if focus is None:
        return net
    iri = _resolve(engine, focus)
    keep = _neighbours(net, iri, depth) | {iri}
    if len(keep) == 1:
        label = engine.labels([iri])[iri]
        raise EmptyPlotError(f"{label} <{iri}> has no relations in the network")
    edges = tuple(e for e in net.edges if e.source in keep and e.target in keep)
    nodes = {n: net.nodes[n] for n in sorted(keep)}
    return Network(nodes, edges, iri, depth)


def network_figure(
    engine: Engine,
    focus: str | None = None,
    depth: int = 1,
    *,
    queries: Mapping[str, SavedQuery] | None = None,
) -> Picture:
    """Persons, states, documents, institutions, events and places with their relations."""
    data = network_data(engine, focus, depth, queries=queries)
    if data.focus:
        title = (
            f"Network around {data.nodes[data.focus][0]} "
            f"({data.depth} step{'s' if data.depth > 1 else ''})"
        )
    else:
        title = "Kazakhstan–Turkey relations: who is linked to what"
    return draw_network(data, title=title)


def draw_network(data: Network, *, title: str = "Network") -> Picture:
    import matplotlib
    import networkx as nx
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    small = len(data.nodes) <= 45
    graph = nx.Graph()
    graph.add_nodes_from(sorted(data.nodes))
    degree_all: dict[str, int] = defaultdict(int)
    for e in data.edges:
        degree_all[e.source] += 1
        degree_all[e.target] += 1
    for e in data.edges:  # hubs (the two states) pull less, so the rest can spread
        hub = max(degree_all[e.source], degree_all[e.target])
        graph.add_edge(e.source, e.target, weight=1.0 if hub < 15 else 0.12)
    pos = _layout(graph, data.focus)
    pos = {k: (float(v[0]), float(v[1])) for k, v in pos.items()}
    width, height = (12.0, 9.0) if small else (22.0, 17.0)
    margin_x = 0.05
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(ys), max(ys)
    span_x = (x_hi - x_lo) or 1.0
    span_y = (y_hi - y_lo) or 1.0
    x_lo, y_lo = x_lo - 0.03 * span_x, y_lo - 0.03 * span_y  # room for the outermost nodes
    span_x, span_y = span_x * 1.06, span_y * 1.06
    axes_box = (margin_x, 1.25 / height, 1 - 2 * margin_x, 1 - 1.25 / height - 1.0 / height)
    w_pt = axes_box[2] * width * 72
    h_pt = axes_box[3] * height * 72

    def to_pt(p: tuple[float, float]) -> tuple[float, float]:
        return ((p[0] - x_lo) / span_x * w_pt, (p[1] - y_lo) / span_y * h_pt)

    pts = {k: to_pt(v) for k, v in pos.items()}
    degree = dict(graph.degree())
    kinds = {k: (name, colour) for k, name, colour in NODE_KINDS}

    with _LOCK, matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, height), dpi=72)
        ax = fig.add_axes(axes_box)
        ax.set_xlim(0, w_pt)
        ax.set_ylim(0, h_pt)
        ax.set_axis_off()
        fig.text(margin_x, 1 - 0.03, title, fontsize=13, fontweight="bold", va="top")
        picture = Picture(fig, title)
        # ---- edges (parallel relations between the same pair share one line)
        grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
        for e in data.edges:
            grouped[(e.source, e.target)].append(e.relation)
        occupied: list[tuple[float, float, float, float]] = []
        node_size = {
            k: (7.5 if small else 5.5)
            + 1.3 * math.sqrt(degree.get(k, 0)) * (1.4 if k == data.focus else 1)
            for k in data.nodes
        }
        for k, (x, y) in pts.items():  # labels may not cover nodes
            r = node_size[k] / 2 + 1
            occupied.append((x - r, y - r, x + r, y + r))
        edge_labels = []
        for n_edge, ((s, t), rels) in enumerate(sorted(grouped.items())):
            rel_text = ", ".join(sorted(set(rels)))
            colour = RELATION_COLOURS.get(sorted(rels)[0], "#999999")
            tip = f"{data.nodes[s][0]} — {rel_text} → {data.nodes[t][0]}"
            ax.add_patch(
                FancyArrowPatch(
                    pts[s],
                    pts[t],
                    arrowstyle="-|>",
                    mutation_scale=7,
                    color=colour,
                    lw=0.9 if small else 0.6,
                    alpha=0.85,
                    zorder=1,
                    shrinkA=node_size[s] / 2 + 1,
                    shrinkB=node_size[t] / 2 + 1,
                    gid=picture.mark(f"kz-edge-{n_edge}", "kz-edge", tip),
                )
            )
            if small:
                (xa, ya), (xb, yb) = pts[s], pts[t]
                edge_labels.append(((xa + xb) / 2, (ya + yb) / 2, rel_text, colour))
        # ---- nodes
        order = sorted(data.nodes, key=lambda k: (k != data.focus, -degree.get(k, 0), k))
        for n_node, k in enumerate(sorted(data.nodes)):
            label, kind = data.nodes[k]
            name, colour = kinds.get(kind, ("Other", "#999999"))
            x, y = pts[k]
            tip = f"{label}\n{name} · {degree.get(k, 0)} link(s)\n{k}"
            ax.add_line(
                Line2D(
                    [x],
                    [y],
                    marker="o",
                    markersize=node_size[k],
                    linestyle="none",
                    markerfacecolor=colour,
                    markeredgecolor="black" if k == data.focus else "white",
                    markeredgewidth=1.6 if k == data.focus else 0.8,
                    zorder=3,
                    gid=picture.mark(f"kz-node-{n_node}", f"kz-node kz-{kind}", tip, k),
                    url=k,
                )
            )
        # ---- node labels: greedy, no overlaps; the most linked nodes first
        font = 8.0 if small else 7.0
        index = {k: i for i, k in enumerate(sorted(data.nodes))}
        skipped = 0
        for k in order:
            label = node_label(data.nodes[k][0], 48 if small else 44)
            w = _text_width(label, font)
            h = font * 1.15
            x, y = pts[k]
            r = node_size[k] / 2 + 2
            candidates = [
                (x + r, y - h / 2, "left", "center"),
                (x - r, y - h / 2, "right", "center"),
                (x, y + r, "center", "bottom"),
                (x, y - r - h, "center", "top"),
                (x + r, y + r * 0.6, "left", "bottom"),
                (x - r, y + r * 0.6, "right", "bottom"),
                (x + r, y - r * 0.6 - h, "left", "top"),
                (x - r, y - r * 0.6 - h, "right", "top"),
            ]
            best = None
            for cx, cy, ha, va in candidates:
                x0 = cx if ha == "left" else cx - w if ha == "right" else cx - w / 2
                box = (x0, cy, x0 + w, cy + h)
                inside = (
                    box[0] >= -30 and box[2] <= w_pt + 30 and box[1] >= -10 and box[3] <= h_pt + 10
                )
                if inside and not any(_overlap(box, o) for o in occupied):
                    best = (cx, cy, ha, va, box)
                    break
            if best is None:
                skipped += 1
                continue
            cx, cy, ha, va, box = best
            occupied.append(box)
            ty = cy + h / 2 if va == "center" else cy if va == "bottom" else cy + h
            ax.text(
                cx,
                ty,
                label,
                ha=ha,
                va=va,
                fontsize=font,
                zorder=4,
                fontweight="bold" if k == data.focus else "normal",
                gid=picture.mark(f"kz-nodelabel-{index[k]}", "kz-label", data.nodes[k][0], k),
                url=k,
            )
        for x, y, text, _colour in edge_labels:
            w = _text_width(text, 6.5)
            box = (x - w / 2 - 1, y - 4.5, x + w / 2 + 1, y + 4.5)
            if any(_overlap(box, o) for o in occupied):
                continue
            occupied.append(box)
            ax.text(
                x,
                y,
                text,
                ha="center",
                va="center",
                fontsize=6.5,
                color="#404040",
                zorder=2,
                bbox={
                    "boxstyle": "round,pad=0.1",
                    "facecolor": "white",
                    "edgecolor": "none",
                    "alpha": 0.85,
                },
            )
        # ---- legends
        used_kinds = {kind for _l, kind in data.nodes.values()}
        node_handles = [
            Line2D(
                [],
                [],
                marker="o",
                linestyle="none",
                markersize=8,
                markerfacecolor=colour,
                markeredgecolor="white",
                label=name,
            )
            for key, name, colour in NODE_KINDS
            if key in used_kinds
        ]
        used_rel = sorted({e.relation for e in data.edges})
        rel_handles = [
            Line2D([], [], color=RELATION_COLOURS.get(r, "#999999"), lw=2, label=r)
            for r in used_rel
        ]
        fig.legend(
            handles=node_handles,
            loc="lower left",
            ncol=len(node_handles),
            frameon=False,
            fontsize=9,
            bbox_to_anchor=(margin_x, 0.5 / height),
            title="Nodes",
            title_fontsize=9,
            alignment="left",
        )
        fig.legend(
            handles=rel_handles,
            loc="lower left",
            ncol=len(rel_handles),
            frameon=False,
            fontsize=8,
            bbox_to_anchor=(margin_x, 0.0),
            title="Relations (arrow from subject to object)",
            title_fontsize=9,
            alignment="left",
        )
        note = f"{len(data.nodes)} nodes, {len(data.edges)} relations (saved query 'network-edges')"
        if skipped:
            note += (
                f"; {skipped} labels left out where they would overlap (hover a node for its name)"
            )
        fig.text(
            margin_x, 1 - 0.03 - 0.3 / height * 1.6, note, fontsize=8, color="#404040", va="top"
        )
    return picture


def _layout(graph: Any, focus: str | None) -> dict[str, tuple[float, float]]:
    """Spring layout (fixed seed) of the largest component in the unit square; the
    smaller components in a column of small cells at its right."""
    import networkx as nx

    components = sorted(
        (sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0])
    )
    pos: dict[str, tuple[float, float]] = {}
    cell = 0.16
    per_column = max(1, int(1 / cell))
    for index, nodes in enumerate(components):
        sub = graph.subgraph(nodes)
        n = len(nodes)
        if n == 1:
            raw = {nodes[0]: (0.5, 0.5)}
        elif n == 2:
            raw = {nodes[0]: (0.0, 0.5), nodes[1]: (1.0, 0.5)}
        else:
            start = nx.circular_layout(nodes)
            fixed = None
            if focus in sub:
                start[focus] = (0.0, 0.0)
                fixed = [focus]
            raw = nx.spring_layout(
                sub,
                pos=start,
                k=2.2 / math.sqrt(n),
                iterations=500,
                seed=SEED,
                fixed=fixed,
                weight="weight",
            )
        xs = [float(p[0]) for p in raw.values()]
        ys = [float(p[1]) for p in raw.values()]
        span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
        unit = {
            k: ((float(p[0]) - min(xs)) / span, (float(p[1]) - min(ys)) / span)
            for k, p in raw.items()
        }
        if index == 0:
            pos.update(unit)
            continue
        column, row = divmod(index - 1, per_column)
        x0, y0 = 1.1 + column * cell * 1.6, 1 - (row + 1) * cell
        size = cell * 0.55
        pos.update({k: (x0 + p[0] * size, y0 + p[1] * size) for k, p in unit.items()})
    return pos


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def network_svg(
    engine: Engine,
    focus: str | None = None,
    depth: int = 1,
    *,
    queries: Mapping[str, SavedQuery] | None = None,
) -> str:
    """The network (or the neighbourhood of ``focus`` up to ``depth`` steps) as SVG text."""
    return to_svg(network_figure(engine, focus, depth, queries=queries))


# --------------------------------------------------------------------------- figures


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


def figures_data(
    engine: Engine, *, queries: Mapping[str, SavedQuery] | None = None
) -> tuple[Figure, ...]:
    """The figures of the picture (rows of ``figures-over-time``, one per figure)."""
    queries = queries or plot_queries()
    rows = _rows(engine, queries, "figures-over-time", [("readings", "all")])
    conflicted = {_s(r, "claim") for r in _rows(engine, queries, "plots/conflict-links")} | {
        _s(r, "other") for r in _rows(engine, queries, "plots/conflict-links")
    }
    grouped: dict[str, list[dict[str, Term]]] = {}
    for r in rows:
        iri = _s(r, "figure")
        if iri:
            grouped.setdefault(iri, []).append(r)
    out = []
    for iri, group in grouped.items():
        r = group[0]
        value = r.get("value")
        if not isinstance(value, Literal):
            continue
        locators = sorted(
            {locator for g in group if (locator := _s(g, "locator"))},
            key=lambda s: int(s[1:]) if s[1:].isdigit() else 0,
        )
        out.append(
            Figure(
                iri=iri,
                label=_s(r, "figureLabel") or iri,
                measure=_s(r, "measureLabel") or "?",
                about=_s(r, "aboutLabel"),
                earliest=_day(_s(r, "earliest")),
                latest=_day(_s(r, "latest")),
                value=float(value.value),
                currency=_s(r, "currency"),
                unit=_s(r, "unit"),
                status=(_s(r, "status") or KZ + "Actual").rsplit("#", 1)[-1],
                period_note=_s(r, "periodNote"),
                locators=tuple(x for x in locators if x),
                citations=tuple(sorted({c for g in group if (c := _s(g, "citationLabel"))})),
                conflicts=iri in conflicted,
            )
        )
    if not out:
        raise EmptyPlotError("no economic or population figures in the graph")
    return tuple(out)


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


def draw_figures(figures: Sequence[Figure], *, title: str | None = None) -> Picture:
    import matplotlib
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FormatStrFormatter, MaxNLocator

    title = title or "Kazakhstan–Turkey relations in figures: values, targets and bounds"
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
    panels = [p for p in panels if p[2]]
    measures = sorted({f.measure for f in figures})
    palette = [
        "#0072B2",
        "#D55E00",
        "#009E73",
        "#CC79A7",
        "#E69F00",
        "#56B4E9",
        "#8C6D31",
        "#7F7F7F",
        "#000000",
    ]
    colour = {m: palette[i % len(palette)] for i, m in enumerate(measures)}
    with _LOCK, matplotlib.rc_context(RC):
        fig = MplFigure(figsize=(13, 4.2 * len(panels) + 1.0), dpi=72)
        picture = Picture(fig, title)
        fig.suptitle(title, x=0.06, ha="left", fontweight="bold", fontsize=12)
        grid = fig.add_gridspec(
            len(panels),
            1,
            left=0.06,
            right=0.74,
            top=1 - 0.7 / (4.2 * len(panels) + 1),
            bottom=0.8 / (4.2 * len(panels) + 1),
            hspace=0.38,
        )
        n_mark = 0
        for row, (key, heading, items) in enumerate(panels):
            ax = fig.add_subplot(grid[row])
            ax.set_title(heading, loc="left", fontsize=10)
            ax.grid(axis="y", color="#E0E0E0", lw=0.6)
            ax.set_axisbelow(True)
            scale = 1e9 if key == "money" else 1.0
            if key != "money":
                ax.set_yscale("log")
            dated = [f for f in items if f.earliest or f.latest]
            years = [_year(d) for f in dated for d in (f.earliest, f.latest) if d]
            lo, hi = math.floor(min(years)) - 1, math.ceil(max(years)) + 1
            ax.set_xlim(lo, hi)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.xaxis.set_major_formatter(FormatStrFormatter("%d"))
            values = [f.value / scale for f in items]
            if key == "money":
                ax.set_ylim(0, max(values) * 1.35)
            else:
                ax.set_ylim(min(values) / 3, max(values) * 4)
            targets: dict[str, list[tuple[float, float]]] = defaultdict(list)
            for f in sorted(items, key=lambda f: (f.measure, f.earliest or _dt.date.max, f.iri)):
                c = colour[f.measure]
                v = f.value / scale
                x0 = _year(f.earliest) if f.earliest else None
                x1 = _year(f.latest + _dt.timedelta(days=1)) if f.latest else None
                xm = (x0 + x1) / 2 if x0 is not None and x1 is not None else (x0 or x1 or hi)
                sources = "; ".join(f.citations) or "the article"
                where = ", ".join(f.locators)
                tip = (
                    f"{f.label}\n{f.measure}: {_amount(f)}"
                    f"{' (' + _STATUS_TEXT[f.status] + ')' if _STATUS_TEXT.get(f.status) else ''}"
                    f"\n{f.period_note or ''}\nSource: {sources} [{where}]"
                ).replace("\n\n", "\n")
                css = f"kz-figure kz-{f.status.lower()}" + (" kz-conflict" if f.conflicts else "")
                gid = picture.mark(f"kz-figure-{n_mark}", css, tip, f.iri)
                n_mark += 1
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
                    up = f.status == "LowerBound"
                    top = v * 1.6 if key != "money" else v + max(values) * 0.18
                    bottom = v / 1.6 if key != "money" else v - max(values) * 0.18
                    ax.annotate(
                        "",
                        xy=(xm, top if up else bottom),
                        xytext=(xm, v),
                        arrowprops={
                            "arrowstyle": "-|>",
                            "color": c,
                            "lw": 1.6,
                            "mutation_scale": 12,
                        },
                        zorder=2,
                    )
                    ax.plot(
                        [xm - (hi - lo) * 0.012, xm + (hi - lo) * 0.012],
                        [v, v],
                        color=c,
                        lw=2.4,
                        zorder=3,
                    )
                if target or f.status == "Actual":
                    targets[f.measure].append((xm, v))
                text = _amount(f)
                if target:
                    text = f"target {text}"
                if key == "population":
                    text = f"{f.about or f.measure}: {text}\n{sources} [{where}]"
                else:
                    text = f"{text} [{where}]"
                dy = 10 if f.status != "UpperBound" else -22
                left = xm < (lo + hi) / 2 + (hi - lo) * 0.25
                ax.annotate(
                    text,
                    xy=(xm, v),
                    xytext=(9 if left else -9, dy),
                    textcoords="offset points",
                    fontsize=7.5,
                    color="#202020",
                    va="bottom",
                    ha="left" if left else "right",
                )
            for m, pts in targets.items():  # a dashed line from the actual value to the target
                has_target = any(f.status == "Target" and f.measure == m for f in items)
                if has_target and len(pts) > 1:
                    pts = sorted(pts)
                    ax.plot(
                        [p[0] for p in pts],
                        [p[1] for p in pts],
                        linestyle="--",
                        color=colour[m],
                        lw=1,
                        alpha=0.7,
                        zorder=1,
                    )
            handles = [
                Line2D([], [], marker="o", color=colour[m], linestyle="none", label=m)
                for m in sorted({f.measure for f in items})
            ]
            ax.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                frameon=False,
                fontsize=8,
                title="Measure",
                title_fontsize=8,
                alignment="left",
            )
        key_handles = [
            Line2D([], [], marker="o", color="#444444", linestyle="none", label="actual value"),
            Line2D(
                [],
                [],
                marker="*",
                color="#444444",
                markerfacecolor="white",
                markersize=11,
                linestyle="--",
                label="target (dashed from the actual value)",
            ),
            Line2D(
                [],
                [],
                marker="$↑$",
                color="#444444",
                linestyle="none",
                markersize=10,
                label="lower bound: more than",
            ),
            Line2D(
                [],
                [],
                marker="$↓$",
                color="#444444",
                linestyle="none",
                markersize=10,
                label="upper bound: at most",
            ),
            Line2D(
                [],
                [],
                marker="|",
                color="#444444",
                linestyle="-",
                markersize=8,
                label="period the figure refers to (earliest–latest)",
            ),
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
            color="#404040",
        )
    return picture


def figures_svg(engine: Engine, *, queries: Mapping[str, SavedQuery] | None = None) -> str:
    """The figures picture as SVG text."""
    return to_svg(figures_figure(engine, queries=queries))


# --------------------------------------------------------------------------- output


def format_of(path: str | Path) -> str:
    """The output format named by ``path``'s extension, or a PlotError."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        shown = f"'.{ext}'" if ext else "no extension"
        raise PlotError(
            f"{display_path(path)}: cannot write {shown}; use a file ending in "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return ext


def _raw_svg(picture: Picture) -> str:
    import matplotlib

    buffer = io.BytesIO()
    with _LOCK, matplotlib.rc_context(RC):
        picture.figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue().decode("utf-8")


_GROUP = re.compile(r'<g id="(kz-[a-z]+-\d+)">')


def to_svg(picture: Picture) -> str:
    """SVG text with a class, a <title> tooltip and a link on every mark."""
    svg = _raw_svg(picture)

    def annotate(m: re.Match[str]) -> str:
        mark = picture.marks.get(m.group(1))
        if mark is None:
            return m.group(0)
        iri = f' data-iri="{html.escape(mark.iri)}"' if mark.iri else ""
        return (
            f'<g id="{m.group(1)}" class="{mark.css}"{iri}>'
            f"<title>{html.escape(mark.title, quote=False)}</title>"
        )

    svg = _GROUP.sub(annotate, svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(picture.title)}" ', 1)
    return svg


def inline_svg(svg: str) -> str:
    """``svg`` without the XML prolog, sized to its container (for an HTML page)."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    return re.sub(
        r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 width="100%"', body, count=1
    )


def to_html(svg: str, title: str) -> str:
    """A self-contained page: the inline SVG, tooltips and links, no scripts or CDN."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #202020; }}
figure {{ margin: 0; }}
svg {{ max-width: 100%; height: auto; }}
.kz-event:hover, .kz-node:hover, .kz-figure:hover {{ opacity: 0.7; }}
.kz-label:hover text {{ text-decoration: underline; }}
.kz-edge:hover path {{ stroke-width: 2.5; }}
</style>
</head>
<body>
<figure>
{inline_svg(svg)}
<figcaption>Hover a mark to see its dates and sources; click it to open the resource. Made with
kzgraph from its saved queries.</figcaption>
</figure>
</body>
</html>
"""


def render(picture: Picture | str, fmt: str) -> bytes:
    """The bytes of ``picture`` (a Picture, or SVG text for svg/html) in ``fmt``."""
    if fmt not in FORMATS:
        raise PlotError(f"unknown picture format {fmt!r}; use one of {', '.join(FORMATS)}")
    if isinstance(picture, str):
        if fmt == "png":
            raise PlotError("a PNG needs the figure, not its SVG text")
        svg = picture
        title = re.search(r'aria-label="([^"]*)"', svg)
        page_title = html.unescape(title.group(1)) if title else "kzgraph"
    else:
        if fmt == "png":
            import matplotlib

            buffer = io.BytesIO()
            with _LOCK, matplotlib.rc_context(RC):
                picture.figure.savefig(
                    buffer, format="png", dpi=PNG_DPI, metadata={"Software": None}
                )
            return buffer.getvalue()
        svg = to_svg(picture)
        page_title = picture.title
    if fmt == "svg":
        return svg.encode("utf-8")
    return to_html(svg, page_title).encode("utf-8")


def save(picture: Picture | str, path: str | Path) -> Path:
    """Write ``picture`` to ``path`` in the format its extension names, atomically."""
    path = Path(path)
    return write_file(render(picture, format_of(path)), path)


def write_file(content: bytes, path: str | Path) -> Path:
    """Write ``content`` via a temporary file and a rename, with the usual file mode
    (0666 less the umask; ``mkstemp`` alone would leave 0600)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


__all__ = [
    "FORMATS",
    "EmptyPlotError",
    "Picture",
    "PlotError",
    "figures_data",
    "figures_figure",
    "figures_svg",
    "format_of",
    "inline_svg",
    "network_data",
    "network_figure",
    "network_svg",
    "plot_queries",
    "render",
    "save",
    "timeline_data",
    "timeline_figure",
    "timeline_svg",
    "to_html",
    "to_svg",
    "write_file",
]
