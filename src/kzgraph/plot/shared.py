"""What every picture shares: the Picture and its marks, the look, the rows and the text.

The look is here in one place: matplotlib's settings (:data:`RC`), the lock that keeps
them to one drawing at a time, and every colour a picture uses (Okabe-Ito, safe for
colour-blind readers).  So are the helpers each picture needs: the rows of a saved
query as plain strings and dates, and labels fitted to the room they get.  This module
draws nothing; matplotlib is imported only inside :func:`text_width`.
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kzgraph.errors import PlotError
from kzgraph.project import default_root
from kzgraph.query import Engine, SavedQuery, load_catalog, parse_saved_query, run_saved
from kzgraph.terms import Term

if TYPE_CHECKING:  # matplotlib is imported only inside the plot functions
    from matplotlib.typing import RcKeyType

FORMATS = ("svg", "png", "html")
#: matplotlib's rc_context changes global settings: one drawing at a time (kzgraph serve
#: builds pages in threads)
LOCK = threading.RLock()
PNG_DPI = 110
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

# --------------------------------------------------------------------------- colours

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
#: the grey of the "how to read" keys
KEY_GREY = "#444444"
NOTE_GREY = "#404040"

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
#: the colour of anything the other palettes do not name
UNKNOWN_COLOUR = "#999999"
#: one colour per measure of the figures picture, in the order of the measures' names
MEASURE_PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#8C6D31",
    "#7F7F7F",
    "#000000",
)


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


def query_rows(
    engine: Engine,
    queries: Mapping[str, SavedQuery],
    name: str,
    params: Iterable[tuple[str, str]] = (),
) -> list[dict[str, Term]]:
    """The rows of the saved query ``name``, each as variable -> term (unbound left out)."""
    query = queries.get(name)
    if query is None:
        raise PlotError(f"the pictures need the saved query {name!r}, which is missing")
    result = run_saved(engine, query, params)
    return [
        {v: t for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]


def text_of(row: Mapping[str, Term], key: str) -> str | None:
    """The lexical value of ``row[key]`` (None when unbound)."""
    term = row.get(key)
    return None if term is None else term.value


def day_of(value: str | None) -> _dt.date | None:
    """The day a date value starts with (None when there is none)."""
    if not value:
        return None
    try:
        return _dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def resolve_focus(engine: Engine, focus: str) -> str:
    """The IRI ``focus`` names (an IRI, a prefixed name or a name, as ``describe``)."""
    from kzgraph.describe import resolve

    return resolve(engine, focus)


def fractional_year(day: _dt.date) -> float:
    """``day`` as a year with its fraction (1994-07-02 -> about 1994.5)."""
    first = _dt.date(day.year, 1, 1).toordinal()
    length = _dt.date(day.year + 1, 1, 1).toordinal() - first
    return day.year + (day.toordinal() - first) / length


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


def text_width(text: str, size: float) -> float:
    """Width of ``text`` in points at font ``size`` (exact, from the font's glyphs)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=RC["font.family"], size=size)
    width, _height, _descent = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return float(width)


def fmt_day(day: _dt.date) -> str:
    """A day as people write it: '17 Oct 1994'."""
    return f"{day.day} {day:%b} {day.year}"


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two boxes (x0, y0, x1, y1) overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
